/// Layers that run other layers: `TimeDistributed(layer)` and a model used as a layer.

/// `TimeDistributed(layer)`: the inner layer applied at every timestep of a `(batch, time, ...)`
/// input, as one call on `(batch·time, ...)` (each row is computed on its own, so this equals
/// Keras's per-step loop). A mask arriving is passed to the inner layer reshaped the same way.
///
/// Output mask: Keras 3 keeps the mask it received; Keras 2 asks the inner layer for its mask
/// (`TimeDistributed(Embedding(mask_zero=True))` makes one) and, when there is none, reduces the
/// mask it received with `any` over its axes beyond time.
public struct TimeDistributedLayer<Scalar: EngineScalar>: Layer {
    public var inner: any Layer<Scalar>
    public var semantics: KerasSemantics

    public init(_ inner: any Layer<Scalar>, semantics: KerasSemantics = .keras3) {
        self.inner = inner
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .compute }
    public var parameterCount: Int { inner.parameterCount }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "TimeDistributed")
        guard x.count >= 2 else {
            throw EngineError.invalidInput("TimeDistributed takes a (batch, time, ...) input, got \(Shapes.describe(x))")
        }
        guard inner.outputCount == 1 else {
            throw EngineError.invalidInput("TimeDistributed needs an inner layer with one output, not \(inner.outputCount)")
        }
        return try inner.outputShapes(for: [Array(x.dropFirst())]).map { [x[0]] + $0 }
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("TimeDistributed")
        guard x.tensor.rank >= 3 else {
            throw EngineError.shapeMismatch(what: "TimeDistributed input", expected: "(batch, time, ...)", actual: x.tensor.shape)
        }
        let (batch, time) = (x.tensor.shape[0], x.tensor.shape[1])
        let rows = Tensor(shape: [batch * time] + x.tensor.shape.dropFirst(2), scalars: x.tensor.scalars)
        let mask = call.masks[0]
        if let mask, mask.rank < 2 || Array(mask.shape.prefix(2)) != [batch, time] {
            throw EngineError.shapeMismatch(what: "TimeDistributed mask", expected: "(\(batch), \(time), ...)", actual: mask.shape)
        }
        let innerMask = mask.map { Mask(shape: [batch * time] + $0.shape.dropFirst(2), values: $0.values) }
        var innerCall = LayerCall(inputs: [Value(rows, kind: x.kind)], masks: [innerMask], previousMasks: [innerMask])
        var y = try inner.evaluate(&innerCall)[0]
        if inner.maskRule == .keep { y.mask = innerMask }
        if inner.maskRule == .drop { y.mask = nil }
        let out = Tensor(shape: [batch, time] + y.tensor.shape.dropFirst(), scalars: y.tensor.scalars)
        let outMask: Mask?
        switch semantics {
        case .keras3:
            outMask = call.previousMasks[0]
        case .keras2:
            if let m = y.mask {
                outMask = Mask(shape: [batch, time] + m.shape.dropFirst(), values: m.values)
            } else if let m = call.previousMasks[0] {
                // any over the axes after time
                let per = m.values.count / max(batch * time, 1)
                outMask = Mask(shape: [batch, time], values: (0..<(batch * time)).map { r in
                    m.values[(r * per)..<((r + 1) * per)].contains(true)
                })
            } else {
                outMask = nil
            }
        }
        return [Value(out, kind: y.kind, mask: outMask)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        TimeDistributedLayer<T>(inner.converted(to: T.self), semantics: semantics)
    }

    public var summary: String { "layer: " + inner.summary }
}

/// A Keras model used as a layer of another (a shared encoder, a siamese pair): the inner graph
/// runs on the call's inputs, which carry the masks the call received; its outputs carry the
/// masks the inner graph computed. Streaming state is carried for the inner layers too.
public struct ModelLayer<Scalar: EngineScalar>: Layer {
    public var model: Model<Scalar>
    /// The inner model's output shapes (without batch), as the importer worked them out.
    public var shapes: [SymbolicShape]

    public init(model: Model<Scalar>, shapes: [SymbolicShape]) {
        self.model = model
        self.shapes = shapes
    }

    public var maskRule: MaskRule { .compute }
    public var outputCount: Int { model.outputs.count }
    public var parameterCount: Int { model.parameterCount }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard inputs.count == model.inputs.count else {
            throw EngineError.invalidInput("model '\(model.name)' takes \(model.inputs.count) input(s), got \(inputs.count)")
        }
        for (k, (given, index)) in zip(inputs, model.inputs).enumerated() {
            guard let expected = (model.nodes[index].layer as? InputLayer<Scalar>)?.shape, given.count == expected.count,
                  zip(given, expected).allSatisfy({ $0 == nil || $1 == nil || $0 == $1 }) else {
                throw EngineError.invalidInput("model '\(model.name)' input \(k) is \(Shapes.describe((model.nodes[index].layer as? InputLayer<Scalar>)?.shape ?? [])), got \(Shapes.describe(given))")
            }
        }
        return shapes
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var state = StreamingState<Scalar>()
        if let carried = call.initialState { state = try Self.unpack(carried) }
        // A mask given for an input replaces the one it carries; where none is given, the
        // carried one stays (Keras 3 `Functional._standardize_inputs` puts it back on the
        // input; tf.keras passes the carried masks as the call's mask).
        var inputs = call.inputs
        for k in inputs.indices where call.masks[k] != nil { inputs[k].mask = call.masks[k] }
        let outputs = try model.run(inputs, carrying: &state).outputs
        call.finalState = Self.pack(state)
        return outputs
    }

    /// The inner streaming state as a flat list: a first tensor of (node, count) pairs, then the states.
    static func pack(_ state: StreamingState<Scalar>) -> [Tensor<Scalar>]? {
        guard !state.states.isEmpty else { return nil }
        let keys = state.states.keys.sorted()
        let layout = keys.flatMap { [Scalar($0), Scalar(state.states[$0]!.count)] }
        return [Tensor(shape: [layout.count], scalars: layout)] + keys.flatMap { state.states[$0]! }
    }

    static func unpack(_ flat: [Tensor<Scalar>]) throws -> StreamingState<Scalar> {
        var state = StreamingState<Scalar>()
        guard let layout = flat.first?.scalars, layout.count % 2 == 0 else {
            throw EngineError.invalidInput("a model used as a layer takes no initial state")
        }
        var next = 1
        for pair in stride(from: 0, to: layout.count, by: 2) {
            let (node, count) = (Int(layout[pair]), Int(layout[pair + 1]))
            guard count >= 0, next + count <= flat.count else { throw EngineError.invalidInput("a carried state does not fit the inner model") }
            state.states[node] = Array(flat[next..<(next + count)])
            next += count
        }
        return state
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        ModelLayer<T>(model: model.converted(to: T.self), shapes: shapes)
    }

    public func outputName(_ index: Int) -> String { model.outputs[index].name }

    public var summary: String {
        "model '\(model.name)': \(model.nodes.count) layers, inputs \(model.inputs.map { model.nodes[$0].name }), outputs \(model.outputs.map(\.name))"
    }
}
