import Foundation
import HDF5
import XCTest

final class DatasetRoundTripTests: HDF5TestCase {
    /// Writes `values` (24 of them) as a scalar, a 1-D and a 3-D dataset, reopens the file and
    /// checks shape, count, element type and every value.
    private func checkRoundTrip<T: HDF5Scalar & Equatable>(
        _ values: [T], elementType: ElementType, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(values.count, 24, "test setup", file: file, line: line)
        let path = try makeFile("\(T.self).h5") { root in
            let scalar = try root.write("scalar", [values[5]], shape: [])
            XCTAssertEqual(scalar.shape, [], file: file, line: line)
            _ = try root.write("vector", values, shape: [24])
            _ = try root.write("cube", values, shape: [2, 3, 4])
        }
        let root = try File.open(path).root

        let scalar = try root.dataset("scalar")
        XCTAssertEqual(scalar.shape, [], file: file, line: line)
        XCTAssertEqual(scalar.count, 1, file: file, line: line)
        XCTAssertEqual(scalar.elementType, elementType, file: file, line: line)
        XCTAssertEqual(try scalar.read(as: T.self), [values[5]], file: file, line: line)

        let vector = try root.dataset("vector")
        XCTAssertEqual(vector.shape, [24], file: file, line: line)
        XCTAssertEqual(vector.count, 24, file: file, line: line)
        XCTAssertEqual(vector.elementType, elementType, file: file, line: line)
        XCTAssertEqual(try vector.read(as: T.self), values, file: file, line: line)

        let cube = try root.dataset("cube")
        XCTAssertEqual(cube.shape, [2, 3, 4], file: file, line: line)
        XCTAssertEqual(cube.count, 24, file: file, line: line)
        XCTAssertEqual(cube.elementType, elementType, file: file, line: line)
        XCTAssertEqual(cube.objectPath, "/cube", file: file, line: line)
        XCTAssertEqual(try cube.read(as: T.self), values, file: file, line: line)
    }

    func testFloat32() throws {
        var values = (0..<24).map { Float($0) * 0.125 - 1.5 }
        values[0] = .greatestFiniteMagnitude
        values[1] = -.leastNonzeroMagnitude
        try checkRoundTrip(values, elementType: .float32)
    }

    func testFloat64() throws {
        var values = (0..<24).map { Double($0) / 3 }
        values[0] = .pi
        values[1] = -.greatestFiniteMagnitude
        try checkRoundTrip(values, elementType: .float64)
    }

    func testInt32() throws {
        var values = (0..<24).map { Int32($0) * 1000 - 7 }
        values[0] = .min
        values[1] = .max
        try checkRoundTrip(values, elementType: .int32)
    }

    func testInt64() throws {
        var values = (0..<24).map { Int64($0) << 40 }
        values[0] = .min
        values[1] = .max
        try checkRoundTrip(values, elementType: .int64)
    }

    func testUInt8() throws {
        var values = (0..<24).map { UInt8($0 * 10) }
        values[0] = .max
        try checkRoundTrip(values, elementType: .uint8)
    }

    func testOtherIntegerWidths() throws {
        try checkRoundTrip((0..<24).map { Int8($0) - 12 }, elementType: .int8)
        try checkRoundTrip((0..<24).map { Int16($0) * -1000 }, elementType: .int16)
        try checkRoundTrip((0..<24).map { UInt16($0) * 2000 }, elementType: .uint16)
        try checkRoundTrip((0..<24).map { UInt32($0) << 27 }, elementType: .uint32)
        try checkRoundTrip((0..<24).map { UInt64($0) << 59 }, elementType: .uint64)
    }

    func testLibraryConvertsBetweenTypes() throws {
        let path = try makeFile("convert.h5") { root in
            _ = try root.write("f32", [Float(0.1), 1.5, -3], shape: [3])
            _ = try root.write("i32", [Int32(7), -8, 1 << 24], shape: [3])
            _ = try root.write("f64", [0.1, 2.5], shape: [2])
        }
        let root = try File.open(path).root
        // float32 -> Double is exact.
        XCTAssertEqual(try root.dataset("f32").read(as: Double.self), [Double(Float(0.1)), 1.5, -3])
        XCTAssertEqual(try root.dataset("i32").read(as: Float.self), [7, -8, 16_777_216])
        XCTAssertEqual(try root.dataset("i32").read(as: Int64.self), [7, -8, 16_777_216])
        XCTAssertEqual(try root.dataset("f64").read(as: Float.self), [Float(0.1), 2.5])
    }

    func testEmptyDataset() throws {
        let path = try makeFile("empty.h5") { root in
            _ = try root.write("nothing", [Float](), shape: [0])
            _ = try root.write("none_of_two", [Int64](), shape: [2, 0])
        }
        let root = try File.open(path).root
        let nothing = try root.dataset("nothing")
        XCTAssertEqual(nothing.shape, [0])
        XCTAssertEqual(nothing.count, 0)
        XCTAssertEqual(try nothing.read(as: Float.self), [])
        let noneOfTwo = try root.dataset("none_of_two")
        XCTAssertEqual(noneOfTwo.shape, [2, 0])
        XCTAssertEqual(try noneOfTwo.read(as: Int64.self), [])
    }

    func testStringDatasets() throws {
        let texts = ["", "a", "héllo ✓", "{\"config\": [1, 2]}"]
        let path = try makeFile("strings.h5") { root in
            _ = try root.write("vector", strings: texts, shape: [4])
            _ = try root.write("matrix", strings: texts, shape: [2, 2])
            _ = try root.write("scalar", strings: ["only one"], shape: [])
        }
        let root = try File.open(path).root
        let vector = try root.dataset("vector")
        XCTAssertEqual(vector.elementType, .string)
        XCTAssertEqual(vector.shape, [4])
        XCTAssertEqual(try vector.readStrings(), texts)
        let matrix = try root.dataset("matrix")
        XCTAssertEqual(matrix.shape, [2, 2])
        XCTAssertEqual(try matrix.readStrings(), texts)
        let scalar = try root.dataset("scalar")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(try scalar.readStrings(), ["only one"])
    }

    func testWriteChecksShapeAgainstValueCount() throws {
        let path = scratch("shape.h5")
        let root = try File.create(path).root
        let error = thrownHDF5Error { try root.write("x", [Float(1), 2, 3], shape: [2, 2]) }
        guard case let .callFailed(function, file, object, _)? = error else {
            return XCTFail("expected .callFailed, got \(String(describing: error))")
        }
        XCTAssertEqual(function, "Group.write")
        XCTAssertEqual(file, path)
        XCTAssertEqual(object, "/x")
        XCTAssertEqual(try root.kind(of: "x"), .missing, "nothing may be written on a shape mismatch")
        XCTAssertNotNil(thrownHDF5Error { try root.write("s", strings: ["a"], shape: [3]) })
        XCTAssertNotNil(thrownHDF5Error { try root.write("n", [Float](), shape: [-1]) })
        XCTAssertNotNil(thrownHDF5Error { try root.write("nul", strings: ["a\u{0}b"], shape: [1]) })
    }

    func testOpenImageOfBytesWrittenByCreate() throws {
        let path = try makeFile("image.h5") { root in
            let layer = try root.createGroup("layers")
            _ = try layer.write("kernel", [Float(1.5), -2, 3.25, 4], shape: [2, 2])
            try layer.setAttribute("name", .string("lstm"))
        }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try File.open(image: bytes, name: "model.weights.h5")
        XCTAssertEqual(file.path, "model.weights.h5")
        let layer = try file.root.group("layers")
        XCTAssertEqual(try layer.attribute("name"), .string("lstm"))
        let kernel = try layer.dataset("kernel")
        XCTAssertEqual(kernel.shape, [2, 2])
        XCTAssertEqual(try kernel.read(as: Float.self), [1.5, -2, 3.25, 4])
        // Errors name the image by the name it was given.
        XCTAssertEqual(thrownHDF5Error { try file.root.dataset("nope") },
                       .notFound(file: "model.weights.h5", object: "/nope"))
    }

    func testImagesWithTheSameNameStaySeparate() throws {
        let first = try makeFile("first.h5") { root in _ = try root.write("v", [Int32(1)], shape: [1]) }
        let second = try makeFile("second.h5") { root in _ = try root.write("v", [Int32(2)], shape: [1]) }
        let firstBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: first)))
        let secondBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: second)))
        // The name is an existing HDF5 file on disk: its contents must not be read.
        let a = try File.open(image: firstBytes, name: second)
        let b = try File.open(image: secondBytes, name: second)
        XCTAssertEqual(try a.root.dataset("v").read(as: Int32.self), [1])
        XCTAssertEqual(try b.root.dataset("v").read(as: Int32.self), [2])
    }

    func testFileCloseAndFlush() throws {
        let path = scratch("close.h5")
        let file = try File.create(path)
        _ = try file.root.write("x", [Double(1)], shape: [1])
        try file.flush()
        try file.close()
        try file.close()
        let error = thrownHDF5Error { try file.root }
        guard case .callFailed(_, path, "/", _)? = error else {
            return XCTFail("expected .callFailed naming the file, got \(String(describing: error))")
        }
        XCTAssertEqual(try File.open(path).root.dataset("x").read(as: Double.self), [1])
    }

    func testCreateTruncates() throws {
        let path = try makeFile("again.h5") { root in _ = try root.write("old", [Float(1)], shape: [1]) }
        try makeFile("again.h5") { root in _ = try root.write("new", [Float(2)], shape: [1]) }
        let root = try File.open(path).root
        XCTAssertEqual(try root.childNames(), ["new"])
    }

    func testConcurrentReadersFromSeveralThreads() throws {
        let path = try makeFile("threads.h5") { root in
            _ = try root.write("v", (0..<1000).map { Float($0) }, shape: [10, 100])
            try root.setAttribute("names", .strings(["a", "b", "c"]))
        }
        final class Failures: @unchecked Sendable {
            private let lock = NSLock()
            private var items: [String] = []
            func add(_ text: String) { lock.lock(); items.append(text); lock.unlock() }
            var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
        }
        let failures = Failures()
        let expected = (0..<1000).map { Float($0) }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for _ in 0..<25 {
                do {
                    let root = try File.open(path).root
                    if try root.dataset("v").read(as: Float.self) != expected { failures.add("worker \(worker): values") }
                    if try root.attribute("names") != .strings(["a", "b", "c"]) { failures.add("worker \(worker): attribute") }
                } catch {
                    failures.add("worker \(worker): \(error)")
                }
            }
        }
        XCTAssertEqual(failures.all, [])
    }
}
