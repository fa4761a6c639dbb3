/// A reference to one output tensor of one node of a model graph.
public struct TensorRef: Hashable, Sendable, CustomStringConvertible {
    /// The index of the producing node in `Model.nodes`.
    public var node: Int
    /// Which of the node's outputs.
    public var output: Int

    public init(node: Int, output: Int = 0) {
        self.node = node
        self.output = output
    }

    public var description: String { "[\(node), \(output)]" }
}

/// The recurrent states a model leaves behind, keyed by node, for streaming.
public struct StreamingState<Scalar: EngineScalar>: Sendable {
    /// For each node with state, its final states (Bidirectional: forward's, then backward's).
    public var states: [Int: [Tensor<Scalar>]] = [:]

    public init() {}

    /// Forgets every carried state (Keras's `reset_states()`).
    public mutating func reset() { states = [:] }
}

/// Where one mask a layer call receives comes from.
public enum MaskSource: Sendable, Equatable {
    /// No mask.
    case none
    /// The mask that the node's input `k` carries (Keras's `_keras_mask`, propagated between layers).
    case carried(Int)
    /// A boolean tensor passed explicitly (`mask=` in the call).
    case tensor(TensorRef)
}

/// One call of a layer in a model graph.
public struct Node<Scalar: EngineScalar>: Sendable {
    /// The Keras layer name (`"rnn"`, or `"rnn#1"` for a shared layer's second call).
    public var name: String
    /// The Keras class name, for reports (`"LSTM"`, `"Bidirectional"`, ...).
    public var className: String
    public var layer: any Layer<Scalar>
    /// The tensor arguments, in the order the layer takes them.
    public var inputs: [TensorRef]
    /// Initial states passed as `initial_state=`, in Keras's order.
    public var initialState: [TensorRef]
    /// For each input, the mask the call receives.
    public var masks: [MaskSource]
    /// For each input, the mask Keras hands to `compute_mask` (usually the same as `masks`).
    public var previousMasks: [MaskSource]

    /// A node whose masks are the ones its inputs carry (Keras 2 and Sequential propagation),
    /// unless `masks` / `previousMasks` say otherwise.
    public init(
        name: String, className: String, layer: any Layer<Scalar>, inputs: [TensorRef] = [],
        initialState: [TensorRef] = [], masks: [MaskSource]? = nil, previousMasks: [MaskSource]? = nil
    ) {
        self.name = name
        self.className = className
        self.layer = layer
        self.inputs = inputs
        self.initialState = initialState
        self.masks = masks ?? inputs.indices.map { .carried($0) }
        self.previousMasks = previousMasks ?? self.masks
    }

    /// Every tensor the node reads.
    var references: [TensorRef] {
        var refs = inputs + initialState
        for case .tensor(let r) in masks + previousMasks { refs.append(r) }
        return refs
    }
}

/// A model output with a name for reports (`"bi/forward_h"`).
public struct ModelOutput: Sendable, Equatable {
    public var ref: TensorRef
    public var name: String

    public init(ref: TensorRef, name: String) {
        self.ref = ref
        self.name = name
    }
}

/// A Keras model as a graph of layer calls in topological order.
public struct Model<Scalar: EngineScalar>: Sendable {
    public var name: String
    public var nodes: [Node<Scalar>]
    /// The input nodes (whose layer is an `InputLayer`), in model input order.
    public var inputs: [Int]
    public var outputs: [ModelOutput]

    /// Creates a model, checking that every reference points backwards to an existing output.
    public init(name: String, nodes: [Node<Scalar>], inputs: [Int], outputs: [ModelOutput]) throws {
        for (index, node) in nodes.enumerated() {
            guard node.masks.count == node.inputs.count, node.previousMasks.count == node.inputs.count else {
                throw EngineError.invalidInput("node '\(node.name)' has \(node.inputs.count) input(s) but \(node.masks.count) mask source(s)")
            }
            for case .carried(let k) in node.masks + node.previousMasks where !node.inputs.indices.contains(k) {
                throw EngineError.invalidInput("node '\(node.name)' takes a mask from input \(k), which it does not have")
            }
            for ref in node.references
            where ref.node >= index || ref.node < 0 || ref.output < 0 || ref.output >= nodes[ref.node].layer.outputCount {
                throw EngineError.invalidInput("node '\(node.name)' refers to \(ref), which is not an earlier output")
            }
        }
        for i in inputs {
            guard nodes.indices.contains(i), nodes[i].layer is InputLayer<Scalar> else {
                throw EngineError.invalidInput("model input \(i) is not an input node")
            }
        }
        for o in outputs where !nodes.indices.contains(o.ref.node) || o.ref.output < 0 || o.ref.output >= nodes[o.ref.node].layer.outputCount {
            throw EngineError.invalidInput("model output '\(o.name)' refers to \(o.ref), which does not exist")
        }
        self.init(unchecked: name, nodes: nodes, inputs: inputs, outputs: outputs)
    }

    init(unchecked name: String, nodes: [Node<Scalar>], inputs: [Int], outputs: [ModelOutput]) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Runs the model on one tensor per input, in model input order, every recurrent layer
    /// starting from zero state (or its `initial_state` inputs), as one Keras `predict` call.
    public func predict(_ inputValues: [Tensor<Scalar>]) throws -> [Tensor<Scalar>] {
        var fresh = StreamingState<Scalar>()
        return try predict(inputValues, carrying: &fresh)
    }

    /// Runs the model continuing from the recurrent states a previous call left in `state`, and
    /// leaves the final states there: a long sequence fed in chunks gives the same result as
    /// one call on the whole sequence (Keras's `stateful=True`). Layers given `initial_state`
    /// inputs use those instead.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ inputValues: [Tensor<Scalar>], carrying state: inout StreamingState<Scalar>) throws -> [Tensor<Scalar>] {
        try run(inputValues.map { Value($0) }, carrying: &state).outputs.map { $0.tensor }
    }

    /// Every node's outputs, in node order, for inspecting a model layer by layer.
    public func evaluateAll(_ inputValues: [Tensor<Scalar>]) throws -> [[Value<Scalar>]] {
        var fresh = StreamingState<Scalar>()
        return try run(inputValues.map { Value($0) }, carrying: &fresh, keepAll: true).all
    }

    /// Runs the model on values that may carry masks (a model used as a layer of another gets
    /// its caller's masks, as Keras sets them on the inputs), returning the outputs with theirs.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func run(
        _ inputValues: [Value<Scalar>], carrying state: inout StreamingState<Scalar>, keepAll: Bool = false
    ) throws -> (outputs: [Value<Scalar>], all: [[Value<Scalar>]]) {
        let values = try runNodes(inputValues, carrying: &state, keepAll: keepAll, until: nil)
        return (outputs.map { values[$0.ref.node][$0.ref.output] }, keepAll ? values : [])
    }

    /// Runs the model up to node `target` and then evaluates that node alone with some of the
    /// tensors it reads replaced: `replacement(ref)` gives the tensor to use for output `ref`
    /// (same shape), or nil to keep the model's own. Masks stay the model's own, as they are
    /// when the node runs. For asking what one layer computes from another program's values
    /// of its inputs (a per-layer comparison feeds it Keras's).
    public func evaluateNode(
        _ target: Int, inputs inputValues: [Tensor<Scalar>], replacing replacement: (TensorRef) -> Tensor<Scalar>?
    ) throws -> [Value<Scalar>] {
        guard nodes.indices.contains(target) else {
            throw EngineError.invalidInput("model '\(name)' has no node \(target)")
        }
        var state = StreamingState<Scalar>()
        var values = try runNodes(inputValues.map { Value($0) }, carrying: &state, keepAll: true, until: target)
        let node = nodes[target]
        if node.layer is InputLayer<Scalar> { return values[target] }
        for ref in node.references {
            guard let tensor = replacement(ref) else { continue }
            guard tensor.shape == values[ref.node][ref.output].tensor.shape else {
                throw EngineError.shapeMismatch(what: "the replacement for output \(ref.output) of node '\(nodes[ref.node].name)'",
                                                expected: "\(values[ref.node][ref.output].tensor.shape)",
                                                actual: tensor.shape)
            }
            values[ref.node][ref.output].tensor = tensor
        }
        return try evaluate(node, index: target, values: values, state: &state)
    }

    /// Every node's values (those still needed, unless `keepAll`), evaluating nodes in order up
    /// to `until` (exclusive; nil: all).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func runNodes(
        _ inputValues: [Value<Scalar>], carrying state: inout StreamingState<Scalar>, keepAll: Bool, until: Int?
    ) throws -> [[Value<Scalar>]] {
        guard inputValues.count == inputs.count else {
            throw EngineError.invalidInput("model '\(name)' takes \(inputs.count) input(s), got \(inputValues.count)")
        }
        var values = [[Value<Scalar>]](repeating: [], count: nodes.count)
        for (n, nodeIndex) in inputs.enumerated() {
            guard let input = nodes[nodeIndex].layer as? InputLayer<Scalar> else { continue }
            var value = try input.accept(inputValues[n].tensor, position: n, name: nodes[nodeIndex].name)
            value.mask = inputValues[n].mask
            values[nodeIndex] = [value]
        }
        // How many later reads each node's values have, so that intermediates are freed early.
        var readers = [Int](repeating: 0, count: nodes.count)
        if !keepAll {
            for node in nodes { for r in node.references { readers[r.node] += 1 } }
            for o in outputs { readers[o.ref.node] += 1 }
        }
        for (index, node) in nodes.enumerated() {
            if index == until { break }
            if node.layer is InputLayer<Scalar> {
                guard !values[index].isEmpty else {
                    throw EngineError.invalidInput("input node '\(node.name)' is not a model input")
                }
                continue
            }
            values[index] = try evaluate(node, index: index, values: values, state: &state)
            if node.layer.clearsInputMasks {
                for r in node.inputs where !values[r.node].isEmpty { values[r.node][r.output].mask = nil }
            }
            if !keepAll {
                for r in node.references {
                    readers[r.node] -= 1
                    if readers[r.node] == 0 { values[r.node] = [] }
                }
            }
        }
        return values
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func evaluate(
        _ node: Node<Scalar>, index: Int, values: [[Value<Scalar>]], state: inout StreamingState<Scalar>
    ) throws -> [Value<Scalar>] {
        let args = node.inputs.map { values[$0.node][$0.output] }
        func resolve(_ source: MaskSource) -> Mask? {
            switch source {
            case .none: return nil
            case .carried(let k): return args[k].mask
            case .tensor(let r): return Mask(values[r.node][r.output].tensor)
            }
        }
        var initial = node.initialState.map { values[$0.node][$0.output].tensor }
        if initial.isEmpty, let carried = state.states[index] { initial = carried }
        // The outputs' sizes are checked before the layer allocates them.
        if let batch = args.first?.tensor.shape.first,
           let shapes = try? node.layer.outputShapes(for: args.map { $0.tensor.shape.dropFirst().map { $0 } }) {
            for (k, shape) in shapes.enumerated() where !shape.contains(where: { $0 == nil }) {
                try EngineLimits.check([batch] + shape.map { $0! }, of: Scalar.self,
                                       what: "output \(k) of layer '\(node.name)' (\(node.className))")
            }
        }
        var call = LayerCall(inputs: args, masks: node.masks.map(resolve), previousMasks: node.previousMasks.map(resolve),
                             initialState: initial.isEmpty ? nil : initial)
        var outputs: [Value<Scalar>]
        do {
            outputs = try node.layer.evaluate(&call)
        } catch let error as EngineError {
            throw EngineError.invalidInput("layer '\(node.name)' (\(node.className)): " + (error.errorDescription ?? "\(error)"))
        }
        guard outputs.count == node.layer.outputCount else {
            throw EngineError.invalidInput("layer '\(node.name)' (\(node.className)) returned \(outputs.count) tensors, expected \(node.layer.outputCount)")
        }
        if let final = call.finalState { state.states[index] = final }
        switch node.layer.maskRule {
        case .compute: break
        case .drop:
            for k in outputs.indices { outputs[k].mask = nil }
        case .keep:
            for k in outputs.indices { outputs[k].mask = k < call.previousMasks.count ? call.previousMasks[k] : nil }
        }
        return outputs
    }
}

extension Model {
    /// The same model computing in another scalar type (weights converted; exact from float32 to float64).
    public func converted<T: EngineScalar>(to: T.Type) -> Model<T> {
        // Safe: the graph was validated when `self` was made, and conversion keeps its structure.
        Model<T>(unchecked: name, nodes: nodes.map { $0.converted(to: T.self) }, inputs: inputs, outputs: outputs)
    }

    /// The total number of weights.
    public var parameterCount: Int { nodes.map(\.layer.parameterCount).reduce(0, +) }
}

extension Node {
    func converted<T: EngineScalar>(to: T.Type) -> Node<T> {
        Node<T>(name: name, className: className, layer: layer.converted(to: T.self), inputs: inputs,
                initialState: initialState, masks: masks, previousMasks: previousMasks)
    }
}
