/// Keras 3's `NotEqual(x, value)` op node: a boolean tensor. Ops carry no masks.
public struct NotEqualOp<Scalar: EngineScalar>: Layer {
    public var value: Scalar

    public init(value: Scalar) { self.value = value }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "NotEqual")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("NotEqual").tensor
        return [Value(Tensor(shape: x.shape, scalars: x.scalars.map { $0 != value ? 1 : 0 }), kind: .boolean)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { NotEqualOp<T>(value: T(value)) }

    public var summary: String { "op: x != \(value)" }
}

/// Keras 3's `Any(x, axis, keepdims)` op node: a boolean reduction.
public struct AnyOp<Scalar: EngineScalar>: Layer {
    public var axis: Int
    public var keepdims: Bool

    public init(axis: Int, keepdims: Bool) {
        self.axis = axis
        self.keepdims = keepdims
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        var shape = try Shapes.single(inputs, "Any")
        guard let a = Shapes.axis(axis, rank: shape.count + 1), a >= 1 else {
            throw EngineError.invalidInput("Any over axis \(axis) of an input of rank \(shape.count + 1)")
        }
        if keepdims { shape[a - 1] = 1 } else { shape.remove(at: a - 1) }
        return [shape]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("Any").tensor
        guard let a = Shapes.axis(axis, rank: x.rank) else {
            throw EngineError.invalidInput("Any over axis \(axis) of a rank-\(x.rank) tensor")
        }
        let outer = x.shape[..<a].reduce(1, *)
        let extent = x.shape[a]
        let inner = x.shape[(a + 1)...].reduce(1, *)
        var out = [Scalar](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<extent where x.scalars[(o * extent + k) * inner + i] != 0 {
                    out[o * inner + i] = 1
                    break
                }
            }
        }
        var shape = x.shape
        if keepdims { shape[a] = 1 } else { shape.remove(at: a) }
        return [Value(Tensor(shape: shape, scalars: out), kind: .boolean)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { AnyOp<T>(axis: axis, keepdims: keepdims) }

    public var summary: String { "op: any(axis=\(axis), keepdims=\(keepdims))" }
}

/// Keras 3's `Cast(x, dtype)` op node: to bool (`x != 0`), an integer type (toward zero) or a float type.
public struct CastOp<Scalar: EngineScalar>: Layer {
    public var kind: ElementKind

    public init(to kind: ElementKind) { self.kind = kind }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "Cast")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Cast")
        switch kind {
        case .boolean: x.tensor.scalars = x.tensor.scalars.map { $0 != 0 ? 1 : 0 }
        case .integer: x.tensor.scalars = x.tensor.scalars.map { $0.rounded(.towardZero) }
        case .float: break
        }
        return [Value(x.tensor, kind: kind)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { CastOp<T>(to: kind) }

    public var summary: String { "op: cast to \(kind.rawValue)" }
}
