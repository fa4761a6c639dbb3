/// `Dense`: `activation(x @ kernel + bias)` on the last axis of any input of rank ≥ 2.
public struct DenseLayer<Scalar: EngineScalar>: Sendable {
    public var inputDim: Int
    public var units: Int
    /// `(inputDim, units)`.
    public var kernel: [Scalar]
    /// `(units)`, or nil.
    public var bias: [Scalar]?
    public var activation: Activation

    public init(inputDim: Int, units: Int, kernel: [Scalar], bias: [Scalar]?, activation: Activation) {
        precondition(kernel.count == inputDim * units && bias.map { $0.count == units } ?? true)
        self.inputDim = inputDim
        self.units = units
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard x.rank >= 2, x.shape.last == inputDim else {
            throw EngineError.shapeMismatch(what: "Dense input", expected: "(..., \(inputDim))", actual: x.shape)
        }
        let rows = x.count / inputDim
        var y = Kernels.matmul(x.scalars, kernel, m: rows, k: inputDim, n: units)
        if let bias { Kernels.addRowVector(&y, bias) }
        activation.apply(to: &y, rowLength: units)
        return Tensor(shape: Array(x.shape.dropLast()) + [units], scalars: y)
    }
}

/// `Embedding`: looks up rows of a `(inputDim, outputDim)` table by integer id.
public struct EmbeddingLayer<Scalar: EngineScalar>: Sendable {
    public var inputDim: Int
    public var outputDim: Int
    public var embeddings: [Scalar]
    public var maskZero: Bool

    public init(inputDim: Int, outputDim: Int, embeddings: [Scalar], maskZero: Bool) {
        precondition(embeddings.count == inputDim * outputDim)
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.embeddings = embeddings
        self.maskZero = maskZero
    }

    public func callAsFunction(_ ids: Tensor<Scalar>) throws -> Tensor<Scalar> {
        var out = [Scalar](repeating: 0, count: ids.count * outputDim)
        for (n, value) in ids.scalars.enumerated() {
            guard value == value.rounded(.towardZero), value >= 0, value < Scalar(inputDim) else {
                throw EngineError.invalidInput(
                    "Embedding id \(value) at index \(ids.multiIndex(n)) is not an integer in [0, \(inputDim))")
            }
            let row = Int(value)
            for j in 0..<outputDim { out[n * outputDim + j] = embeddings[row * outputDim + j] }
        }
        return Tensor(shape: ids.shape + [outputDim], scalars: out)
    }
}

/// Element-wise merges of several tensors (`Add`, `Subtract`, `Multiply`, `Average`,
/// `Maximum`, `Minimum`) and `Concatenate`.
public enum MergeOperation: Sendable, Equatable {
    case add, subtract, multiply, average, maximum, minimum
    /// Along `axis` (negative counts from the end).
    case concatenate(axis: Int)
}
