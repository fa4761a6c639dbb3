/// Which Keras cell a recurrent layer runs.
public indirect enum RecurrentCell<Scalar: EngineScalar>: Sendable {
    case lstm(LSTMCell<Scalar>)
    case gru(GRUCell<Scalar>)
    case simpleRNN(SimpleRNNCell<Scalar>)
    /// `StackedRNNCells`: at each step the cells run in order, each reading the previous one's
    /// output; the states are every cell's states, in cell order.
    case stacked([RecurrentCell<Scalar>])

    /// The output width (the last cell's units for a stack).
    public var units: Int {
        switch self {
        case .lstm(let c): return c.units
        case .gru(let c): return c.units
        case .simpleRNN(let c): return c.units
        case .stacked(let cells): return cells.last?.units ?? 0
        }
    }

    public var inputDim: Int {
        switch self {
        case .lstm(let c): return c.inputDim
        case .gru(let c): return c.inputDim
        case .simpleRNN(let c): return c.inputDim
        case .stacked(let cells): return cells.first?.inputDim ?? 0
        }
    }

    public var stateCount: Int {
        switch self {
        case .lstm: return 2
        case .gru, .simpleRNN: return 1
        case .stacked(let cells): return cells.map(\.stateCount).reduce(0, +)
        }
    }

    /// The width of each state, in order.
    public var stateWidths: [Int] {
        switch self {
        case .stacked(let cells): return cells.flatMap(\.stateWidths)
        default: return Array(repeating: units, count: stateCount)
        }
    }

    /// The Keras names of the states, in Keras's order.
    public var stateNames: [String] {
        switch self {
        case .lstm: return ["h", "c"]
        case .gru, .simpleRNN: return ["h"]
        case .stacked(let cells):
            return cells.enumerated().flatMap { k, c in c.stateNames.map { "\(k)_\($0)" } }
        }
    }

    /// `"LSTM"`, `"GRU"`, `"SimpleRNN"` or `"StackedRNNCells"`.
    public var kindName: String {
        switch self {
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        case .simpleRNN: return "SimpleRNN"
        case .stacked: return "StackedRNNCells"
        }
    }

    /// The input projection of `rows` input rows (see `RecurrentCellProtocol.projectInputs`).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func projectInputs(_ x: [Scalar], rows: Int) -> [Scalar] {
        switch self {
        case .lstm(let c): return c.projectInputs(x, rows: rows)
        case .gru(let c): return c.projectInputs(x, rows: rows)
        case .simpleRNN(let c): return c.projectInputs(x, rows: rows)
        case .stacked(let cells): return cells[0].projectInputs(x, rows: rows)
        }
    }

    /// The width of one projected input row.
    public var projectionWidth: Int {
        switch self {
        case .lstm(let c): return 4 * c.units
        case .gru(let c): return 3 * c.units
        case .simpleRNN(let c): return c.units
        case .stacked(let cells): return cells[0].projectionWidth
        }
    }

    /// One step (see `RecurrentCellProtocol.step`); `states` holds `stateCount` buffers.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func step(projected: ArraySlice<Scalar>, states: inout [[Scalar]], rows: Int) -> [Scalar] {
        switch self {
        case .lstm(let c): return c.step(projected: projected, states: &states, rows: rows)
        case .gru(let c): return c.step(projected: projected, states: &states, rows: rows)
        case .simpleRNN(let c): return c.step(projected: projected, states: &states, rows: rows)
        case .stacked(let cells):
            var offset = 0
            var output: [Scalar] = []
            for (k, cell) in cells.enumerated() {
                var own = Array(states[offset..<(offset + cell.stateCount)])
                let input = k == 0 ? projected : ArraySlice(cell.projectInputs(output, rows: rows))
                output = cell.step(projected: input, states: &own, rows: rows)
                states.replaceSubrange(offset..<(offset + cell.stateCount), with: own)
                offset += cell.stateCount
            }
            return output
        }
    }

    /// The number of weights.
    public var parameterCount: Int {
        switch self {
        case .lstm(let c): return c.kernel.count + c.recurrentKernel.count + (c.bias?.count ?? 0)
        case .gru(let c):
            return c.kernel.count + c.recurrentKernel.count + (c.inputBias?.count ?? 0) + (c.recurrentBias?.count ?? 0)
        case .simpleRNN(let c): return c.kernel.count + c.recurrentKernel.count + (c.bias?.count ?? 0)
        case .stacked(let cells): return cells.map(\.parameterCount).reduce(0, +)
        }
    }
}

/// What one run of a recurrent layer produced.
public struct RecurrentResult<Scalar: EngineScalar>: Sendable {
    /// `(batch, time, units)` in processing order (reversed for `go_backwards`), when asked for.
    public var sequence: Tensor<Scalar>?
    /// `(batch, units)`: the output of the last processed step (after masking).
    public var last: Tensor<Scalar>
    /// The final states, each `(batch, units)`, in Keras's order.
    public var states: [Tensor<Scalar>]
}

/// A Keras `RNN` layer (`LSTM`, `GRU`, `SimpleRNN`, or `RNN(cell)`) at inference.
///
/// Semantics follow `keras.src.backend.tensorflow.rnn.rnn`: steps run in time order, or in
/// reverse with `goBackwards`; at a masked step every state is carried over unchanged and the
/// output is the previous step's output, or zero with `zeroOutputForMask`.
public struct RecurrentLayer<Scalar: EngineScalar>: Sendable {
    public var cell: RecurrentCell<Scalar>
    public var returnSequences: Bool
    public var returnState: Bool
    public var goBackwards: Bool
    public var zeroOutputForMask: Bool
    /// Keras's `unroll=True`. It changes one result: with a mask, `go_backwards` and
    /// `zero_output_for_mask`, Keras's unrolled loop zeroes the (reversed) output sequence with
    /// the mask in *original* time order (`keras/src/backend/tensorflow/rnn.py`), and so does
    /// rnncheck.
    public var unroll = false
    /// The float32 fast path's packed weights, made on first use (and remade if `cell` changes).
    let fastCache = FastCache()

    public init(
        cell: RecurrentCell<Scalar>, returnSequences: Bool = false, returnState: Bool = false,
        goBackwards: Bool = false, zeroOutputForMask: Bool = false
    ) {
        self.cell = cell
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.zeroOutputForMask = zeroOutputForMask
    }

    public var units: Int { cell.units }

    /// The number of tensors the layer returns: the output, then the states if `returnState`.
    public var outputCount: Int { 1 + (returnState ? cell.stateCount : 0) }

    /// Runs the layer.
    ///
    /// - Parameters:
    ///   - input: `(batch, time, inputDim)`.
    ///   - mask: optional `(batch, time)`; `false` marks padding.
    ///   - initialState: nil for zeros, or one `(batch, units)` tensor per state.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func run(
        _ input: Tensor<Scalar>, mask: Mask? = nil, initialState: [Tensor<Scalar>]? = nil
    ) throws -> RecurrentResult<Scalar> {
        try validate(input, mask: mask, initialState: initialState)
        if needsUnrolledMaskOrder(mask) { return unrolledMaskOrderRun(input, mask: mask!, initialState: initialState) }
        if let fast = fastRun(input, mask: mask, initialState: initialState) { return fast }
        return genericRun(input, mask: mask, initialState: initialState)
    }

    /// Whether Keras's unrolled loop would zero this layer's outputs in another time order.
    func needsUnrolledMaskOrder(_ mask: Mask?) -> Bool {
        unroll && goBackwards && zeroOutputForMask && mask != nil
    }

    /// Keras's unrolled loop: masked steps first repeat the previous output, then the whole
    /// output sequence (in processing order) is zeroed where `mask[b, k]` is false — `k` the
    /// processing index, not the time step it read — and the last output where the last
    /// processed step is masked.
    func unrolledMaskOrderRun(_ input: Tensor<Scalar>, mask: Mask, initialState: [Tensor<Scalar>]?) -> RecurrentResult<Scalar> {
        var plain = self
        plain.zeroOutputForMask = false
        plain.unroll = false
        var result = plain.genericRun(input, mask: mask, initialState: initialState)
        let (batch, time, u) = (input.shape[0], input.shape[1], units)
        if var sequence = result.sequence {
            for b in 0..<batch {
                for k in 0..<time where !mask[b, k] {
                    for j in 0..<u { sequence.scalars[(b * time + k) * u + j] = 0 }
                }
            }
            result.sequence = sequence
        }
        for b in 0..<batch where !mask[b, 0] {  // the last processed step of a backward pass is t = 0
            for j in 0..<u { result.last.scalars[b * u + j] = 0 }
        }
        return result
    }

    /// Throws what `run` throws for a wrong input, mask or initial state.
    func validate(_ input: Tensor<Scalar>, mask: Mask?, initialState: [Tensor<Scalar>]?) throws {
        guard input.rank == 3 else {
            throw EngineError.shapeMismatch(
                what: "\(cell.kindName) input", expected: "(batch, time, \(cell.inputDim))", actual: input.shape)
        }
        let (batch, time, features) = (input.shape[0], input.shape[1], input.shape[2])
        guard features == cell.inputDim else {
            throw EngineError.shapeMismatch(
                what: "\(cell.kindName) input", expected: "(batch, time, \(cell.inputDim))", actual: input.shape)
        }
        guard time >= 1 else {
            throw EngineError.invalidInput("\(cell.kindName) input has no timesteps (shape \(input.shape))")
        }
        if let mask, mask.shape != [batch, time] {
            throw EngineError.shapeMismatch(what: "\(cell.kindName) mask", expected: "(\(batch), \(time))", actual: mask.shape)
        }
        if let initialState {
            guard initialState.count == cell.stateCount else {
                throw EngineError.invalidInput(
                    "\(cell.kindName) takes \(cell.stateCount) initial state tensor(s), got \(initialState.count)")
            }
            for (n, (s, width)) in zip(initialState, cell.stateWidths).enumerated() where s.shape != [batch, width] {
                throw EngineError.shapeMismatch(
                    what: "\(cell.kindName) initial state \(n)", expected: "(\(batch), \(width))", actual: s.shape)
            }
        }
    }

    /// The reference path: any scalar type, any cell, one step at a time in Keras's operation order.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    func genericRun(
        _ input: Tensor<Scalar>, mask: Mask?, initialState: [Tensor<Scalar>]?
    ) -> RecurrentResult<Scalar> {
        let (batch, time, features) = (input.shape[0], input.shape[1], input.shape[2])
        let u = cell.units
        var states: [[Scalar]]
        if let initialState {
            states = initialState.map { $0.scalars }
        } else {
            states = cell.stateWidths.map { [Scalar](repeating: 0, count: batch * $0) }
        }

        // Time-major copy of the input so that each step's rows are contiguous.
        var timeMajor = [Scalar](repeating: 0, count: input.count)
        for b in 0..<batch {
            for t in 0..<time {
                let src = (b * time + t) * features
                let dst = (t * batch + b) * features
                for d in 0..<features { timeMajor[dst + d] = input.scalars[src + d] }
            }
        }
        let projected = cell.projectInputs(timeMajor, rows: time * batch)
        let gateWidth = cell.projectionWidth

        var previousOutput = [Scalar](repeating: 0, count: batch * u)
        var sequence = returnSequences ? [Scalar](repeating: 0, count: batch * time * u) : []
        for k in 0..<time {
            let t = goBackwards ? time - 1 - k : k
            let slice = projected[(t * batch * gateWidth)..<((t + 1) * batch * gateWidth)]
            var newStates = states
            var output = cell.step(projected: slice, states: &newStates, rows: batch)
            if let mask {
                for b in 0..<batch where !mask[b, t] {
                    for (s, width) in cell.stateWidths.enumerated() {
                        for j in 0..<width { newStates[s][b * width + j] = states[s][b * width + j] }
                    }
                    for j in 0..<u {
                        output[b * u + j] = zeroOutputForMask ? 0 : previousOutput[b * u + j]
                    }
                }
            }
            states = newStates
            previousOutput = output
            if returnSequences {
                for b in 0..<batch {
                    let dst = (b * time + k) * u
                    for j in 0..<u { sequence[dst + j] = output[b * u + j] }
                }
            }
        }
        return RecurrentResult(
            sequence: returnSequences ? Tensor(shape: [batch, time, u], scalars: sequence) : nil,
            last: Tensor(shape: [batch, u], scalars: previousOutput),
            states: zip(states, cell.stateWidths).map { Tensor(shape: [batch, $1], scalars: $0) })
    }

    /// Runs the layer and returns what Keras returns: the output (sequence or last), then the
    /// states when `returnState`.
    public func callAsFunction(
        _ input: Tensor<Scalar>, mask: Mask? = nil, initialState: [Tensor<Scalar>]? = nil
    ) throws -> [Tensor<Scalar>] {
        let result = try run(input, mask: mask, initialState: initialState)
        let output = returnSequences ? result.sequence! : result.last
        return returnState ? [output] + result.states : [output]
    }
}

/// How Bidirectional combines the forward and backward outputs.
public enum MergeMode: String, Sendable, CaseIterable {
    /// `[forward, backward]` along the last axis.
    case concat
    case sum
    case mul
    /// `(forward + backward) / 2`.
    case ave
}

/// Keras `Bidirectional` at inference.
///
/// The backward layer reads the sequence in reverse (`go_backwards`); with `return_sequences`
/// its output is flipped back into input time order before merging. Outputs, as Keras returns
/// them: `[merged, forward states..., backward states...]`, or with `merge_mode=None`
/// `[forward, backward, forward states..., backward states...]`.
public struct BidirectionalLayer<Scalar: EngineScalar>: Sendable {
    public var forward: RecurrentLayer<Scalar>
    public var backward: RecurrentLayer<Scalar>
    /// nil is Keras's `merge_mode=None`.
    public var mergeMode: MergeMode?

    public init(forward: RecurrentLayer<Scalar>, backward: RecurrentLayer<Scalar>, mergeMode: MergeMode?) {
        self.forward = forward
        self.backward = backward
        self.mergeMode = mergeMode
    }

    public var returnSequences: Bool { forward.returnSequences }
    public var returnState: Bool { forward.returnState }

    public var outputCount: Int {
        (mergeMode == nil ? 2 : 1) + (returnState ? forward.cell.stateCount + backward.cell.stateCount : 0)
    }

    public func callAsFunction(
        _ input: Tensor<Scalar>, mask: Mask? = nil, initialState: [Tensor<Scalar>]? = nil
    ) throws -> [Tensor<Scalar>] {
        try run(input, mask: mask, initialState: initialState).outputs
    }

    /// Runs both directions; returns Keras's outputs and the final states (forward, then
    /// backward) whether or not `returnState` asks for them.
    public func run(
        _ input: Tensor<Scalar>, mask: Mask? = nil, initialState: [Tensor<Scalar>]? = nil
    ) throws -> (outputs: [Tensor<Scalar>], finalStates: [Tensor<Scalar>]) {
        var forwardState: [Tensor<Scalar>]?
        var backwardState: [Tensor<Scalar>]?
        if let initialState {
            let half = forward.cell.stateCount
            guard initialState.count == half + backward.cell.stateCount else {
                throw EngineError.invalidInput(
                    "Bidirectional takes \(half + backward.cell.stateCount) initial state tensors, got \(initialState.count)")
            }
            forwardState = Array(initialState[..<half])
            backwardState = Array(initialState[half...])
        }
        try forward.validate(input, mask: mask, initialState: forwardState)
        try backward.validate(input, mask: mask, initialState: backwardState)
        let f: RecurrentResult<Scalar>
        let b: RecurrentResult<Scalar>
        var backwardFlipped = false
        if forward.needsUnrolledMaskOrder(mask) || backward.needsUnrolledMaskOrder(mask) {
            f = try forward.run(input, mask: mask, initialState: forwardState)
            b = try backward.run(input, mask: mask, initialState: backwardState)
        } else if let fast = fastRun(input, mask: mask, forwardState: forwardState, backwardState: backwardState) {
            switch fast {
            case .merged(let outputs, let finalStates):
                return (outputs, finalStates)
            case .directions(let ff, let bb):
                (f, b) = (ff, bb)
                backwardFlipped = true
            }
        } else {
            f = forward.genericRun(input, mask: mask, initialState: forwardState)
            b = backward.genericRun(input, mask: mask, initialState: backwardState)
        }
        let finalStates = f.states + b.states
        var y = forward.returnSequences ? f.sequence! : f.last
        var yRev = backward.returnSequences ? b.sequence! : b.last
        if returnSequences && !backwardFlipped { yRev = Self.flipTime(yRev) }
        let states = returnState ? finalStates : []
        guard let mergeMode else { return ([y, yRev] + states, finalStates) }
        guard y.shape.dropLast() == yRev.shape.dropLast() else {
            throw EngineError.shapeMismatch(
                what: "Bidirectional backward output", expected: "\(y.shape)", actual: yRev.shape)
        }
        switch mergeMode {
        case .concat:
            let (n1, n2) = (y.shape.last!, yRev.shape.last!)
            let rows = y.count / n1
            var out = [Scalar](repeating: 0, count: rows * (n1 + n2))
            for r in 0..<rows {
                for j in 0..<n1 { out[r * (n1 + n2) + j] = y.scalars[r * n1 + j] }
                for j in 0..<n2 { out[r * (n1 + n2) + n1 + j] = yRev.scalars[r * n2 + j] }
            }
            y = Tensor(shape: Array(y.shape.dropLast()) + [n1 + n2], scalars: out)
        case .sum, .mul, .ave:
            guard y.shape == yRev.shape else {
                throw EngineError.shapeMismatch(
                    what: "Bidirectional backward output", expected: "\(y.shape)", actual: yRev.shape)
            }
            for i in y.scalars.indices {
                switch mergeMode {
                case .sum: y.scalars[i] = y.scalars[i] + yRev.scalars[i]
                case .mul: y.scalars[i] = y.scalars[i] * yRev.scalars[i]
                default: y.scalars[i] = (y.scalars[i] + yRev.scalars[i]) / 2
                }
            }
        }
        return ([y] + states, finalStates)
    }

    /// Reverses axis 1 of a `(batch, time, features)` tensor.
    static func flipTime(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let (batch, time, n) = (x.shape[0], x.shape[1], x.shape[2])
        var out = x.scalars
        for b in 0..<batch {
            for t in 0..<time {
                let src = (b * time + t) * n
                let dst = (b * time + (time - 1 - t)) * n
                for j in 0..<n { out[dst + j] = x.scalars[src + j] }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }
}

// MARK: - As layers of a model

extension RecurrentLayer: Layer {
    /// Keras's `RNN.compute_mask`: the sequence output carries the mask the layer received
    /// (`previous_mask`); the last output and the states carry none.
    public var maskRule: MaskRule { .compute }
    public var parameterCount: Int { cell.parameterCount }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, cell.kindName)
        guard x.count == 2, x[1] == nil || x[1] == cell.inputDim else {
            throw EngineError.invalidInput("\(cell.kindName) with \(cell.inputDim) input features takes (batch, time, \(cell.inputDim)), got \(Shapes.describe(x))")
        }
        let out: SymbolicShape = returnSequences ? [x[0], units] : [units]
        return [out] + (returnState ? cell.stateWidths.map { [$0] } : [])
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single(cell.kindName)
        let result = try run(x.tensor, mask: call.masks[0], initialState: call.initialState)
        call.finalState = result.states
        let output = returnSequences ? result.sequence! : result.last
        let outputMask = returnSequences ? call.previousMasks[0] : nil
        return [Value(output, mask: outputMask)] + (returnState ? result.states.map { Value($0) } : [])
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { convertedLayer(to: T.self) }

    public func outputName(_ index: Int) -> String { index == 0 ? "output" : "state_" + cell.stateNames[index - 1] }

    public var summary: String {
        var parts = ["\(cell.kindName)(units=\(units))"]
        switch cell {
        case .lstm(let c):
            parts += ["activation=\(c.activation)", "recurrent_activation=\(c.recurrentActivation)", "use_bias=\(c.bias != nil)"]
        case .gru(let c):
            parts += ["activation=\(c.activation)", "recurrent_activation=\(c.recurrentActivation)",
                      "use_bias=\(c.inputBias != nil)", "reset_after=\(c.resetAfter)"]
        case .simpleRNN(let c):
            parts += ["activation=\(c.activation)", "use_bias=\(c.bias != nil)"]
        case .stacked(let cells):
            parts += ["cells: " + cells.map { RecurrentLayer(cell: $0).summary }.joined(separator: "; ")]
        }
        parts += ["return_sequences=\(returnSequences)", "return_state=\(returnState)",
                  "go_backwards=\(goBackwards)", "zero_output_for_mask=\(zeroOutputForMask)"]
        return parts.joined(separator: " ")
    }

    func convertedLayer<T: EngineScalar>(to: T.Type) -> RecurrentLayer<T> {
        var layer = RecurrentLayer<T>(cell: cell.converted(to: T.self), returnSequences: returnSequences, returnState: returnState,
                                      goBackwards: goBackwards, zeroOutputForMask: zeroOutputForMask)
        layer.unroll = unroll
        return layer
    }
}

extension RecurrentCell {
    /// The same cell in another scalar type.
    func converted<T: EngineScalar>(to: T.Type) -> RecurrentCell<T> {
        switch self {
        case .lstm(let x):
            return .lstm(LSTMCell<T>(units: x.units, inputDim: x.inputDim, kernel: x.kernel.converted(),
                recurrentKernel: x.recurrentKernel.converted(), bias: x.bias?.converted(),
                activation: x.activation, recurrentActivation: x.recurrentActivation))
        case .gru(let x):
            return .gru(GRUCell<T>(units: x.units, inputDim: x.inputDim, kernel: x.kernel.converted(),
                recurrentKernel: x.recurrentKernel.converted(), inputBias: x.inputBias?.converted(),
                recurrentBias: x.recurrentBias?.converted(), resetAfter: x.resetAfter,
                activation: x.activation, recurrentActivation: x.recurrentActivation))
        case .simpleRNN(let x):
            return .simpleRNN(SimpleRNNCell<T>(units: x.units, inputDim: x.inputDim, kernel: x.kernel.converted(),
                recurrentKernel: x.recurrentKernel.converted(), bias: x.bias?.converted(), activation: x.activation))
        case .stacked(let cells):
            return .stacked(cells.map { $0.converted(to: T.self) })
        }
    }
}

extension BidirectionalLayer: Layer {
    /// Keras's `Bidirectional.compute_mask`: with `return_sequences` the (one or two) sequence
    /// outputs carry the mask the layer received; states carry none.
    public var maskRule: MaskRule { .compute }
    public var parameterCount: Int { forward.cell.parameterCount + backward.cell.parameterCount }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let f = try forward.outputShapes(for: inputs)
        let b = try backward.outputShapes(for: inputs)
        var shapes: [SymbolicShape]
        switch mergeMode {
        case nil: shapes = [f[0], b[0]]
        case .concat?: shapes = [Array(f[0].dropLast()) + [forward.units + backward.units]]
        default:
            guard forward.units == backward.units else {
                throw EngineError.invalidInput("merge_mode '\(mergeMode!.rawValue)' needs forward and backward layers of the same units, got \(forward.units) and \(backward.units)")
            }
            shapes = [f[0]]
        }
        return shapes + (returnState ? Array(f.dropFirst()) + Array(b.dropFirst()) : [])
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("Bidirectional")
        let (outs, finalStates) = try run(x.tensor, mask: call.masks[0], initialState: call.initialState)
        call.finalState = finalStates
        let sequenceOutputs = mergeMode == nil ? 2 : 1
        return outs.enumerated().map { n, t in
            Value(t, mask: n < sequenceOutputs && returnSequences ? call.previousMasks[0] : nil)
        }
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        BidirectionalLayer<T>(forward: forward.convertedLayer(to: T.self), backward: backward.convertedLayer(to: T.self), mergeMode: mergeMode)
    }

    public func outputName(_ index: Int) -> String {
        let seq = mergeMode == nil ? 2 : 1
        if index < seq { return mergeMode == nil ? (index == 0 ? "forward_output" : "backward_output") : "output" }
        let k = index - seq
        let fCount = forward.cell.stateCount
        return k < fCount ? "forward_" + forward.cell.stateNames[k] : "backward_" + backward.cell.stateNames[k - fCount]
    }

    public var summary: String {
        "merge_mode=\(mergeMode?.rawValue ?? "None")\n    forward: \(forward.summary)\n    backward: \(backward.summary)"
    }
}
