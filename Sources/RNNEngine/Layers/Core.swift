/// `Dense`: `activation(x @ kernel + bias)` on the last axis of any input of rank ≥ 2.
/// Masks pass through (Keras's `supports_masking = True`).
public struct DenseLayer<Scalar: EngineScalar>: Layer {
    public var inputDim: Int
    public var units: Int
    /// `(inputDim, units)`.
    public var kernel: [Scalar]
    /// `(units)`, or nil.
    public var bias: [Scalar]?
    public var activation: Activation
    let cache = PackedMatrixCache()

    public init(inputDim: Int, units: Int, kernel: [Scalar], bias: [Scalar]?, activation: Activation) {
        precondition(kernel.count == inputDim * units && bias.map { $0.count == units } ?? true)
        self.inputDim = inputDim
        self.units = units
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
    }

    public var maskRule: MaskRule { .keep }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Dense")
        guard let last = x.last, last == nil || last == inputDim else {
            throw EngineError.invalidInput("Dense with \(inputDim) input features takes (..., \(inputDim)), got \(Shapes.describe(x))")
        }
        return [Array(x.dropLast()) + [units]]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        [Value(try self(call.single("Dense").tensor))]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard x.rank >= 2, x.shape.last == inputDim else {
            throw EngineError.shapeMismatch(what: "Dense input", expected: "(..., \(inputDim))", actual: x.shape)
        }
        let rows = x.count / inputDim
        var y = Kernels.product(x.scalars, rows: rows, k: inputDim, kernel, n: units, bias: bias, cache: cache)
        activation.apply(to: &y, rowLength: units)
        return Tensor(shape: Array(x.shape.dropLast()) + [units], scalars: y)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { convertedDense(to: T.self) }

    func convertedDense<T: EngineScalar>(to: T.Type) -> DenseLayer<T> {
        DenseLayer<T>(inputDim: inputDim, units: units, kernel: kernel.converted(), bias: bias?.converted(), activation: activation)
    }

    public var summary: String { "units=\(units) activation=\(activation) use_bias=\(bias != nil)" }
}

/// `Embedding`: looks up rows of an `(inputDim, outputDim)` table by integer id. With
/// `mask_zero`, the output carries the mask `ids != 0` (of the ids' shape).
public struct EmbeddingLayer<Scalar: EngineScalar>: Layer {
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

    public var maskRule: MaskRule { .compute }
    public var parameterCount: Int { embeddings.count }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        [try Shapes.single(inputs, "Embedding") + [outputDim]]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let ids = try call.single("Embedding").tensor
        let mask = maskZero ? Mask(ids) : nil
        return [Value(try self(ids), mask: mask)]
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

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        EmbeddingLayer<T>(inputDim: inputDim, outputDim: outputDim, embeddings: embeddings.converted(), maskZero: maskZero)
    }

    public var summary: String { "input_dim=\(inputDim) output_dim=\(outputDim) mask_zero=\(maskZero)" }
}

/// `Masking(mask_value)`: an element of the leading axes is padding when every feature (the last
/// axis) equals `mask_value`; padding is zeroed — Keras 3 with `where(mask, x, 0)`, Keras 2 by
/// multiplying with the mask (an infinity at a masked step becomes NaN) — and the output carries
/// the mask.
public struct MaskingLayer<Scalar: EngineScalar>: Layer {
    public var maskValue: Scalar
    public var semantics: KerasSemantics

    public init(maskValue: Scalar, semantics: KerasSemantics = .keras3) {
        self.maskValue = maskValue
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .compute }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Masking")
        guard !x.isEmpty else { throw EngineError.invalidInput("Masking takes an input with a feature axis, got \(Shapes.describe(x))") }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("Masking").tensor
        guard x.rank >= 2 else {
            throw EngineError.shapeMismatch(what: "Masking input", expected: "(batch, ..., features)", actual: x.shape)
        }
        let n = x.shape.last!
        let rows = n == 0 ? 0 : x.count / n
        var keep = [Bool](repeating: false, count: n == 0 ? x.shape.dropLast().reduce(1, *) : rows)
        var out = x.scalars
        for row in 0..<rows {
            keep[row] = (0..<n).contains { x.scalars[row * n + $0] != maskValue }
            guard !keep[row] else { continue }
            for j in 0..<n { out[row * n + j] = semantics == .keras3 ? 0 : x.scalars[row * n + j] * 0 }
        }
        return [Value(Tensor(shape: x.shape, scalars: out), mask: Mask(shape: Array(x.shape.dropLast()), values: keep))]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { MaskingLayer<T>(maskValue: T(maskValue), semantics: semantics) }

    public var summary: String { "mask_value=\(maskValue)" }
}

/// Layers that are the identity at inference (`Dropout`, `SpatialDropout1D`, `GaussianNoise`,
/// ...): the value and, by `maskRule`, its mask pass through.
public struct IdentityLayer<Scalar: EngineScalar>: Layer {
    public var maskRule: MaskRule

    public init(maskRule: MaskRule = .keep) { self.maskRule = maskRule }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "layer")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("identity layer")
        x.mask = nil
        return [x]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { IdentityLayer<T>(maskRule: maskRule) }

    public var summary: String { "identity at inference" }
}

/// `Activation(fn)`: an activation on the last axis (softmax and log_softmax along it).
public struct ActivationLayer<Scalar: EngineScalar>: Layer {
    public var activation: Activation

    public init(_ activation: Activation) { self.activation = activation }

    public var maskRule: MaskRule { .keep }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "Activation")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Activation").tensor
        activation.apply(to: &x.scalars, rowLength: x.shape.last ?? 1)
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ActivationLayer<T>(activation) }

    public var summary: String { "activation=\(activation)" }
}
