/// Attention layers: `Attention` (Luong, dot or concat scores), `AdditiveAttention` (Bahdanau),
/// `MultiHeadAttention` and `GroupQueryAttention`, with the masks Keras applies at run time.

import CRNNKernels

/// How an attention layer keeps masked scores out of the softmax — each Keras code path does it
/// differently, which shows where a whole row is masked.
public enum AttentionMasking: String, Sendable, Equatable {
    /// Keras 3 `Attention`: `where(mask, s, s − 1e9)` (Keras 2: `s − 1e9·(1 − mask)`, the same
    /// arithmetic).
    case subtract
    /// Keras 3 `Softmax(mask=)`: `where(mask, s, −1e9)`, softmax, then masked weights set to 0
    /// (a fully masked row gives zeros).
    case softmaxLayer
    /// Keras 3 `ops.dot_product_attention`: `where(mask, s, −0.7·3.38953e38)` (a fully masked row
    /// gives uniform weights).
    case dotProduct
    /// Keras 2 `Softmax(mask=)` without robust masking: `s + (1 − mask)·(−1e9)` (a fully masked
    /// row is not masked at all after the shift).
    case additive
    /// Keras 2 `Softmax(mask=)` with `robust_masking`: `where(mask, s, −1e9)`, no zeroing.
    case robust

    /// Softmax over the last axis of `scores` (`rows × n`), masked where `keep` is false.
    func softmax<S: EngineScalar>(_ scores: inout [S], rows: Int, n: Int, keep: (Int, Int) -> Bool) {
        guard !scores.isEmpty else { return }
        withoutActuallyEscaping(keep) { keep in
            scores.withUnsafeMutableBufferPointer { softmax($0.baseAddress!, rows: rows, n: n, keep: keep) }
        }
    }

    /// `softmax` on `rows × n` scores in place; float32 on the fast path takes the vectorized
    /// exp of `layer_kernels.h` (`rl_softmax_rows`, about 1 ulp), the rest `Activation.softmax`.
    func softmax<S: EngineScalar>(_ scores: UnsafeMutablePointer<S>, rows: Int, n: Int, keep: ((Int, Int) -> Bool)?) {
        guard rows > 0, n > 0 else { return }
        if let keep {
            for r in 0..<rows {
                let base = r * n
                for j in 0..<n where !keep(r, j) {
                    switch self {
                    case .subtract: scores[base + j] = scores[base + j] - S(1e9)
                    case .softmaxLayer, .robust: scores[base + j] = S(-1e9)
                    case .dotProduct: scores[base + j] = S(-0.7 * 3.38953e38)
                    case .additive: scores[base + j] = scores[base + j] + S(-1e9)
                    }
                }
            }
        }
        if S.self == Float.self, FastPath.enabled {
            rl_softmax_rows(kernelISA, rows, n, UnsafeMutableRawPointer(scores).assumingMemoryBound(to: Float.self), n)
        } else {
            var buffer = Array(UnsafeBufferPointer(start: scores, count: rows * n))
            Activation.softmax.apply(to: &buffer, rowLength: n)
            scores.update(from: buffer, count: rows * n)
        }
        if self == .softmaxLayer, let keep {
            for r in 0..<rows { for j in 0..<n where !keep(r, j) { scores[r * n + j] = 0 } }
        }
    }
}

/// How `Attention` / `AdditiveAttention` score a query row against a key row.
public enum AttentionScore<Scalar: EngineScalar>: Sendable {
    /// `q·k` (times `scale` when `use_scale`).
    case dot(scale: Scalar?)
    /// `weight · Σ tanh(scale·(q + k))` (`score_mode="concat"`).
    case concat(scale: Scalar?, weight: Scalar)
    /// `Σ scale ⊙ tanh(q + k)` (`AdditiveAttention`; scale all ones without `use_scale`).
    case additive(scale: [Scalar]?)

    func converted<T: EngineScalar>(to: T.Type) -> AttentionScore<T> {
        switch self {
        case .dot(let s): return .dot(scale: s.map { T($0) })
        case .concat(let s, let w): return .concat(scale: s.map { T($0) }, weight: T(w))
        case .additive(let s): return .additive(scale: s?.converted())
        }
    }
}

/// `Attention` and `AdditiveAttention`: inputs `[query, value]` or `[query, value, key]`,
/// `(batch, Tq, dim)` and `(batch, Tv, dim)`; masks `[query_mask, value_mask]` as the call
/// receives them. Masked value steps are kept out of the softmax, masked query steps give zero
/// rows (Keras 3 `where`, Keras 2 a multiplication), and the output carries the query's mask.
public struct DenseAttentionLayer<Scalar: EngineScalar>: Layer {
    public var score: AttentionScore<Scalar>
    public var useCausalMask: Bool
    public var returnScores: Bool
    public var semantics: KerasSemantics

    public init(score: AttentionScore<Scalar>, useCausalMask: Bool = false, returnScores: Bool = false, semantics: KerasSemantics = .keras3) {
        self.score = score
        self.useCausalMask = useCausalMask
        self.returnScores = returnScores
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .compute }
    public var outputCount: Int { returnScores ? 2 : 1 }
    public var parameterCount: Int {
        switch score {
        case .dot(let s): return s == nil ? 0 : 1
        case .concat(let s, _): return 1 + (s == nil ? 0 : 1)
        case .additive(let s): return s?.count ?? 0
        }
    }
    var name: String { if case .additive = score { return "AdditiveAttention" } else { return "Attention" } }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard inputs.count == 2 || inputs.count == 3 else { throw EngineError.invalidInput("\(name) takes [query, value] or [query, value, key], got \(inputs.count) inputs") }
        let (q, v) = (inputs[0], inputs[1])
        let k = inputs.count == 3 ? inputs[2] : v
        guard q.count == 2, v.count == 2, k.count == 2 else { throw EngineError.invalidInput("\(name) takes (batch, time, dim) inputs, got \(inputs.map(Shapes.describe))") }
        if let a = q[1], let b = k[1], a != b { throw EngineError.invalidInput("\(name) query and key widths differ: \(a) and \(b)") }
        if case .additive(let s?) = score, let d = q[1], d != s.count { throw EngineError.invalidInput("\(name) scale has \(s.count) values for width \(d)") }
        let out: SymbolicShape = [q[0], v[1]]
        return returnScores ? [out, [q[0], k[0]]] : [out]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        _ = try outputShapes(for: call.inputs.map { $0.tensor.shape.dropFirst().map { $0 } })
        let q = call.inputs[0].tensor, v = call.inputs[1].tensor
        let k = call.inputs.count == 3 ? call.inputs[2].tensor : v
        let (batch, tq, tv, d, dv) = (q.shape[0], q.shape[1], k.shape[1], q.shape[2], v.shape[2])
        guard v.shape[0] == batch, k.shape[0] == batch, v.shape[1] == tv else {
            throw EngineError.invalidInput("\(name) inputs disagree: query \(EngineError.format(q.shape)), value \(EngineError.format(v.shape)), key \(EngineError.format(k.shape))")
        }
        let qMask = call.masks[0], vMask = call.masks[1]
        if let qMask, qMask.shape != [batch, tq] { throw EngineError.shapeMismatch(what: "\(name) query mask", expected: "(\(batch), \(tq))", actual: qMask.shape) }
        if let vMask, vMask.shape != [batch, tv] { throw EngineError.shapeMismatch(what: "\(name) value mask", expected: "(\(batch), \(tv))", actual: vMask.shape) }
        var scores = [Scalar](repeating: 0, count: batch * tq * tv)
        for b in 0..<batch {
            for i in 0..<tq {
                let qi = (b * tq + i) * d
                for j in 0..<tv {
                    let kj = (b * tv + j) * d
                    var s: Scalar = 0
                    switch score {
                    case .dot(let scale):
                        for c in 0..<d { s += q.scalars[qi + c] * k.scalars[kj + c] }
                        if let scale { s = s * scale }
                    case .concat(let scale, let weight):
                        for c in 0..<d {
                            let z = q.scalars[qi + c] + k.scalars[kj + c]
                            s += Scalar.tanh(scale.map { $0 * z } ?? z)
                        }
                        s = weight * s
                    case .additive(let scale):
                        for c in 0..<d { s += (scale?[c] ?? 1) * Scalar.tanh(q.scalars[qi + c] + k.scalars[kj + c]) }
                    }
                    scores[(b * tq + i) * tv + j] = s
                }
            }
        }
        let masked = vMask != nil || useCausalMask
        AttentionMasking.subtract.softmax(&scores, rows: batch * tq, n: tv) { r, j in
            guard masked else { return true }
            let (b, i) = (r / tq, r % tq)
            return (vMask?.values[b * tv + j] ?? true) && (!useCausalMask || j <= i)
        }
        var out = [Scalar](repeating: 0, count: batch * tq * dv)
        for b in 0..<batch {
            for i in 0..<tq {
                let o = (b * tq + i) * dv
                for j in 0..<tv {
                    let p = scores[(b * tq + i) * tv + j]
                    let vj = (b * tv + j) * dv
                    for c in 0..<dv { out[o + c] += p * v.scalars[vj + c] }
                }
                if let qMask, !qMask.values[b * tq + i] {
                    for c in 0..<dv { out[o + c] = semantics == .keras3 ? 0 : out[o + c] * 0 }
                }
            }
        }
        let result = Value(Tensor(shape: [batch, tq, dv], scalars: out), mask: qMask)
        return returnScores ? [result, Value(Tensor(shape: [batch, tq, tv], scalars: scores))] : [result]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        DenseAttentionLayer<T>(score: score.converted(to: T.self), useCausalMask: useCausalMask, returnScores: returnScores, semantics: semantics)
    }

    public func outputName(_ index: Int) -> String { index == 0 ? "output" : "attention_scores" }

    public var summary: String {
        let mode: String
        switch score {
        case .dot(let s): mode = "score_mode=dot use_scale=\(s != nil)"
        case .concat(let s, _): mode = "score_mode=concat use_scale=\(s != nil)"
        case .additive(let s): mode = "use_scale=\(s != nil)"
        }
        return mode + " use_causal_mask=\(useCausalMask) return_attention_scores=\(returnScores)"
    }
}

/// One `EinsumDense` projection of `MultiHeadAttention`: `(…, in) → (…, heads, dim)` with kernel
/// `(in, heads, dim)`, or the output projection `(…, heads, dim) → (…, out…)` with kernel
/// `(heads, dim, out…)` — in both cases a matrix product over the flattened axes.
public struct Projection<Scalar: EngineScalar>: Sendable {
    public var kernel: [Scalar]
    public var bias: [Scalar]?
    public var inputSize: Int
    public var outputSize: Int
    let cache = PackedMatrixCache()

    public init(kernel: [Scalar], bias: [Scalar]?, inputSize: Int, outputSize: Int) {
        precondition(kernel.count == inputSize * outputSize && (bias?.count ?? outputSize) == outputSize)
        self.kernel = kernel
        self.bias = bias
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    func callAsFunction(_ x: [Scalar], rows: Int) -> [Scalar] {
        Kernels.product(x, rows: rows, k: inputSize, kernel, n: outputSize, bias: bias, cache: cache)
    }

    func converted<T: EngineScalar>(to: T.Type) -> Projection<T> {
        Projection<T>(kernel: kernel.converted(), bias: bias?.converted(), inputSize: inputSize, outputSize: outputSize)
    }

    var parameterCount: Int { kernel.count + (bias?.count ?? 0) }
}

/// `MultiHeadAttention` and `GroupQueryAttention`: inputs `[query, value]`, `[query, value, key]`
/// and optionally an `attention_mask` last; query `(batch, T…, dq)`, value/key `(batch, S…, dv)`.
///
/// Masks, as Keras applies them at run time: the query's, value's and key's masks (the ones the
/// tensors carry, which a Keras 3 config does not record), the `attention_mask` input, the causal
/// mask and a sliding window, all ANDed into a `(batch, T, S)` mask; masked scores are kept out
/// of the softmax as the Keras code path in use does (`masking`). The output carries the query's
/// mask; Keras 3's `MultiHeadAttention` then clears the masks of its input tensors.
public struct MultiHeadAttentionLayer<Scalar: EngineScalar>: Layer {
    public var query: Projection<Scalar>
    public var key: Projection<Scalar>
    public var value: Projection<Scalar>
    public var output: Projection<Scalar>
    /// `use_gate`: `sigmoid(query projection)` multiplies the attention output.
    public var gate: Projection<Scalar>?
    public var heads: Int
    /// Key/value heads (`GroupQueryAttention`); equal to `heads` for `MultiHeadAttention`.
    public var keyValueHeads: Int
    public var keyDim: Int
    public var valueDim: Int
    /// The output's extents after the query's leading axes.
    public var outputShape: [Int]
    /// The attended axes (1-based among the query's axes without the last); default: all.
    public var attentionAxes: [Int]?
    public var slidingWindow: Int?
    public var useCausalMask: Bool
    public var returnScores: Bool
    public var hasKey: Bool
    public var hasAttentionMask: Bool
    public var masking: AttentionMasking
    /// Keras 3 `ops.dot_product_attention` scales the logits; the einsum path scales the query first.
    public var scaleLogits: Bool
    /// The factor `1/√key_dim` as Keras applies it: Keras 3 casts the Python float with
    /// `ops.cast`, which TensorFlow first turns into a float32 tensor, so it is
    /// `float32(1/√key_dim)` in float64 too; tf.keras multiplies by the Python float.
    public var scale: Double
    public var clearsInputMasks: Bool
    /// `MultiHeadAttention` takes the query mask from the query tensor, ignoring the argument.
    public var queryMaskFromTensor: Bool
    /// Keras 2 reads every mask from the tensors themselves (`value._keras_mask`).
    public var masksFromTensors = false
    public var className: String

    public init(query: Projection<Scalar>, key: Projection<Scalar>, value: Projection<Scalar>, output: Projection<Scalar>,
                gate: Projection<Scalar>?, heads: Int, keyValueHeads: Int, keyDim: Int, valueDim: Int, outputShape: [Int],
                attentionAxes: [Int]?, slidingWindow: Int?, useCausalMask: Bool, returnScores: Bool, hasKey: Bool,
                hasAttentionMask: Bool, masking: AttentionMasking, scaleLogits: Bool, scale: Double, clearsInputMasks: Bool,
                queryMaskFromTensor: Bool, className: String, masksFromTensors: Bool = false) {
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.gate = gate
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.keyDim = keyDim
        self.valueDim = valueDim
        self.outputShape = outputShape
        self.attentionAxes = attentionAxes
        self.slidingWindow = slidingWindow
        self.useCausalMask = useCausalMask
        self.returnScores = returnScores
        self.hasKey = hasKey
        self.hasAttentionMask = hasAttentionMask
        self.masking = masking
        self.scaleLogits = scaleLogits
        self.scale = scale
        self.clearsInputMasks = clearsInputMasks
        self.queryMaskFromTensor = queryMaskFromTensor
        self.className = className
        self.masksFromTensors = masksFromTensors
    }

    public var maskRule: MaskRule { .compute }
    public var outputCount: Int { returnScores ? 2 : 1 }
    public var parameterCount: Int {
        query.parameterCount + key.parameterCount + value.parameterCount + output.parameterCount + (gate?.parameterCount ?? 0)
    }

    /// The query's attended axes (0-based among its middle axes) for `middle` middle axes.
    func attended(_ middle: Int) throws -> [Int] {
        guard let axes = attentionAxes else { return Array(0..<middle) }
        var out: [Int] = []
        for a in axes {
            let r = a < 0 ? a + middle + 1 : a
            guard r >= 1 && r <= middle else { throw EngineError.invalidInput("\(className) attention_axes \(axes) do not fit inputs with \(middle) axes between batch and features") }
            out.append(r - 1)
        }
        return Array(Set(out)).sorted()
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let expected = 2 + (hasKey ? 1 : 0) + (hasAttentionMask ? 1 : 0)
        guard inputs.count == expected else { throw EngineError.invalidInput("\(className) takes \(expected) inputs here, got \(inputs.count)") }
        let (q, v) = (inputs[0], inputs[1])
        let k = hasKey ? inputs[2] : v
        guard q.count >= 2, v.count == q.count, k.count == q.count else {
            throw EngineError.invalidInput("\(className) needs query, value and key of one rank (at least 3), got \(inputs.prefix(3).map(Shapes.describe))")
        }
        for (what, s, size) in [("query", q, query.inputSize), ("value", v, value.inputSize), ("key", k, key.inputSize)] where s.last! != nil && s.last! != size {
            throw EngineError.invalidInput("\(className) \(what) has \(s.last!!) features, its projection takes \(size)")
        }
        let axes = try attended(q.count - 1)
        let middle = Array(q.dropLast())
        let out: SymbolicShape = middle + outputShape.map { $0 }
        guard returnScores else { return [out] }
        let others = (0..<(q.count - 1)).filter { !axes.contains($0) }.map { middle[$0] }
        let scores: SymbolicShape = others + [heads] + axes.map { middle[$0] } + axes.map { v[$0] }
        return [out, scores]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        _ = try outputShapes(for: call.inputs.map { $0.tensor.shape.dropFirst().map { $0 } })
        let qT = call.inputs[0].tensor, vT = call.inputs[1].tensor
        let kT = hasKey ? call.inputs[2].tensor : vT
        let batch = qT.shape[0]
        let middle = Array(qT.shape.dropFirst().dropLast()), vMiddle = Array(vT.shape.dropFirst().dropLast())
        guard vT.shape[0] == batch, kT.shape.dropLast() == vT.shape.dropLast() else {
            throw EngineError.invalidInput("\(className) value \(EngineError.format(vT.shape)) and key \(EngineError.format(kT.shape)) disagree")
        }
        let axes = try attended(middle.count)
        let others = (0..<middle.count).filter { !axes.contains($0) }
        for o in others where middle[o] != vMiddle[o] {
            throw EngineError.invalidInput("\(className): the query and value must agree on the axes not attended, got \(EngineError.format(qT.shape)) and \(EngineError.format(vT.shape))")
        }
        let outer = others.map { middle[$0] }.reduce(1, *)
        let tq = axes.map { middle[$0] }.reduce(1, *), tv = axes.map { vMiddle[$0] }.reduce(1, *)
        let qPositions = middle.reduce(1, *), vPositions = vMiddle.reduce(1, *)
        // Projections over every position.
        let pq = query(qT.scalars, rows: batch * qPositions)
        let pk = key(kT.scalars, rows: batch * vPositions)
        let pv = value(vT.scalars, rows: batch * vPositions)
        // The (batch·outer, T) ⨯ (batch·outer, S) attention mask, nil when nothing is masked.
        let keep = try attentionMask(call, batch: batch, tq: tq, tv: tv, rank: qT.rank, outer: outer)
        let scale = Scalar(self.scale)
        let group = heads / keyValueHeads
        // Position p of a (middle) shape, as (outer index, attended index).
        func split(_ p: Int, _ shape: [Int]) -> (Int, Int) {
            let strides = rowMajorStrides(shape)
            var o = 0, a = 0
            for d in others { o = o * shape[d] + (p / strides[d]) % shape[d] }
            for d in axes { a = a * shape[d] + (p / strides[d]) % shape[d] }
            return (o, a)
        }
        var qIndex = [Int](repeating: 0, count: outer * tq), vIndex = [Int](repeating: 0, count: outer * tv)
        for p in 0..<qPositions { let (o, a) = split(p, middle); qIndex[o * tq + a] = p }
        for p in 0..<vPositions { let (o, a) = split(p, vMiddle); vIndex[o * tv + a] = p }
        var probabilities = [Scalar](repeating: 0, count: returnScores || outer != 1 ? batch * outer * heads * tq * tv : 0)
        var combined = [Scalar](repeating: 0, count: batch * qPositions * heads * valueDim)
        var scores = [Scalar](repeating: 0, count: tq * tv)
        if outer == 1 {
            // Every position attends: per batch row and head, two matrix products on the tile
            // kernels and a softmax; the (row, head) pairs are independent, so they are split
            // between threads on the fast path (each pair computed whole by one thread).
            let q = scaleLogits ? pq : pq.map { $0 * scale }
            let tasks = batch * heads
            let work = tasks * tq * tv * (keyDim + valueDim)
            let threads = Scalar.self == Float.self && FastPath.enabled && work >= 1 << 19 ? Swift.max(1, Swift.min(ComputeThreads.count, tasks)) : 1
            var scratch = [Scalar](repeating: 0, count: threads * tq * tv)
            q.withUnsafeBufferPointer { qp in pk.withUnsafeBufferPointer { kp in pv.withUnsafeBufferPointer { vp in
                scratch.withUnsafeMutableBufferPointer { sb in combined.withUnsafeMutableBufferPointer { cp in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    let (qp, kp, vp, sb, cp, pp) = (qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, sb.baseAddress!, cp.baseAddress!, pp.baseAddress)
                    let run = PhaseRun(counts: [tasks], threads: threads) { _, task, tid in
                        let (b, h) = (task / heads, task % heads)
                        let kvh = h / group
                        let sp = sb + tid * tq * tv
                        Kernels.product(qp + (b * tq * heads + h) * keyDim, lda: heads * keyDim, m: tq, k: keyDim,
                                        kp + (b * tv * keyValueHeads + kvh) * keyDim, rowStride: 1,
                                        columnStride: keyValueHeads * keyDim, n: tv, into: sp, ldc: tv)
                        if scaleLogits { for x in 0..<(tq * tv) { sp[x] = sp[x] * scale } }
                        self.masking.softmax(sp, rows: tq, n: tv, keep: keep.map { k in { i, j in k[(b * tq + i) * tv + j] } })
                        if self.returnScores, let pp { (pp + (b * heads + h) * tq * tv).update(from: sp, count: tq * tv) }
                        Kernels.product(UnsafePointer(sp), lda: tv, m: tq, k: tv,
                                        vp + (b * tv * keyValueHeads + kvh) * valueDim,
                                        rowStride: keyValueHeads * valueDim, columnStride: 1, n: valueDim,
                                        into: cp + (b * tq * heads + h) * valueDim, ldc: heads * valueDim)
                    }
                    WorkerPool.shared.run(run)
                }
                } }
            } } }
        } else {
        for b in 0..<batch {
            for o in 0..<outer {
                for h in 0..<heads {
                    let kvh = h / group
                    for i in 0..<tq {
                        let qRow = ((b * qPositions + qIndex[o * tq + i]) * heads + h) * keyDim
                        for j in 0..<tv {
                            let kRow = ((b * vPositions + vIndex[o * tv + j]) * keyValueHeads + kvh) * keyDim
                            var s: Scalar = 0
                            if scaleLogits {
                                for c in 0..<keyDim { s += pq[qRow + c] * pk[kRow + c] }
                                s = s * scale
                            } else {
                                for c in 0..<keyDim { s += (pq[qRow + c] * scale) * pk[kRow + c] }
                            }
                            scores[i * tv + j] = s
                        }
                    }
                    let m = b * outer + o
                    masking.softmax(&scores, rows: tq, n: tv) { i, j in keep.map { $0[(m * tq + i) * tv + j] } ?? true }
                    let pBase = (m * heads + h) * tq * tv
                    for x in 0..<(tq * tv) { probabilities[pBase + x] = scores[x] }
                    for i in 0..<tq {
                        let dst = ((b * qPositions + qIndex[o * tq + i]) * heads + h) * valueDim
                        for j in 0..<tv {
                            let p = scores[i * tv + j]
                            let vRow = ((b * vPositions + vIndex[o * tv + j]) * keyValueHeads + kvh) * valueDim
                            for c in 0..<valueDim { combined[dst + c] += p * pv[vRow + c] }
                        }
                    }
                }
            }
        }
        }
        if let gate {
            let g = gate(qT.scalars, rows: batch * qPositions)
            for i in combined.indices { combined[i] = combined[i] * Activation.logistic(g[i]) }
        }
        let y = output(combined, rows: batch * qPositions)
        // The output carries the query tensor's mask (Keras 3 sets it; Keras 2's compute_mask passes it on).
        let result = Value(Tensor(shape: [batch] + middle + outputShape, scalars: y), mask: call.inputs[0].mask)
        guard returnScores else { return [result] }
        // Keras's scores: (batch, other axes…, heads, attended query axes…, attended value axes…).
        let scoreShape = [batch] + others.map { middle[$0] } + [heads] + axes.map { middle[$0] } + axes.map { vMiddle[$0] }
        return [result, Value(Tensor(shape: scoreShape, scalars: probabilities))]
    }

    /// The combined mask, `(batch·outer) × tq × tv` flags, or nil.
    func attentionMask(_ call: LayerCall<Scalar>, batch: Int, tq: Int, tv: Int, rank: Int, outer: Int) throws -> [Bool]? {
        let queryMask = queryMaskFromTensor || masksFromTensors ? call.inputs[0].mask : call.masks[0]
        let valueMask = masksFromTensors ? call.inputs[1].mask : call.masks[1]
        let keyMask = hasKey ? (masksFromTensors ? call.inputs[2].mask : call.masks[2]) : nil
        let explicit = hasAttentionMask ? call.inputs.last!.tensor : nil
        let any = queryMask != nil || valueMask != nil || keyMask != nil || explicit != nil || useCausalMask || slidingWindow != nil
        guard any else { return nil }
        guard rank == 3, outer == 1 else { throw EngineError.invalidInput("\(className) masks are supported for (batch, time, features) inputs only") }
        for (what, m, n) in [("query", queryMask, tq), ("value", valueMask, tv), ("key", keyMask, tv)] {
            if let m, m.shape != [batch, n] { throw EngineError.shapeMismatch(what: "\(className) \(what) mask", expected: "(\(batch), \(n))", actual: m.shape) }
        }
        var explicitFlags: Tensor<Scalar>?
        if let explicit {
            guard let shape = Broadcast.shape(explicit.shape, [batch, tq, tv]), shape == [batch, tq, tv] else {
                throw EngineError.shapeMismatch(what: "\(className) attention_mask", expected: "(\(batch), \(tq), \(tv))", actual: explicit.shape)
            }
            explicitFlags = Broadcast.expand(explicit, to: [batch, tq, tv])
        }
        var keep = [Bool](repeating: true, count: batch * tq * tv)
        for b in 0..<batch {
            for i in 0..<tq {
                for j in 0..<tv {
                    var k = true
                    if let queryMask, !queryMask.values[b * tq + i] { k = false }
                    if let valueMask, !valueMask.values[b * tv + j] { k = false }
                    if let keyMask, !keyMask.values[b * tv + j] { k = false }
                    if useCausalMask && j > i { k = false }
                    if let w = slidingWindow, abs(i - j) >= w { k = false }
                    if let e = explicitFlags, e.scalars[(b * tq + i) * tv + j] == 0 { k = false }
                    keep[(b * tq + i) * tv + j] = k
                }
            }
        }
        return keep
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        MultiHeadAttentionLayer<T>(
            query: query.converted(to: T.self), key: key.converted(to: T.self), value: value.converted(to: T.self),
            output: output.converted(to: T.self), gate: gate?.converted(to: T.self), heads: heads, keyValueHeads: keyValueHeads,
            keyDim: keyDim, valueDim: valueDim, outputShape: outputShape, attentionAxes: attentionAxes, slidingWindow: slidingWindow,
            useCausalMask: useCausalMask, returnScores: returnScores, hasKey: hasKey, hasAttentionMask: hasAttentionMask,
            masking: masking, scaleLogits: scaleLogits, scale: scale, clearsInputMasks: clearsInputMasks, queryMaskFromTensor: queryMaskFromTensor,
            className: className, masksFromTensors: masksFromTensors)
    }

    public func outputName(_ index: Int) -> String { index == 0 ? "output" : "attention_scores" }

    public var summary: String {
        "heads=\(heads)" + (keyValueHeads != heads ? " key_value_heads=\(keyValueHeads)" : "") + " key_dim=\(keyDim) value_dim=\(valueDim) "
            + "output_shape=\(outputShape) attention_axes=\(attentionAxes.map { "\($0)" } ?? "all") use_causal_mask=\(useCausalMask) "
            + "return_attention_scores=\(returnScores) masking=\(masking.rawValue)" + (gate != nil ? " use_gate" : "")
    }
}
