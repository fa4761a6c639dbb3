import HDF5

/// A conservative estimate, made from the input shapes before any input is read, of what
/// running a model allocates, refused when it exceeds `HDF5Library.maxReadBytes`: a small
/// file can declare inputs whose run needs gigabytes (every layer's output over every step,
/// in float64 and float32, for the error budget too).
///
/// Each node's output shape comes from the model config (`LoadedModel.outputShapes`); an axis
/// of any length is taken as long as the longest input axis. Each element is counted at 8 bytes
/// (float64 run) plus 4 (float32 run), twice over for the engine's working buffers.
enum AllocationBudget {
    static let bytesPerElement = 2 * (8 + 4)

    static func check(outputShapes: [[[Int?]]], inputShapes: [[Int]], file: String) throws {
        let limit = HDF5Library.maxReadBytes
        let batch = inputShapes.first?.first ?? 1
        let longest = inputShapes.flatMap { $0.dropFirst() }.max() ?? 1
        var elements = 0
        var overflow = false
        func add(_ dims: [Int]) {
            var product = 1
            for d in dims {
                let (p, o) = product.multipliedReportingOverflow(by: d)
                overflow = overflow || o
                product = p
            }
            let (sum, o) = elements.addingReportingOverflow(product)
            overflow = overflow || o
            elements = sum
        }
        for shape in inputShapes { add(shape) }
        for node in outputShapes {
            for shape in node { add([batch] + shape.map { $0 ?? longest }) }
        }
        let (bytes, o) = elements.multipliedReportingOverflow(by: bytesPerElement)
        if overflow || o || bytes > limit {
            let needed = overflow || o ? "more than \(Int.max) bytes" : "about \(bytes) bytes"
            throw ConformanceError.unusable(
                file: file, object: "/input_0",
                reason: "running the model on inputs of shape \(inputShapes.map { shapeText($0) }.joined(separator: ", ")) would allocate \(needed) for its layers' outputs, more than the \(limit)-byte limit (--max-read-bytes); nothing was run")
        }
    }
}
