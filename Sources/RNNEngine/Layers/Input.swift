/// `InputLayer`: where a model input enters the graph.
public struct InputLayer<Scalar: EngineScalar>: Layer {
    /// The shape without the batch axis; nil extents accept any size.
    public var shape: SymbolicShape
    /// How Keras types the input (`int32` token ids are `.integer`).
    public var kind: ElementKind

    public init(shape: SymbolicShape, kind: ElementKind = .float) {
        self.shape = shape
        self.kind = kind
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [shape] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        [try call.single("InputLayer")]
    }

    /// Checks a model input against the declared shape and types it.
    func accept(_ x: Tensor<Scalar>, position: Int, name: String) throws -> Value<Scalar> {
        guard Shapes.fits(x.shape, shape) else {
            throw EngineError.shapeMismatch(what: "input \(position) ('\(name)')", expected: Shapes.describe(shape), actual: x.shape)
        }
        if kind == .integer, let bad = x.scalars.firstIndex(where: { $0 != $0.rounded(.towardZero) }) {
            throw EngineError.invalidInput(
                "input \(position) ('\(name)') holds integer ids, but element \(x.multiIndex(bad)) is \(x.scalars[bad])")
        }
        return Value(x, kind: kind)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { InputLayer<T>(shape: shape, kind: kind) }

    public var summary: String { "shape: \(Shapes.describe(shape))" + (kind == .float ? "" : ", \(kind.rawValue)") }
}
