import CRNNKernels

/// The float32 ConvLSTM step loop.
///
/// The states live in zero-padded images (two, alternating between steps), so the recurrent
/// convolution of a step reads its input in place (`FastConvPlan.compute`, no gathering for ≥ 16
/// filters) and the gate pass writes the new state straight into the other image. A step is one
/// phase of chunks (batch row, output row, segment of positions): each chunk convolves its
/// positions with all `4·filters` kernel columns, then runs the gates on them
/// (`rl_convlstm_gates`: Cephes exp with true divisions, as the LSTM fast path's scalar code),
/// so every element's arithmetic is the same on any number of threads.
extension ConvLSTMLayer {
    /// The activation codes of `layer_kernels.h`, or nil when an activation is not one of them.
    static func kernelCode(_ a: Activation) -> Int32? {
        switch a {
        case .linear: return RL_ACT_LINEAR
        case .tanh: return RL_ACT_TANH
        case .sigmoid: return RL_ACT_SIGMOID
        case .relu: return RL_ACT_RELU
        default: return nil
        }
    }

    /// The recurrence on the float32 path, from the input convolution `projected`
    /// (`batch·time × positions × 4f`, bias included): (main output, h, c), or nil when the
    /// path does not apply (other scalars, activations it does not have, `RNNCHECK_FAST=0`).
    /// The caller runs it only without a mask: per-position masks, `zero_output_for_mask` and
    /// the unrolled-loop quirk are the reference loop's alone.
    func fastRecurrence(projected: Tensor<Scalar>, batch: Int, time: Int, frameShape: [Int],
                        initial: (h: [Scalar], c: [Scalar])?) -> (main: [Scalar], h: [Scalar], c: [Scalar])? {
        guard Scalar.self == Float.self, FastPath.enabled, let act = Self.kernelCode(activation),
              let ract = Self.kernelCode(recurrentActivation), !frameShape.isEmpty else { return nil }
        let f = filters
        guard let plan = FastConvPlan(spatial: frameShape, geometry: recurrent.geometry, channels: f, groups: 1, filters: 4 * f,
                                      maxImage: Swift.max(4 * frameShape.reduce(f, *), 1 << 20)),
              plan.outSpatial == frameShape else { return nil }
        let weights = recurrent.fast.get(recurrent.kernel.reinterpreted(as: Float.self), patch: plan.patch, filters: 4 * f, groups: 1,
                                         transposed: plan.strategy == .transposed)
        let positions = frameShape.reduce(1, *)
        let stateCount = batch * positions * f
        let isa = kernelISA
        let imageCount = plan.imageCount
        // Two padded h images per batch row, two c buffers; zero borders stay zero.
        let hPad = UnsafeMutablePointer<Float>.allocate(capacity: 2 * batch * imageCount)
        hPad.initialize(repeating: 0, count: 2 * batch * imageCount)
        defer { hPad.deallocate() }
        let cBuf = UnsafeMutablePointer<Float>.allocate(capacity: 2 * stateCount)
        cBuf.initialize(repeating: 0, count: 2 * stateCount)
        defer { cBuf.deallocate() }
        let rowLength = plan.rowLength
        let rowFloats = rowLength * f
        if let initial {
            let h0 = initial.h.reinterpreted(as: Float.self), c0 = initial.c.reinterpreted(as: Float.self)
            for b in 0..<batch {
                for row in 0..<plan.rows {
                    let src = (b * positions + row * rowLength) * f
                    let dst = hPad + b * imageCount + plan.interiorOffset(row)
                    for q in 0..<rowFloats { dst[q] = h0[src + q] }
                }
            }
            for q in 0..<stateCount { cBuf[q] = c0[q] }
        }
        var sequence = [Float](repeating: 0, count: returnSequences ? time * stateCount : 0)
        let proj = projected.scalars.reinterpreted(as: Float.self)
        let segs = plan.segments
        let chunksPerStep = batch * plan.rows * segs
        let macs = batch * positions * plan.patch * 4 * f
        let threads = macs < 1 << 19 ? 1 : Swift.max(1, Swift.min(ComputeThreads.count, chunksPerStep))
        let scratchCount = FastConvPlan.segment * 4 * f + plan.scratchCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount * threads)
        defer { scratch.deallocate() }
        let (goBackwards, returnSequences) = (self.goBackwards, self.returnSequences)
        proj.withUnsafeBufferPointer { projBuf in
            sequence.withUnsafeMutableBufferPointer { seqBuf in
                    let xz = projBuf.baseAddress!
                    let seqBase = seqBuf.baseAddress
                    let run = PhaseRun(counts: [Int](repeating: chunksPerStep, count: time), threads: threads) { k, chunk, tid in
                        let t = goBackwards ? time - 1 - k : k
                        let (cur, nxt) = (k % 2, 1 - k % 2)
                        var rest = chunk
                        let seg = rest % segs; rest /= segs
                        let row = rest % plan.rows
                        let b = rest / plan.rows
                        let w0 = seg * FastConvPlan.segment
                        let n = Swift.min(FastConvPlan.segment, rowLength - w0)
                        let at = plan.interiorOffset(row) + w0 * f
                        let hPrev = hPad + (cur * batch + b) * imageCount, hNext = hPad + (nxt * batch + b) * imageCount
                        let state = (b * positions + row * rowLength + w0) * f
                        let cPrev = cBuf + cur * stateCount + state, cNext = cBuf + nxt * stateCount + state
                        let hz = scratch + tid * scratchCount
                        plan.compute(image: hPrev, row: row, group: 0, from: w0, count: n, weights: weights, bias: nil,
                                     into: hz, ldo: 4 * f, scratch: hz + FastConvPlan.segment * 4 * f)
                        rl_convlstm_gates(isa, n, f, xz + ((b * time + t) * positions + row * rowLength + w0) * 4 * f, 4 * f,
                                          hz, 4 * f, cPrev, cNext, hNext + at, ract, act)
                        if returnSequences, let s = seqBase {
                            (s + ((b * time + k) * positions + row * rowLength + w0) * f).update(from: hNext + at, count: n * f)
                        }
                    }
                    WorkerPool.shared.run(run)
            }
        }
        // Final states: the image the last step wrote.
        let last = time % 2
        var h = [Float](repeating: 0, count: stateCount)
        for b in 0..<batch {
            for row in 0..<plan.rows {
                let src = hPad + (last * batch + b) * imageCount + plan.interiorOffset(row)
                let dst = (b * positions + row * rowLength) * f
                for q in 0..<rowFloats { h[dst + q] = src[q] }
            }
        }
        let c = Array(UnsafeBufferPointer(start: cBuf + last * stateCount, count: stateCount))
        let main = returnSequences ? sequence : h
        return (main.reinterpreted(as: Scalar.self), h.reinterpreted(as: Scalar.self), c.reinterpreted(as: Scalar.self))
    }
}
