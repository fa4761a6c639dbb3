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

/// What a node computes.
public enum LayerOperation<Scalar: EngineScalar>: Sendable {
    /// A model input; `shape` leaves out the batch axis, nil extents accept any size.
    case input(shape: [Int?])
    case recurrent(RecurrentLayer<Scalar>)
    case bidirectional(BidirectionalLayer<Scalar>)
    case dense(DenseLayer<Scalar>)
    /// `TimeDistributed(Dense)`: the Dense applied at every timestep.
    case timeDistributedDense(DenseLayer<Scalar>)
    case embedding(EmbeddingLayer<Scalar>)
    /// `Masking(mask_value)`.
    case masking(maskValue: Scalar)
    /// Layers that are the identity at inference (Dropout, SpatialDropout1D, GaussianNoise, ...).
    case identity
    case activation(Activation)
    case merge(MergeOperation)
    /// Keras 3's mask op `NotEqual(x, value)`: a boolean tensor.
    case notEqual(Scalar)
    /// Keras 3's mask op `Any(x, axis)`: a boolean reduction.
    case any(axis: Int, keepdims: Bool)

    /// How many tensors the operation produces.
    public var outputCount: Int {
        switch self {
        case .recurrent(let r): return r.outputCount
        case .bidirectional(let b): return b.outputCount
        default: return 1
        }
    }
}

/// The recurrent states a model leaves behind, keyed by node, for streaming.
public struct StreamingState<Scalar: EngineScalar>: Sendable {
    /// For each recurrent node, its final states (Bidirectional: forward's, then backward's).
    public var states: [Int: [Tensor<Scalar>]] = [:]

    public init() {}

    /// Forgets every carried state (Keras's `reset_states()`).
    public mutating func reset() { states = [:] }
}

/// Where a node takes its mask from.
public enum MaskSource: Sendable, Equatable {
    /// From its first input, as Keras propagates masks between layers (Sequential, Keras 2).
    case implicit
    /// From a boolean tensor passed as `mask=` (Keras 3 functional configs).
    case explicit(TensorRef)
    /// No mask at all.
    case none
}

/// One call of a layer in a model graph.
public struct Node<Scalar: EngineScalar>: Sendable {
    /// The Keras layer name.
    public var name: String
    /// The Keras class name, for reports (`"LSTM"`, `"Bidirectional"`, ...).
    public var className: String
    public var operation: LayerOperation<Scalar>
    public var inputs: [TensorRef]
    /// Initial states passed as `initial_state=`, in Keras's order.
    public var initialState: [TensorRef]
    public var maskSource: MaskSource

    public init(
        name: String, className: String, operation: LayerOperation<Scalar>, inputs: [TensorRef] = [],
        initialState: [TensorRef] = [], maskSource: MaskSource = .implicit
    ) {
        self.name = name
        self.className = className
        self.operation = operation
        self.inputs = inputs
        self.initialState = initialState
        self.maskSource = maskSource
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
    /// The input nodes, in model input order.
    public var inputs: [Int]
    public var outputs: [ModelOutput]

    /// Creates a model, checking that every reference points backwards to an existing output.
    public init(name: String, nodes: [Node<Scalar>], inputs: [Int], outputs: [ModelOutput]) throws {
        for (index, node) in nodes.enumerated() {
            let refs = node.inputs + node.initialState + {
                if case .explicit(let r) = node.maskSource { return [r] } else { return [] }
            }()
            for ref in refs where ref.node >= index || ref.node < 0 || ref.output >= nodes[ref.node].operation.outputCount {
                throw EngineError.invalidInput("node '\(node.name)' refers to \(ref), which is not an earlier output")
            }
        }
        for i in inputs {
            guard nodes.indices.contains(i), case .input = nodes[i].operation else {
                throw EngineError.invalidInput("model input \(i) is not an input node")
            }
        }
        for o in outputs where !nodes.indices.contains(o.ref.node) || o.ref.output >= nodes[o.ref.node].operation.outputCount {
            throw EngineError.invalidInput("model output '\(o.name)' refers to \(o.ref), which does not exist")
        }
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
    }

    /// A value flowing through the graph: a tensor, its Keras mask, and whether it is boolean.
    struct Value {
        var tensor: Tensor<Scalar>
        var mask: Mask?
        var isBoolean = false
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
    public func predict(_ inputValues: [Tensor<Scalar>], carrying state: inout StreamingState<Scalar>) throws -> [Tensor<Scalar>] {
        guard inputValues.count == inputs.count else {
            throw EngineError.invalidInput("model '\(name)' takes \(inputs.count) input(s), got \(inputValues.count)")
        }
        var values = [[Value]](repeating: [], count: nodes.count)
        for (n, nodeIndex) in inputs.enumerated() {
            guard case .input(let shape) = nodes[nodeIndex].operation else { continue }
            let x = inputValues[n]
            let expected = "(batch, " + shape.map { $0.map(String.init) ?? "any" }.joined(separator: ", ") + ")"
            guard x.rank == shape.count + 1 else {
                throw EngineError.shapeMismatch(what: "input \(n) ('\(nodes[nodeIndex].name)')", expected: expected, actual: x.shape)
            }
            for (axis, extent) in shape.enumerated() {
                if let extent, x.shape[axis + 1] != extent {
                    throw EngineError.shapeMismatch(what: "input \(n) ('\(nodes[nodeIndex].name)')", expected: expected, actual: x.shape)
                }
            }
            values[nodeIndex] = [Value(tensor: x, mask: nil)]
        }
        for (index, node) in nodes.enumerated() {
            if case .input = node.operation {
                guard !values[index].isEmpty else {
                    throw EngineError.invalidInput("input node '\(node.name)' is not a model input")
                }
                continue
            }
            values[index] = try evaluate(node, index: index, values: values, state: &state)
        }
        return outputs.map { values[$0.ref.node][$0.ref.output].tensor }
    }

    private func evaluate(
        _ node: Node<Scalar>, index: Int, values: [[Value]], state: inout StreamingState<Scalar>
    ) throws -> [Value] {
        let args = node.inputs.map { values[$0.node][$0.output] }
        var states = node.initialState.map { values[$0.node][$0.output].tensor }
        if states.isEmpty, let carried = state.states[index] { states = carried }
        func first() throws -> Value {
            guard let v = args.first else {
                throw EngineError.invalidInput("layer '\(node.name)' has no input")
            }
            return v
        }
        let mask: Mask?
        switch node.maskSource {
        case .none: mask = nil
        case .implicit: mask = args.first?.mask
        case .explicit(let ref): mask = try Self.mask(from: values[ref.node][ref.output].tensor, layer: node.name)
        }
        do {
            switch node.operation {
            case .input:
                return [try first()]
            case .recurrent(let layer):
                let result = try layer.run(try first().tensor, mask: mask, initialState: states.isEmpty ? nil : states)
                state.states[index] = result.states
                let output = layer.returnSequences ? result.sequence! : result.last
                let outs = layer.returnState ? [output] + result.states : [output]
                return outs.enumerated().map { n, t in Value(tensor: t, mask: n == 0 && layer.returnSequences ? mask : nil) }
            case .bidirectional(let layer):
                let (outs, finalStates) = try layer.run(try first().tensor, mask: mask, initialState: states.isEmpty ? nil : states)
                state.states[index] = finalStates
                let sequenceOutputs = layer.mergeMode == nil ? 2 : 1
                return outs.enumerated().map { n, t in
                    Value(tensor: t, mask: n < sequenceOutputs && layer.returnSequences ? mask : nil)
                }
            case .dense(let dense):
                let x = try first()
                return [Value(tensor: try dense(x.tensor), mask: x.mask)]
            case .timeDistributedDense(let dense):
                let x = try first()
                guard x.tensor.rank >= 3 else {
                    throw EngineError.shapeMismatch(
                        what: "TimeDistributed input", expected: "(batch, time, ...)", actual: x.tensor.shape)
                }
                return [Value(tensor: try dense(x.tensor), mask: x.mask)]
            case .embedding(let embedding):
                let ids = try first().tensor
                var outMask: Mask?
                if embedding.maskZero {
                    guard ids.rank == 2 else {
                        throw EngineError.shapeMismatch(what: "Embedding input", expected: "(batch, time)", actual: ids.shape)
                    }
                    outMask = Mask(batch: ids.shape[0], time: ids.shape[1], values: ids.scalars.map { $0 != 0 })
                }
                return [Value(tensor: try embedding(ids), mask: outMask)]
            case .masking(let maskValue):
                let x = try first().tensor
                guard x.rank == 3 else {
                    throw EngineError.shapeMismatch(what: "Masking input", expected: "(batch, time, features)", actual: x.shape)
                }
                let (batch, time, n) = (x.shape[0], x.shape[1], x.shape[2])
                var keep = [Bool](repeating: false, count: batch * time)
                var out = x.scalars
                for row in 0..<(batch * time) {
                    keep[row] = (0..<n).contains { x.scalars[row * n + $0] != maskValue }
                    let factor: Scalar = keep[row] ? 1 : 0
                    for j in 0..<n { out[row * n + j] = x.scalars[row * n + j] * factor }
                }
                return [Value(tensor: Tensor(shape: x.shape, scalars: out), mask: Mask(batch: batch, time: time, values: keep))]
            case .identity:
                return [try first()]
            case .activation(let activation):
                var x = try first()
                activation.apply(to: &x.tensor.scalars, rowLength: x.tensor.shape.last ?? 1)
                return [x]
            case .merge(let op):
                return [try Self.merge(op, args, layer: node.name)]
            case .notEqual(let value):
                let x = try first().tensor
                return [Value(tensor: Tensor(shape: x.shape, scalars: x.scalars.map { $0 != value ? 1 : 0 }), mask: nil, isBoolean: true)]
            case .any(let axis, let keepdims):
                let x = try first().tensor
                return [Value(tensor: try Self.reduceAny(x, axis: axis, keepdims: keepdims), mask: nil, isBoolean: true)]
            }
        } catch let error as EngineError {
            throw EngineError.invalidInput("layer '\(node.name)' (\(node.className)): " + (error.errorDescription ?? "\(error)"))
        }
    }

    static func mask(from tensor: Tensor<Scalar>, layer: String) throws -> Mask {
        guard tensor.rank == 2 else {
            throw EngineError.shapeMismatch(what: "mask passed to '\(layer)'", expected: "(batch, time)", actual: tensor.shape)
        }
        return Mask(batch: tensor.shape[0], time: tensor.shape[1], values: tensor.scalars.map { $0 != 0 })
    }

    static func reduceAny(_ x: Tensor<Scalar>, axis: Int, keepdims: Bool) throws -> Tensor<Scalar> {
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0 && a < x.rank else {
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
        return Tensor(shape: shape, scalars: out)
    }

    static func merge(_ op: MergeOperation, _ args: [Value], layer: String) throws -> Value {
        guard let head = args.first else { throw EngineError.invalidInput("merge layer '\(layer)' has no inputs") }
        let masks = args.compactMap(\.mask)
        let mask = masks.dropFirst().reduce(masks.first) { $0?.and($1) }
        if case .concatenate(let axis) = op {
            let rank = head.tensor.rank
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0 && a < rank else {
                throw EngineError.invalidInput("Concatenate axis \(axis) for rank \(rank)")
            }
            for arg in args where arg.tensor.rank != rank
                || zip(arg.tensor.shape, head.tensor.shape).enumerated().contains(where: { $0.offset != a && $0.element.0 != $0.element.1 }) {
                throw EngineError.shapeMismatch(what: "Concatenate input", expected: "\(head.tensor.shape) except axis \(a)", actual: arg.tensor.shape)
            }
            let outer = head.tensor.shape[..<a].reduce(1, *)
            let inners = args.map { $0.tensor.shape[a...].reduce(1, *) }
            var out = [Scalar]()
            out.reserveCapacity(outer * inners.reduce(0, +))
            for o in 0..<outer {
                for (arg, inner) in zip(args, inners) {
                    out.append(contentsOf: arg.tensor.scalars[(o * inner)..<((o + 1) * inner)])
                }
            }
            var shape = head.tensor.shape
            shape[a] = args.map { $0.tensor.shape[a] }.reduce(0, +)
            return Value(tensor: Tensor(shape: shape, scalars: out), mask: mask)
        }
        for arg in args where arg.tensor.shape != head.tensor.shape {
            throw EngineError.shapeMismatch(what: "merge input of '\(layer)'", expected: "\(head.tensor.shape)", actual: arg.tensor.shape)
        }
        var out = head.tensor.scalars
        for arg in args.dropFirst() {
            for i in out.indices {
                let v = arg.tensor.scalars[i]
                switch op {
                case .add, .average: out[i] = out[i] + v
                case .subtract: out[i] = out[i] - v
                case .multiply: out[i] = out[i] * v
                case .maximum: out[i] = Swift.max(out[i], v)
                case .minimum: out[i] = Swift.min(out[i], v)
                case .concatenate: break
                }
            }
        }
        if op == .average {
            let n = Scalar(args.count)
            for i in out.indices { out[i] = out[i] / n }
        }
        return Value(tensor: Tensor(shape: head.tensor.shape, scalars: out), mask: mask)
    }
}

extension Model {
    /// The same model computing in another scalar type (weights converted; exact from float32 to float64).
    public func converted<T: EngineScalar>(to: T.Type) -> Model<T> {
        // Safe: the graph was validated when `self` was made, and conversion keeps its structure.
        Model<T>(unchecked: name, nodes: nodes.map { $0.converted(to: T.self) }, inputs: inputs, outputs: outputs)
    }

    init(unchecked name: String, nodes: [Node<Scalar>], inputs: [Int], outputs: [ModelOutput]) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The total number of weights.
    public var parameterCount: Int { nodes.map(\.operation.parameterCount).reduce(0, +) }
}

extension Node {
    func converted<T: EngineScalar>(to: T.Type) -> Node<T> {
        Node<T>(name: name, className: className, operation: operation.converted(to: T.self),
                inputs: inputs, initialState: initialState, maskSource: maskSource)
    }
}

extension LayerOperation {
    func converted<T: EngineScalar>(to: T.Type) -> LayerOperation<T> {
        switch self {
        case .input(let shape): return .input(shape: shape)
        case .recurrent(let r): return .recurrent(r.converted(to: T.self))
        case .bidirectional(let b):
            return .bidirectional(BidirectionalLayer<T>(
                forward: b.forward.converted(to: T.self), backward: b.backward.converted(to: T.self), mergeMode: b.mergeMode))
        case .dense(let d): return .dense(d.converted(to: T.self))
        case .timeDistributedDense(let d): return .timeDistributedDense(d.converted(to: T.self))
        case .embedding(let e):
            return .embedding(EmbeddingLayer<T>(
                inputDim: e.inputDim, outputDim: e.outputDim, embeddings: e.embeddings.map { T($0) }, maskZero: e.maskZero))
        case .masking(let v): return .masking(maskValue: T(v))
        case .identity: return .identity
        case .activation(let a): return .activation(a)
        case .merge(let m): return .merge(m)
        case .notEqual(let v): return .notEqual(T(v))
        case .any(let axis, let keepdims): return .any(axis: axis, keepdims: keepdims)
        }
    }

    /// The number of weights.
    public var parameterCount: Int {
        switch self {
        case .recurrent(let r): return r.cell.parameterCount
        case .bidirectional(let b): return b.forward.cell.parameterCount + b.backward.cell.parameterCount
        case .dense(let d), .timeDistributedDense(let d): return d.kernel.count + (d.bias?.count ?? 0)
        case .embedding(let e): return e.embeddings.count
        default: return 0
        }
    }
}

extension DenseLayer {
    func converted<T: EngineScalar>(to: T.Type) -> DenseLayer<T> {
        DenseLayer<T>(inputDim: inputDim, units: units, kernel: kernel.map { T($0) },
                      bias: bias.map { $0.map { T($0) } }, activation: activation)
    }
}

extension RecurrentLayer {
    static func convert<T: EngineScalar>(_ cell: RecurrentCell<Scalar>, to: T.Type) -> RecurrentCell<T> {
        switch cell {
        case .stacked(let cells): return .stacked(cells.map { convert($0, to: T.self) })
        default: return RecurrentLayer(cell: cell).converted(to: T.self).cell
        }
    }

    func converted<T: EngineScalar>(to: T.Type) -> RecurrentLayer<T> {
        let newCell: RecurrentCell<T>
        func c(_ a: [Scalar]) -> [T] { a.map { T($0) } }
        switch cell {
        case .lstm(let x):
            newCell = .lstm(LSTMCell<T>(units: x.units, inputDim: x.inputDim, kernel: c(x.kernel),
                recurrentKernel: c(x.recurrentKernel), bias: x.bias.map(c),
                activation: x.activation, recurrentActivation: x.recurrentActivation))
        case .gru(let x):
            newCell = .gru(GRUCell<T>(units: x.units, inputDim: x.inputDim, kernel: c(x.kernel),
                recurrentKernel: c(x.recurrentKernel), inputBias: x.inputBias.map(c),
                recurrentBias: x.recurrentBias.map(c), resetAfter: x.resetAfter,
                activation: x.activation, recurrentActivation: x.recurrentActivation))
        case .simpleRNN(let x):
            newCell = .simpleRNN(SimpleRNNCell<T>(units: x.units, inputDim: x.inputDim, kernel: c(x.kernel),
                recurrentKernel: c(x.recurrentKernel), bias: x.bias.map(c), activation: x.activation))
        case .stacked:
            newCell = Self.convert(cell, to: T.self)
        }
        var layer = RecurrentLayer<T>(cell: newCell, returnSequences: returnSequences, returnState: returnState,
                                      goBackwards: goBackwards, zeroOutputForMask: zeroOutputForMask)
        layer.unroll = unroll
        return layer
    }
}
