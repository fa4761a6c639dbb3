/// Layers that move elements without computing: `Flatten`, `Reshape`, `Permute`,
/// `RepeatVector`, `ZeroPadding1D`, `Cropping1D`, `UpSampling1D`. None of them supports
/// masking in Keras: a mask that reaches them is dropped.

/// `Flatten`: `(batch, ...)` → `(batch, n)` (`(batch,)` → `(batch, 1)`); with
/// `channels_first`, axis 1 moves to the end first.
public struct FlattenLayer<Scalar: EngineScalar>: Layer {
    public var channelsFirst: Bool

    public init(channelsFirst: Bool = false) { self.channelsFirst = channelsFirst }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Flatten")
        if x.isEmpty { return [[1]] }
        if x.contains(where: { $0 == nil }) { return [[nil]] }
        guard let n = Shapes.count(x.map { $0! }) else {
            throw EngineError.invalidInput("Flatten input \(Shapes.describe(x)) has too many elements per row to count")
        }
        return [[n]]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Flatten").tensor
        if channelsFirst && x.rank > 2 { x = x.transposed([0] + Array(2..<x.rank) + [1]) }
        let batch = x.shape[0]
        return [Value(Tensor(shape: [batch, x.rank == 1 ? 1 : x.shape.dropFirst().reduce(1, *)], scalars: x.scalars))]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { FlattenLayer<T>(channelsFirst: channelsFirst) }

    public var summary: String { channelsFirst ? "data_format=channels_first" : "" }
}

/// `Reshape(target_shape)`; one extent may be -1, inferred from the element count.
public struct ReshapeLayer<Scalar: EngineScalar>: Layer {
    public var targetShape: [Int]

    public init(targetShape: [Int]) { self.targetShape = targetShape }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Reshape")
        guard !x.contains(where: { $0 == nil }) else {
            return [targetShape.map { $0 == -1 ? nil : $0 }]
        }
        guard let elements = Shapes.count(x.map { $0! }) else {
            throw EngineError.invalidInput("Reshape input \(Shapes.describe(x)) has too many elements per row to count")
        }
        return [try resolved(elements: elements).map { $0 }]
    }

    /// The target shape with -1 worked out for inputs of `elements` elements per batch row.
    func resolved(elements: Int) throws -> [Int] {
        guard let known = Shapes.count(targetShape.filter { $0 != -1 }) else {
            throw EngineError.invalidInput("Reshape target_shape \(targetShape) has too many elements to count")
        }
        var shape = targetShape
        if let free = shape.firstIndex(of: -1) {
            guard known > 0, elements % known == 0 else {
                throw EngineError.invalidInput("Reshape cannot fit \(elements) elements per row into target_shape \(targetShape)")
            }
            shape[free] = elements / known
        } else {
            guard known == elements else {
                throw EngineError.invalidInput("Reshape cannot fit \(elements) elements per row into target_shape \(targetShape) (\(known) elements)")
            }
        }
        return shape
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("Reshape").tensor
        let batch = x.shape[0]
        let shape = try resolved(elements: x.shape.dropFirst().reduce(1, *))
        return [Value(Tensor(shape: [batch] + shape, scalars: x.scalars))]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ReshapeLayer<T>(targetShape: targetShape) }

    public var summary: String { "target_shape=\(targetShape)" }
}

/// `Permute(dims)`: axes reordered; `dims` counts from 1 (the batch axis stays first).
public struct PermuteLayer<Scalar: EngineScalar>: Layer {
    public var dims: [Int]

    public init(dims: [Int]) { self.dims = dims }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Permute")
        guard x.count == dims.count else {
            throw EngineError.invalidInput("Permute with dims \(dims) takes an input of rank \(dims.count + 1), got \(Shapes.describe(x))")
        }
        return [dims.map { x[$0 - 1] }]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("Permute").tensor
        guard x.rank == dims.count + 1 else {
            throw EngineError.shapeMismatch(what: "Permute input", expected: "rank \(dims.count + 1)", actual: x.shape)
        }
        return [Value(x.transposed([0] + dims))]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { PermuteLayer<T>(dims: dims) }

    public var summary: String { "dims=\(dims)" }
}

/// `RepeatVector(n)`: `(batch, features)` → `(batch, n, features)`.
public struct RepeatVectorLayer<Scalar: EngineScalar>: Layer {
    public var n: Int

    public init(n: Int) { self.n = n }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "RepeatVector")
        guard x.count == 1 else { throw EngineError.invalidInput("RepeatVector takes (batch, features), got \(Shapes.describe(x))") }
        return [[n] + x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("RepeatVector").tensor
        guard x.rank == 2 else { throw EngineError.shapeMismatch(what: "RepeatVector input", expected: "(batch, features)", actual: x.shape) }
        let (batch, f) = (x.shape[0], x.shape[1])
        var out = [Scalar]()
        out.reserveCapacity(batch * n * f)
        for b in 0..<batch {
            let row = x.scalars[(b * f)..<((b + 1) * f)]
            for _ in 0..<n { out.append(contentsOf: row) }
        }
        return [Value(Tensor(shape: [batch, n, f], scalars: out))]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { RepeatVectorLayer<T>(n: n) }

    public var summary: String { "n=\(n)" }
}

/// What `StepsLayer` does to the steps axis.
public enum StepsOperation: Sendable, Equatable {
    case pad(before: Int, after: Int)
    case crop(before: Int, after: Int)
    case repeatEach(Int)
}

/// `ZeroPadding1D`, `Cropping1D` and `UpSampling1D`: the steps axis of a
/// `(batch, steps, features)` tensor (`(batch, features, steps)` with `channels_first`)
/// padded with zeros, cropped, or each step repeated.
public struct StepsLayer<Scalar: EngineScalar>: Layer {
    public var operation: StepsOperation
    public var channelsFirst: Bool

    public init(_ operation: StepsOperation, channelsFirst: Bool = false) {
        self.operation = operation
        self.channelsFirst = channelsFirst
    }

    public var maskRule: MaskRule { .drop }

    var name: String {
        switch operation {
        case .pad: return "ZeroPadding1D"
        case .crop: return "Cropping1D"
        case .repeatEach: return "UpSampling1D"
        }
    }

    func steps(_ n: Int) throws -> Int {
        let (m, overflow): (Int, Bool)
        switch operation {
        case .pad(let a, let b): (m, overflow) = n.addingReportingOverflow(a + b)
        case .crop(let a, let b):
            guard a + b < n else { throw EngineError.invalidInput("\(name) cropping \(a) + \(b) steps is not smaller than the \(n) steps it gets") }
            return n - a - b
        case .repeatEach(let k): (m, overflow) = n.multipliedReportingOverflow(by: k)
        }
        guard !overflow else { throw EngineError.invalidInput("\(name) on \(n) steps would give more steps than can be counted") }
        return m
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        var x = try Shapes.single(inputs, name)
        guard x.count == 2 else { throw EngineError.invalidInput("\(name) takes (batch, steps, features), got \(Shapes.describe(x))") }
        let axis = channelsFirst ? 1 : 0
        if let n = x[axis] { x[axis] = try steps(n) }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(name).tensor
        guard x.rank == 3 else { throw EngineError.shapeMismatch(what: "\(name) input", expected: "(batch, steps, features)", actual: x.shape) }
        if channelsFirst { x = x.transposed([0, 2, 1]) }
        let (batch, n, f) = (x.shape[0], x.shape[1], x.shape[2])
        let m = try steps(n)
        var out = [Scalar](repeating: 0, count: batch * m * f)
        for b in 0..<batch {
            for t in 0..<m {
                let source: Int?
                switch operation {
                case .pad(let before, _): source = t >= before && t - before < n ? t - before : nil
                case .crop(let before, _): source = t + before
                case .repeatEach(let k): source = t / k
                }
                guard let s = source else { continue }
                for j in 0..<f { out[(b * m + t) * f + j] = x.scalars[(b * n + s) * f + j] }
            }
        }
        var y = Tensor(shape: [batch, m, f], scalars: out)
        if channelsFirst { y = y.transposed([0, 2, 1]) }
        return [Value(y)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { StepsLayer<T>(operation, channelsFirst: channelsFirst) }

    public var summary: String {
        let text: String
        switch operation {
        case .pad(let a, let b): text = "padding=(\(a), \(b))"
        case .crop(let a, let b): text = "cropping=(\(a), \(b))"
        case .repeatEach(let k): text = "size=\(k)"
        }
        return text + (channelsFirst ? " data_format=channels_first" : "")
    }
}
