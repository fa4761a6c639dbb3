/// The fast path behind `RecurrentLayer.run` and `BidirectionalLayer.run`: float32 (what Keras
/// computes in) and float64 (the error budget's run), on the same design.
///
/// Taken when the cell is LSTM, GRU with `reset_after=True`, or SimpleRNN, with element-wise
/// activations; everything else (stacked cells, GRU with `reset_after=False`) runs the
/// reference path. Inputs are validated by the caller.
extension RecurrentLayer {
    /// The packed weights, or nil when the fast path does not apply.
    func fastPacked<S: FastScalar>(_: S.Type) -> PackedCell<S>? {
        guard FastPath.enabled, Scalar.self == S.self else { return nil }
        return fastCache.packed(cell as! RecurrentCell<S>)
    }

    func fastDirection<S: FastScalar>(_ packed: PackedCell<S>, initialState: [Tensor<Scalar>]?,
                                      sequence: SequenceTarget<S>?) -> FastDirection<S> {
        FastDirection(packed: packed, goBackwards: goBackwards, zeroOutputForMask: zeroOutputForMask,
                      initialState: initialState.map { $0 as! [Tensor<S>] }, sequence: sequence)
    }

    func fastRun(_ input: Tensor<Scalar>, mask: Mask?, initialState: [Tensor<Scalar>]?) -> RecurrentResult<Scalar>? {
        switch FastScalarKind(Scalar.self) {
        case .float32: return fastRun(Float.self, input, mask: mask, initialState: initialState)
        case .float64: return fastRun(Double.self, input, mask: mask, initialState: initialState)
        case nil: return nil
        }
    }

    private func fastRun<S: FastScalar>(
        _: S.Type, _ input: Tensor<Scalar>, mask: Mask?, initialState: [Tensor<Scalar>]?
    ) -> RecurrentResult<Scalar>? {
        guard let packed = fastPacked(S.self) else { return nil }
        let (batch, time) = (input.shape[0], input.shape[1])
        guard batch >= 1, packed.units >= 1, packed.inputDim >= 1 else { return nil }
        let x = input as! Tensor<S>
        let u = packed.units
        var results: [FastResult<S>] = []
        var sequence: [S] = []
        if returnSequences {
            sequence = [S](unsafeUninitializedCapacity: batch * time * u) { buf, count in
                let target = SequenceTarget(base: buf.baseAddress!, batchStride: time * u, timeStride: u, flip: false)
                results = FastRecurrent.run([fastDirection(packed, initialState: initialState, sequence: target)],
                                            input: x, mask: mask, threads: ComputeThreads.count)
                count = batch * time * u
            }
        } else {
            results = FastRecurrent.run([fastDirection(packed, initialState: initialState, sequence: nil)],
                                        input: x, mask: mask, threads: ComputeThreads.count)
        }
        let r = results[0]
        let out = RecurrentResult<S>(
            sequence: returnSequences ? Tensor(shape: [batch, time, u], scalars: sequence) : nil,
            last: Tensor(shape: [batch, u], scalars: r.last),
            states: r.states.map { Tensor(shape: [batch, u], scalars: $0) })
        return (out as! RecurrentResult<Scalar>)
    }
}

extension BidirectionalLayer {
    enum FastOutcome {
        /// Keras's outputs and the final states, already merged (concat of sequences).
        case merged([Tensor<Scalar>], [Tensor<Scalar>])
        /// Each direction's result; the backward sequence is already in input time order.
        case directions(RecurrentResult<Scalar>, RecurrentResult<Scalar>)
    }

    /// Both directions in lockstep (one per core when there are two).
    func fastRun(
        _ input: Tensor<Scalar>, mask: Mask?, forwardState: [Tensor<Scalar>]?, backwardState: [Tensor<Scalar>]?
    ) -> FastOutcome? {
        switch FastScalarKind(Scalar.self) {
        case .float32: return fastRun(Float.self, input, mask: mask, forwardState: forwardState, backwardState: backwardState)
        case .float64: return fastRun(Double.self, input, mask: mask, forwardState: forwardState, backwardState: backwardState)
        case nil: return nil
        }
    }

    private func fastRun<S: FastScalar>(
        _: S.Type, _ input: Tensor<Scalar>, mask: Mask?, forwardState: [Tensor<Scalar>]?, backwardState: [Tensor<Scalar>]?
    ) -> FastOutcome? {
        guard forward.returnSequences == backward.returnSequences,
              let pf = forward.fastPacked(S.self), let pb = backward.fastPacked(S.self) else { return nil }
        let (batch, time) = (input.shape[0], input.shape[1])
        guard batch >= 1, pf.units >= 1, pb.units >= 1, pf.inputDim >= 1 else { return nil }
        let x = input as! Tensor<S>
        let (uf, ub) = (pf.units, pb.units)
        let threads = ComputeThreads.count

        func states(_ r: FastResult<S>, _ u: Int) -> [Tensor<S>] { r.states.map { Tensor(shape: [batch, u], scalars: $0) } }
        if returnSequences && mergeMode == .concat {
            let width = uf + ub
            var results: [FastResult<S>] = []
            let merged = [S](unsafeUninitializedCapacity: batch * time * width) { buf, count in
                let base = buf.baseAddress!
                let tf = SequenceTarget(base: base, batchStride: time * width, timeStride: width, flip: false)
                let tb = SequenceTarget(base: base + uf, batchStride: time * width, timeStride: width, flip: true)
                results = FastRecurrent.run(
                    [forward.fastDirection(pf, initialState: forwardState, sequence: tf),
                     backward.fastDirection(pb, initialState: backwardState, sequence: tb)],
                    input: x, mask: mask, threads: threads)
                count = batch * time * width
            }
            let finalStates = states(results[0], uf) + states(results[1], ub)
            let y = Tensor(shape: [batch, time, width], scalars: merged)
            let outputs = [y] + (returnState ? finalStates : [])
            return .merged(outputs as! [Tensor<Scalar>], finalStates as! [Tensor<Scalar>])
        }

        var results: [FastResult<S>] = []
        var seqF: [S] = []
        var seqB: [S] = []
        if returnSequences {
            seqF = [S](unsafeUninitializedCapacity: batch * time * uf) { bf, cf in
                seqB = [S](unsafeUninitializedCapacity: batch * time * ub) { bb, cb in
                    let tf = SequenceTarget(base: bf.baseAddress!, batchStride: time * uf, timeStride: uf, flip: false)
                    let tb = SequenceTarget(base: bb.baseAddress!, batchStride: time * ub, timeStride: ub, flip: true)
                    results = FastRecurrent.run(
                        [forward.fastDirection(pf, initialState: forwardState, sequence: tf),
                         backward.fastDirection(pb, initialState: backwardState, sequence: tb)],
                        input: x, mask: mask, threads: threads)
                    cb = batch * time * ub
                }
                cf = batch * time * uf
            }
        } else {
            results = FastRecurrent.run(
                [forward.fastDirection(pf, initialState: forwardState, sequence: nil),
                 backward.fastDirection(pb, initialState: backwardState, sequence: nil)],
                input: x, mask: mask, threads: threads)
        }
        func result(_ r: FastResult<S>, _ u: Int, _ seq: [S]) -> RecurrentResult<Scalar> {
            let out = RecurrentResult<S>(
                sequence: returnSequences ? Tensor(shape: [batch, time, u], scalars: seq) : nil,
                last: Tensor(shape: [batch, u], scalars: r.last), states: states(r, u))
            return out as! RecurrentResult<Scalar>
        }
        return .directions(result(results[0], uf, seqF), result(results[1], ub, seqB))
    }
}
