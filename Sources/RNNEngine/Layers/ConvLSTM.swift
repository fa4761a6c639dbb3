/// `ConvLSTM1D/2D/3D`: an LSTM whose products are convolutions (Keras's `ConvLSTMCell`).
///
/// At each step, with gate order i, f, c, o along the kernels' last axis:
/// `z = (conv(x_t, W) + b) + conv(h, U)`; `i = σ(z_i)`, `f = σ(z_f)`, `c' = f·c + i·act(z_c)`,
/// `o = σ(z_o)`, `h' = o·act(c')`. The input convolution has the layer's strides, padding and
/// dilation; the recurrent one is always stride 1, `same`, undilated. Inputs are
/// `(batch, time, spatial…, channels)`; states and outputs `(batch, spatial′…, filters)`.
/// Masks are `(batch, time)`, or `(batch, time, p…)` with `p` the leading extents of the state's
/// grid (`Masking` on a 5-D input gives `(batch, time, rows, cols)`): Keras's `tf.where`
/// broadcasts the mask over the other axes, so each masked position keeps its states and
/// repeats its previous output (zeros with `zeroOutputForMask`) while the others run. Keras
/// cannot run any other mask shape, and neither does this layer.
public struct ConvLSTMLayer<Scalar: EngineScalar>: Layer {
    public var input: ConvolutionLayer<Scalar>
    public var recurrent: ConvolutionLayer<Scalar>
    public var activation: Activation
    public var recurrentActivation: Activation
    public var returnSequences: Bool
    public var returnState: Bool
    public var goBackwards: Bool
    /// Keras 3's `zero_output_for_mask` (tf.keras's ConvRNN ignores the option: the importer
    /// leaves it false for Keras 2 files).
    public var zeroOutputForMask: Bool
    /// Keras 3's `unroll=True`. It changes one result: with a `(batch, time)` mask, `go_backwards`
    /// and `zero_output_for_mask`, Keras's unrolled loop zeroes the (reversed) output sequence
    /// with the mask in its original time order. Keras cannot run a per-position mask unrolled.
    public var unroll: Bool

    public init(input: ConvolutionLayer<Scalar>, recurrent: ConvolutionLayer<Scalar>, activation: Activation = .tanh,
                recurrentActivation: Activation = .sigmoid, returnSequences: Bool = false, returnState: Bool = false,
                goBackwards: Bool = false, zeroOutputForMask: Bool = false, unroll: Bool = false) {
        precondition(input.filters == recurrent.filters && recurrent.inputChannels * 4 == recurrent.filters)
        self.input = input
        self.recurrent = recurrent
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.zeroOutputForMask = zeroOutputForMask
        self.unroll = unroll
    }

    public var filters: Int { recurrent.inputChannels }
    var dimensions: Int { input.geometry.kernel.count }
    var name: String { "ConvLSTM\(dimensions)D" }
    public var maskRule: MaskRule { .compute }
    public var outputCount: Int { returnState ? 3 : 1 }
    public var parameterCount: Int { input.parameterCount + recurrent.parameterCount }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, name)
        guard x.count == dimensions + 2 else {
            throw EngineError.invalidInput("\(name) takes (batch, time, \(dimensions) spatial axes, channels), got \(Shapes.describe(x))")
        }
        // The input convolution's extents, with the layer's filters (it computes all four gates).
        let frame = Array(try input.outputShapes(for: [Array(x.dropFirst())])[0].dropLast()) + [filters]
        let sequence: SymbolicShape = returnSequences ? [x[0]] + frame : frame
        return [sequence] + (returnState ? [frame, frame] : [])
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single(name).tensor
        guard x.rank == dimensions + 3 else {
            throw EngineError.shapeMismatch(what: "\(name) input", expected: "rank \(dimensions + 3)", actual: x.shape)
        }
        let (batch, time) = (x.shape[0], x.shape[1])
        guard time >= 1 else { throw EngineError.invalidInput("\(name) input has no timesteps (shape \(EngineError.format(x.shape)))") }
        // The state grid, known before anything is computed.
        let frameShape = input.geometry.output(Array(x.shape.dropFirst(2).dropLast())).extents
        guard frameShape.allSatisfy({ $0 >= 1 }) else {
            throw EngineError.invalidInput("\(name) kernel \(input.geometry.kernel) (dilation \(input.geometry.dilation)) is larger than its input frames \(EngineError.format(Array(x.shape.dropFirst(2))))")
        }
        let positions = frameShape.reduce(1, *)
        let mask = call.masks[0]
        // Positions that share one mask flag (all of a frame's for a (batch, time) mask).
        var positionsPerFlag = positions
        if let mask {
            let extra = Array(mask.shape.dropFirst(2))
            guard mask.rank >= 2, mask.shape[0] == batch, mask.shape[1] == time, extra.count <= dimensions,
                  extra == Array(frameShape.prefix(extra.count)) else {
                throw EngineError.invalidInput(
                    "\(name) cannot apply a mask of shape \(EngineError.format(mask.shape)) to states of shape \(EngineError.format([batch] + frameShape + [filters])) "
                        + "(Keras cannot either: a mask is (batch, time) or masks positions of the state's grid, which padding='same' with strides 1 keeps equal to the input's)")
            }
            if unroll, !extra.isEmpty {
                throw EngineError.invalidInput("\(name) with unroll=True cannot apply the per-position mask of shape \(EngineError.format(mask.shape)) (Keras cannot either)")
            }
            positionsPerFlag = extra.reduce(positions) { $0 / $1 }
        }
        let flagsPerStep = positions / Swift.max(positionsPerFlag, 1)
        // Every frame's input convolution at once, bias included.
        let frames = Tensor(shape: [batch * time] + x.shape.dropFirst(2), scalars: x.scalars)
        let projected = try input.convolve(frames)
        guard Array(projected.shape.dropFirst().dropLast()) == frameShape else {
            throw EngineError.shapeMismatch(what: "\(name) input convolution", expected: EngineError.format(frameShape), actual: projected.shape)
        }
        let f = filters
        let stateCount = batch * positions * f
        var h = [Scalar](repeating: 0, count: stateCount), c = h
        if let initial = call.initialState {
            guard initial.count == 2, initial.allSatisfy({ $0.shape == [batch] + frameShape + [f] }) else {
                throw EngineError.invalidInput("\(name) takes two initial states of shape \(EngineError.format([batch] + frameShape + [f]))")
            }
            (h, c) = (initial[0].scalars, initial[1].scalars)
        }
        if mask == nil, let fast = fastRecurrence(projected: projected, batch: batch, time: time, frameShape: frameShape,
                                                  initial: call.initialState == nil ? nil : (h, c)) {
            let states = [Tensor(shape: [batch] + frameShape + [f], scalars: fast.h), Tensor(shape: [batch] + frameShape + [f], scalars: fast.c)]
            call.finalState = states
            let main = returnSequences ? Value(Tensor(shape: [batch, time] + frameShape + [f], scalars: fast.main), mask: call.previousMasks[0])
                                       : Value(Tensor(shape: [batch] + frameShape + [f], scalars: fast.main))
            return [main] + (returnState ? states.map { Value($0) } : [])
        }
        // Keras's loop starts from a zero "previous output", whatever the initial state.
        var output = [Scalar](repeating: 0, count: stateCount)
        var sequence = returnSequences ? [Scalar](repeating: 0, count: time * stateCount) : []
        let stride4 = 4 * f
        // Keras's unrolled loop carries the previous output at masked steps and zeroes afterwards.
        let unrolledZeroing = unroll && goBackwards && zeroOutputForMask && mask != nil
        let zeroMasked = zeroOutputForMask && !unrolledZeroing
        for k in 0..<time {
            let t = goBackwards ? time - 1 - k : k
            let z = try recurrent.convolve(Tensor(shape: [batch] + frameShape + [f], scalars: h)).scalars
            var newH = h, newC = c
            for b in 0..<batch {
                for p in 0..<positions {
                    let keep = mask.map { $0.values[(b * time + t) * flagsPerStep + p / positionsPerFlag] } ?? true
                    let row = b * positions + p
                    let xz = ((b * time + t) * positions + p) * stride4, hz = row * stride4
                    for j in 0..<f {
                        let s = row * f + j
                        guard keep else {
                            if zeroMasked { output[s] = 0 }
                            continue
                        }
                        let i = recurrentActivation(projected.scalars[xz + j] + z[hz + j])
                        let fg = recurrentActivation(projected.scalars[xz + f + j] + z[hz + f + j])
                        let cNew = fg * c[s] + i * activation(projected.scalars[xz + 2 * f + j] + z[hz + 2 * f + j])
                        let o = recurrentActivation(projected.scalars[xz + 3 * f + j] + z[hz + 3 * f + j])
                        newC[s] = cNew
                        newH[s] = o * activation(cNew)
                        output[s] = newH[s]
                    }
                }
            }
            (h, c) = (newH, newC)
            if returnSequences {
                for b in 0..<batch {
                    let src = b * positions * f, dst = (b * time + k) * positions * f
                    for q in 0..<(positions * f) { sequence[dst + q] = output[src + q] }
                }
            }
        }
        if unrolledZeroing, let mask {
            // The processing-order outputs zeroed with the mask in original order; the last
            // output where the last processed step is masked.
            let row = positions * f
            for b in 0..<batch {
                if returnSequences {
                    for k in 0..<time where !mask[b, k] {
                        for q in 0..<row { sequence[(b * time + k) * row + q] = 0 }
                    }
                } else if !mask[b, 0] {
                    for q in 0..<row { output[b * row + q] = 0 }
                }
            }
        }
        call.finalState = [Tensor(shape: [batch] + frameShape + [f], scalars: h), Tensor(shape: [batch] + frameShape + [f], scalars: c)]
        let main = returnSequences ? Value(Tensor(shape: [batch, time] + frameShape + [f], scalars: sequence), mask: call.previousMasks[0])
                                   : Value(Tensor(shape: [batch] + frameShape + [f], scalars: output))
        return [main] + (returnState ? call.finalState!.map { Value($0) } : [])
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        ConvLSTMLayer<T>(input: input.convertedConvolution(to: T.self), recurrent: recurrent.convertedConvolution(to: T.self),
                         activation: activation, recurrentActivation: recurrentActivation, returnSequences: returnSequences,
                         returnState: returnState, goBackwards: goBackwards, zeroOutputForMask: zeroOutputForMask, unroll: unroll)
    }

    public func outputName(_ index: Int) -> String { ["output", "state_h", "state_c"][index] }

    public var summary: String {
        "filters=\(filters) kernel_size=\(input.geometry.kernel) strides=\(input.geometry.strides) padding=\(input.geometry.padding.rawValue) "
            + "dilation_rate=\(input.geometry.dilation) activation=\(activation) recurrent_activation=\(recurrentActivation) "
            + "use_bias=\(input.bias != nil) return_sequences=\(returnSequences) return_state=\(returnState) go_backwards=\(goBackwards)"
            + (zeroOutputForMask ? " zero_output_for_mask=True" : "") + (unroll ? " unroll=True" : "")
    }
}

/// `Bidirectional` around a sequence layer that is not one of the matrix-product RNNs
/// (`ConvLSTM2D`): the backward layer reads the sequence in reverse, its sequence output is
/// flipped back into time order, and the two are merged as `merge_mode` says (concat along the
/// last axis). Outputs as Keras returns them: `[merged, forward states…, backward states…]`,
/// or with `merge_mode=None` `[forward, backward, states…]`.
public struct SequenceBidirectionalLayer<Scalar: EngineScalar>: Layer {
    public var forward: any Layer<Scalar>
    public var backward: any Layer<Scalar>
    public var mergeMode: MergeMode?
    public var returnSequences: Bool
    public var states: Int

    public init(forward: any Layer<Scalar>, backward: any Layer<Scalar>, mergeMode: MergeMode?, returnSequences: Bool, states: Int) {
        self.forward = forward
        self.backward = backward
        self.mergeMode = mergeMode
        self.returnSequences = returnSequences
        self.states = states
    }

    public var maskRule: MaskRule { .compute }
    public var outputCount: Int { (mergeMode == nil ? 2 : 1) + 2 * states }
    public var parameterCount: Int { forward.parameterCount + backward.parameterCount }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let f = try forward.outputShapes(for: inputs), b = try backward.outputShapes(for: inputs)
        let merged: [SymbolicShape]
        switch mergeMode {
        case nil: merged = [f[0], b[0]]
        case .concat?: merged = [Array(f[0].dropLast()) + [f[0].last!.flatMap { a in b[0].last!.map { a + $0 } }]]
        default: merged = [f[0]]
        }
        return merged + Array(f.dropFirst()) + Array(b.dropFirst())
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var fCall = call, bCall = call
        if let initial = call.initialState {
            // Keras hands the first half to the forward layer, the rest to the backward one
            // (whether or not the layers return their states); each layer checks its own.
            guard initial.count % 2 == 0 else { throw EngineError.invalidInput("Bidirectional takes an even number of initial states, got \(initial.count)") }
            fCall.initialState = Array(initial[..<(initial.count / 2)])
            bCall.initialState = Array(initial[(initial.count / 2)...])
        }
        let f = try forward.evaluate(&fCall), b = try backward.evaluate(&bCall)
        call.finalState = (fCall.finalState ?? []) + (bCall.finalState ?? [])
        var y = f[0].tensor, yRev = b[0].tensor
        if returnSequences { yRev = Self.flipTime(yRev) }
        let mask = returnSequences ? call.previousMasks[0] : nil
        let states = f.dropFirst().map { Value($0.tensor) } + b.dropFirst().map { Value($0.tensor) }
        guard let mergeMode else { return [Value(y, mask: mask), Value(yRev, mask: mask)] + states }
        switch mergeMode {
        case .concat:
            y = try ConcatenateLayer<Scalar>.concatenate([y, yRev], axis: -1, what: "Bidirectional")
        case .sum, .mul, .ave:
            y = try Broadcast.apply(y, yRev, what: "Bidirectional") { a, c in
                mergeMode == .sum ? a + c : (mergeMode == .mul ? a * c : (a + c) / 2)
            }
        }
        return [Value(y, mask: mask)] + states
    }

    /// Reverses axis 1.
    static func flipTime(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let (batch, time) = (x.shape[0], x.shape[1])
        let row = x.count / max(batch * time, 1)
        var out = x.scalars
        for b in 0..<batch {
            for t in 0..<time {
                let src = (b * time + t) * row, dst = (b * time + time - 1 - t) * row
                for q in 0..<row { out[dst + q] = x.scalars[src + q] }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        SequenceBidirectionalLayer<T>(forward: forward.converted(to: T.self), backward: backward.converted(to: T.self), mergeMode: mergeMode,
                                      returnSequences: returnSequences, states: states)
    }

    public func outputName(_ index: Int) -> String {
        let seq = mergeMode == nil ? 2 : 1
        if index < seq { return mergeMode == nil ? (index == 0 ? "forward_output" : "backward_output") : "output" }
        let k = index - seq
        return (k < states ? "forward_" : "backward_") + (k % states == 0 ? "h" : "c")
    }

    public var summary: String { "merge_mode=\(mergeMode?.rawValue ?? "None")\n    forward: \(forward.summary)\n    backward: \(backward.summary)" }
}
