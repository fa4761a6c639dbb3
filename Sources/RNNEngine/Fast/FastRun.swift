#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels

/// Where one direction writes its output sequence: element `(b, k, j)` (processing step k,
/// unit j) goes to `base[b * batchStride + time(k) * timeStride + j]`, with
/// `time(k) = flip ? T-1-k : k`.
struct SequenceTarget<S: FastScalar> {
    var base: UnsafeMutablePointer<S>
    var batchStride: Int
    var timeStride: Int
    var flip: Bool
}

/// A direction's state buffers (two of each, read and written alternately), recorded as raw
/// pointers: what the per-step code reads are constants of trivial types, so the time loop does
/// no reference counting and no exclusivity checks (they were ~10% of a B = 1 step).
struct StepPointers<S: FastScalar> {
    var h: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>)
    var c: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>)?
    var out: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>)?
    var proj: UnsafeMutablePointer<S>
}

/// A phase of a fast run: per block, one projection phase, then one phase per step.
enum FastPhase { case project(block: Int), step(k: Int) }

/// One layer (direction) of a fast run.
struct FastDirection<S: FastScalar> {
    var packed: PackedCell<S>
    var goBackwards: Bool
    var zeroOutputForMask: Bool
    /// Initial states (`stateCount` tensors of `(batch, units)`), or nil for zeros.
    var initialState: [Tensor<S>]?
    var sequence: SequenceTarget<S>?
}

/// What a fast run of one direction leaves: the last output and the final states.
struct FastResult<S: FastScalar> {
    var last: [S]
    var states: [[S]]
}

/// The fast path (float32, and float64 for the error budget): input projection for a block of timesteps as one tiled product,
/// then per step the recurrent product on packed weights with the gates fused, split by
/// units across threads; several directions (Bidirectional) advance in lockstep so both
/// cores have work.
enum FastRecurrent {
    /// Rows per tile and 16-column vectors per tile for the recurrent product and the
    /// projection; overridable for measurements (`RNNCHECK_TILE=rows,vectors,prows,pvectors`).
    nonisolated(unsafe) static var tile: (rows: Int, vectors: Int, projRows: Int, projVectors: Int) = {
        if let env = getenv("RNNCHECK_TILE") {
            let parts = String(cString: env).split(separator: ",").compactMap { Int($0) }
            if parts.count == 4 && [1, 2, 4].contains(parts[1]) && [1, 2, 4].contains(parts[3]) && parts[0] >= 1 && parts[2] >= 1 {
                return (parts[0], parts[1], parts[2], parts[3])
            }
        }
        return avx2Tiles ? (12, 4, 12, 4) : (7, 4, 7, 4)
    }()

    /// Whether the tiles are x86's AVX2 ones (16 ymm registers): they take up to 6 rows at a
    /// time and split larger tiles into groups of at most 6, as even as possible, so a tile of
    /// 12 rows reuses each weight vector it loads twice. AVX-512's 7-row tiles would leave AVX2
    /// a lone seventh row running at a quarter of the rate (measured on Zen 3, 64×512 · 512×2048:
    /// 7-row tiles 40–44 GFLOP/s, 6-row 54–65, 12-row 54–62, one thread).
    static let avx2Tiles: Bool = {
        #if arch(x86_64)
        return kernelISA == 1
        #else
        return false
        #endif
    }()

    /// Projection tiles along time (rows of one sequence, contiguous) rather than along the
    /// batch; `RNNCHECK_PROJ_ALONG=time` (for measurements).
    nonisolated(unsafe) static var projectAlongTime: Bool = {
        guard let env = getenv("RNNCHECK_PROJ_ALONG") else { return false }
        return String(cString: env) == "time"
    }()

    /// The projected inputs of one time block stay under this (`RNNCHECK_PROJ_BYTES`).
    nonisolated(unsafe) static var projectionBytes: Int = {
        if let env = getenv("RNNCHECK_PROJ_BYTES"), let n = Int(String(cString: env)), n > 0 { return n }
        return 1 << 20
    }()

    /// Whether LSTM steps with several rows take the input product too (`RNNCHECK_FUSE=0`: no).
    nonisolated(unsafe) static var fuseInput: Bool = {
        guard let env = getenv("RNNCHECK_FUSE") else { return true }
        return String(cString: env) != "0"
    }()

    /// Whether step tiles fetch the next weight panel into L2 (`RNNCHECK_PF2=0`: no; for measurements).
    nonisolated(unsafe) static var prefetchNextPanel: Bool = {
        guard let env = getenv("RNNCHECK_PF2") else { return true }
        return String(cString: env) != "0"
    }()

    /// Bidirectional directions always in lockstep (`RNNCHECK_LOCKSTEP=1`, for measurements).
    nonisolated(unsafe) static var lockstepDirections: Bool = {
        guard let env = getenv("RNNCHECK_LOCKSTEP") else { return false }
        return String(cString: env) == "1"
    }()

    /// Whether one-row steps carry the input projection of a later block (see `run`): where
    /// `rk_row2s_proj` interleaves it with the row product (AVX-512 with the two-strip row
    /// product); `RNNCHECK_OVERLAP=0` turns it off, `=1` on with any kernels (for measurements
    /// and tests: the other paths compute the same sums one after the other).
    nonisolated(unsafe) static var overlapProjection: Bool = {
        if let env = getenv("RNNCHECK_OVERLAP") { return String(cString: env) == "1" }
        #if arch(x86_64)
        return kernelISA == 2 && rk_row_two_strips() != 0
        #else
        return false
        #endif
    }()

    /// Steps per block of the overlapped projection, and slices (of the input dimension) per
    /// projection tile: equal, so that a block's steps have exactly one slice per row product.
    static let overlapRows = 8  // the step code writes its divisions by it as shifts by 3

    /// Chunks per thread and phase (`RNNCHECK_CHUNKS`).
    nonisolated(unsafe) static var chunksPerThread: Int = {
        if let env = getenv("RNNCHECK_CHUNKS"), let n = Int(String(cString: env)), n > 0 { return n }
        return 4
    }()

    /// Largest rows per tile for `vectors` 16-column vectors.
    static func maxRows(vectors: Int) -> Int {
        if avx2Tiles { return 12 }
        switch vectors {
        case 4: return 7
        case 3: return 8
        case 2: return 12
        default: return 8
        }
    }

    /// Splits `n` rows into tiles of at most `limit`, as even as possible.
    @inline(__always)
    static func tiles(_ n: Int, limit: Int) -> (count: Int, base: Int, extra: Int) {
        let count = (n + limit - 1) / limit
        return (count, n / count, n % count)
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func run<S: FastScalar>(
        _ dirs: [FastDirection<S>], input: Tensor<S>, mask: Mask?, threads requested: Int
    ) -> [FastResult<S>] {
        let (batch, time, features) = (input.shape[0], input.shape[1], input.shape[2])
        let isa = kernelISA
        let nd = dirs.count

        // Threads: only when a step has enough work to pay for a barrier.
        let dirMacs = dirs.map { batch * $0.packed.units * $0.packed.gates * $0.packed.units }
        var threads = max(1, requested)
        if dirMacs.reduce(0, +) < 24_000 { threads = 1 }
        // The directions of a Bidirectional one after the other rather than in lockstep, so that
        // the weights a step streams are one direction's, not both: with one thread, and with
        // several when each direction's step alone has work for all of them (then each thread's
        // share of one direction's weights is what stays in its L2). Small steps keep the
        // lockstep: there each thread takes one direction and a step needs no split.
        if nd > 1 && !lockstepDirections && (threads == 1 || dirMacs.min()! >= 1_000_000) {
            return dirs.flatMap { run([$0], input: input, mask: mask, threads: threads) }
        }

        // Chunks per direction: groups of whole panels.
        let stepChunks: [Int] = dirs.map { d in
            // several per thread, so that a thread that falls behind (its core taken by another
            // process) sheds work to the others instead of holding up every step
            // (one row: one chunk per thread, each an even number of panels, which the row
            // kernel takes two at a time)
            if batch == 1 && threads > 1 && d.packed.panelWidth == 64 {
                return max(1, min(d.packed.panels / 2, (threads + nd - 1) / nd))
            }
            // ... but each worth a few microseconds (~200k multiply-adds), so that claiming and
            // counting chunks stays small next to the work
            let p = d.packed
            let macs = batch * (p.units + (fuseInput && p.kind == .lstm && batch >= 4 ? p.inputDim : 0)) * p.paddedWidth
            let worth = max((threads + nd - 1) / nd, macs / 200_000)
            var want = threads == 1 ? 1 : max(1, min((chunksPerThread * threads + nd - 1) / nd, worth))
            // ... and, for one direction, a multiple of the threads: 3 chunks on 2 threads gave
            // one thread two of them every step (S5, batch 8: 537 -> 436-457 us at 2 threads)
            if nd == 1 && want > threads { want -= want % threads }
            return max(1, min(p.panels, want))
        }
        // LSTM with several rows: x_t @ W computed per step tile by tile, right before h @ U
        // (in cache when the gates read it), instead of a separate projection pass.
        let fusedInput: [Bool] = dirs.map { d in fuseInput && d.packed.kind == .lstm && batch >= 4 }
        let projChunks = zip(stepChunks, fusedInput).map { $1 ? 0 : $0 }
        // One row (LSTM or SimpleRNN with the fused gate pass, float32): a step's row products
        // stream the recurrent weights from L2 and leave the FMA units mostly idle, so each also
        // computes a slice of the input projection of the block of 8 steps after the current
        // one (rk_row2s_proj). Only the first block and a last partial one are projected
        // beforehand; the projections live in a ring of two blocks, then the tail.
        let rows8 = overlapRows
        let overlap = S.hasRowProjecting && overlapProjection && batch == 1 && time >= 2 * rows8
            && dirs.allSatisfy { d in
                d.packed.panelWidth == 64 && d.packed.fusedGates && (d.packed.kind == .lstm || d.packed.kind == .simpleRNN)
            }
        let fullEnd = time / rows8 * rows8

        // Time blocks: the projection of a block stays within a few MiB.
        var rowBytes = 0
        for (d, fused) in zip(dirs, fusedInput) where !fused { rowBytes += batch * d.packed.paddedWidth * MemoryLayout<S>.size }
        let blockSteps = overlap ? time : max(1, min(time, projectionBytes / max(rowBytes, 1)))
        /// The projection buffer row of step k.
        @inline(__always) func projRow(_ k: Int) -> Int {
            overlap ? (k < fullEnd ? k % (2 * rows8) : 2 * rows8 + k - fullEnd) : k % blockSteps
        }
        let blocks = (time + blockSteps - 1) / blockSteps

        // Buffers (kept alive by `taken` until the pool gets them back), recorded as raw pointers:
        // what the per-step code reads are constants of trivial types, so the time loop does no
        // reference counting and no exclusivity checks (they were ~10% of a B = 1 step).
        var bufs: [StepPointers<S>] = []
        let pool = BufferPool.shared
        var taken: [RawBuffer] = []
        func take(_ n: Int, zeroed: Bool) -> UnsafeMutablePointer<S> {
            let b = pool.take(bytes: n * MemoryLayout<S>.stride)
            let p = b.bound(to: S.self, count: n)
            if zeroed { p.update(repeating: 0, count: n) }
            taken.append(b)
            return p
        }
        defer { pool.give(taken) }
        for (n, d) in dirs.enumerated() {
            let p = d.packed
            let size = batch * p.paddedUnits
            // states are cleared whole (the padding lanes too: they must stay finite and normal)
            let h = (take(size, zeroed: true), take(size, zeroed: true))
            let c = p.kind == .lstm ? (take(size, zeroed: true), take(size, zeroed: true)) : nil
            let out = mask != nil ? (take(size, zeroed: true), take(size, zeroed: true)) : nil
            if let s = d.initialState {
                for (n, tensor) in s.enumerated() {
                    let dst = n == 0 ? h.0 : c!.0
                    tensor.scalars.withUnsafeBufferPointer { src in
                        for b in 0..<batch {
                            for j in 0..<p.units { dst[b * p.paddedUnits + j] = src[b * p.units + j] }
                        }
                    }
                }
            }
            // every projected element is written before it is read
            bufs.append(StepPointers(h: h, c: c, out: out,
                                     proj: take(fusedInput[n] ? 1 : (overlap ? 2 * rows8 + time - fullEnd : blockSteps) * batch * p.paddedWidth,
                                                zeroed: false)))
        }
        let scratchStride = 2048
        let scratch = take(threads * scratchStride, zeroed: false)
        let pointers = bufs

        // Phases: per block, one projection phase, then one phase per step.
        var phases: [FastPhase] = []
        var counts: [Int] = []
        let projTotal = projChunks.reduce(0, +)
        let stepTotal = stepChunks.reduce(0, +)
        for blk in 0..<blocks {
            phases.append(.project(block: blk))
            counts.append(projTotal)
            for k in (blk * blockSteps)..<min(time, (blk + 1) * blockSteps) {
                phases.append(.step(k: k))
                counts.append(stepTotal)
            }
        }
        // chunk -> (direction, chunk within it)
        var projOwner: [(Int, Int)] = []
        var stepOwner: [(Int, Int)] = []
        for (n, c) in projChunks.enumerated() { for i in 0..<c { projOwner.append((n, i)) } }
        for (n, c) in stepChunks.enumerated() { for i in 0..<c { stepOwner.append((n, i)) } }

        let packs: [Unmanaged<PackedCell<S>>] = dirs.map { Unmanaged.passUnretained($0.packed) }
        let goesBackwards = dirs.map { $0.goBackwards }
        let zeroOutput = dirs.map { $0.zeroOutputForMask }
        let sequences = dirs.map { $0.sequence }
        let phaseList = phases, projOwners = projOwner, stepOwners = stepOwner

        let tileSetting = tile
        input.scalars.withUnsafeBufferPointer { xBuf in
            let x = xBuf.baseAddress!
            let maskValues = mask?.values
            maskValues.withUnsafeOptionalBufferPointer { maskBuf in
                let maskPtr = maskBuf?.baseAddress

                func project(dir n: Int, chunk: Int, block: Int, tid: Int) {
                    packs[n]._withUnsafeGuaranteedRef { p in project(p, dir: n, chunk: chunk, block: block) }
                }
                func project(_ p: PackedCell<S>, dir n: Int, chunk: Int, block: Int) {
                    let backwards = goesBackwards[n]
                    let (p0, p1) = range(chunk, of: projChunks[n], total: p.panels)
                    let k0 = block * blockSteps
                    let steps = min(time, k0 + blockSteps) - k0
                    let pw = p.panelWidth
                    let ld = p.paddedWidth
                    let proj = pointers[n].proj
                    let vectors = pw == 48 ? 3 : tileSetting.projVectors
                    let rowLimit = min(tileSetting.projRows, maxRows(vectors: vectors), S.tileRowLimit)
                    for panel in p0..<p1 {
                        let w = UnsafePointer(p.kernel.pointer + panel * features * pw)
                        let bias = p.projectionBias.map { UnsafePointer($0.pointer + panel * pw) }
                        if batch >= 4 && !projectAlongTime {
                            // tiles along the batch at each step
                            let tl = tiles(batch, limit: rowLimit)
                            for s in 0..<steps {
                                let k = k0 + s
                                let t = backwards ? time - 1 - k : k
                                var r0 = 0
                                for i in 0..<tl.count {
                                    let mr = tl.base + (i < tl.extra ? 1 : 0)
                                    let z = proj + (s * batch + r0) * ld + panel * pw
                                    for v in Swift.stride(from: 0, to: pw / 16, by: vectors) {
                                        S.tile(isa, mr, vectors, x + (r0 * time + t) * features, time * features,
                                               packed: w, vector: v, k: features, z + v * 16, ld)
                                    }
                                    if let bias { S.addRow(isa, mr, pw, z, ld, bias) }
                                    r0 += mr
                                }
                            }
                        } else {
                            // tiles along time for each batch row: the block's steps, or with the
                            // overlapped projection (one row) the first block and the tail
                            let segments = overlap
                                ? [(k0: 0, steps: rows8, row0: 0), (k0: fullEnd, steps: time - fullEnd, row0: 2 * rows8)]
                                : [(k0: k0, steps: steps, row0: 0)]
                            for segment in segments where segment.steps > 0 {
                                let tl = tiles(segment.steps, limit: rowLimit)
                                for b in 0..<batch {
                                    var s0 = 0
                                    for i in 0..<tl.count {
                                        let mr = tl.base + (i < tl.extra ? 1 : 0)
                                        let k = segment.k0 + s0
                                        let t = backwards ? time - 1 - k : k
                                        let lda = backwards ? -features : features
                                        let z = proj + ((segment.row0 + s0) * batch + b) * ld + panel * pw
                                        for v in Swift.stride(from: 0, to: pw / 16, by: vectors) {
                                            S.tile(isa, mr, vectors, x + (b * time + t) * features, lda,
                                                   packed: w, vector: v, k: features, z + v * 16, batch * ld)
                                        }
                                        if let bias { S.addRow(isa, mr, pw, z, batch * ld, bias) }
                                        s0 += mr
                                    }
                                }
                            }
                        }
                    }
                }

                func step(dir n: Int, chunk: Int, k: Int, tid: Int) {
                    packs[n]._withUnsafeGuaranteedRef { p in step(p, dir: n, chunk: chunk, k: k, tid: tid) }
                }
                func step(_ p: PackedCell<S>, dir n: Int, chunk: Int, k: Int, tid: Int) {
                    let (p0, p1) = range(chunk, of: stepChunks[n], total: p.panels)
                    let t = goesBackwards[n] ? time - 1 - k : k
                    let u = p.units
                    let up = p.paddedUnits
                    let pu = p.panelUnits
                    let pw = p.panelWidth
                    let ld = p.paddedWidth
                    let b = pointers[n]
                    let odd = k & 1 == 1
                    let hPrev = odd ? b.h.1 : b.h.0, hNew = odd ? b.h.0 : b.h.1
                    let cPrev = b.c.map { odd ? $0.1 : $0.0 } ?? hPrev
                    let cNew = b.c.map { odd ? $0.0 : $0.1 } ?? hNew
                    let xw = b.proj + projRow(k) * batch * ld
                    let fused = fusedInput[n]
                    let z = scratch + tid * scratchStride
                    let vectors = pw == 48 ? 3 : tileSetting.vectors
                    let rowLimit = min(tileSetting.rows, maxRows(vectors: vectors), S.tileRowLimit)
                    let tl = tiles(batch, limit: rowLimit)
                    let u0 = p0 * pu, u1 = min(u, p1 * pu)
                    // Odd steps walk the panels backwards: the weights a step ends on are the ones
                    // the next step starts with, still in L2 when a step's weights exceed it.
                    let backwards = odd
                    var first = p0
                    if batch == 1 && pw == 64 && p.fusedGates && (p.kind == .lstm || p.kind == .simpleRNN) {
                        // One row: the products of up to 32 panels (two at a time, for 8 independent
                        // FMA chains), then one gate pass with the panels as its rows (so that its
                        // activations run in groups of 8 vectors).
                        let groupPanels = scratchStride / 64
                        let groups = (p1 - p0 + groupPanels - 1) / groupPanels
                        // the overlapped projection's block this step works on (the next one), if
                        // full (the tail was projected beforehand); its x rows, in step order
                        let nb = (k / rows8 + 1) * rows8
                        let projecting = overlap && nb + rows8 <= fullEnd
                        let xNext = projecting ? x + (goesBackwards[n] ? time - 1 - nb : nb) * features : x
                        let xStride = goesBackwards[n] ? -features : features
                        let zpBlock = b.proj + (projecting ? projRow(nb) * ld : 0)
                        // the chunk's calls over the block: 2·(p1 − p0) a step, one slice each
                        var call = (k & 7) * 2 * (p1 - p0)
                        for gi in 0..<groups {
                            let q0 = p0 + (backwards ? groups - 1 - gi : gi) * groupPanels
                            let q1 = min(p1, q0 + groupPanels)
                            prefetchRows(xw + q0 * pw, rows: 1, ld: ld, bytes: (q1 - q0) * pw * MemoryLayout<S>.size)
                            if projecting {
                                // each panel as two pairs of strips, each call carrying one slice
                                // (features / 8) of one 8-row × 32-column tile of block nb: this
                                // chunk's 2·(p1 − p0) tiles of 8 slices over the 8 steps of the
                                // current block, in walk order (so each tile's slices in order).
                                // Divisions by 8 (rows8) are written as shifts: this runs 16 times
                                // a step for 128 units.
                                for j in 0..<(q1 - q0) {
                                    let panel = backwards ? q1 - 1 - j : q0 + j
                                    let w = UnsafePointer(p.recurrentKernel.pointer + panel * u * pw)
                                    for half in 0..<2 {
                                        let tile = call >> 3, slice = call & 7
                                        let pj = p0 + tile >> 1, hj = tile & 1
                                        let zp = zpBlock + pj * pw + 32 * hj
                                        let w0 = UnsafePointer(p.kernel.pointer + pj * features * pw + 32 * hj * features)
                                        S.rowProjecting(isa, hPrev, w + 32 * half * u, w + (32 * half + 16) * u, u,
                                                        z + (panel - q0) * 64 + 32 * half, xNext, xStride,
                                                        w0, w0 + 16 * features, (slice * features) >> 3,
                                                        ((slice + 1) * features) >> 3, zp, ld)
                                        if slice == 7, let bias = p.projectionBias {
                                            S.addRow(isa, rows8, 32, zp, ld, UnsafePointer(bias.pointer + pj * pw + 32 * hj))
                                        }
                                        call += 1
                                    }
                                }
                            } else {
                                let pairs = (q1 - q0 + 1) / 2
                                for pi in 0..<pairs {
                                    let panel = q0 + 2 * (backwards ? pairs - 1 - pi : pi)
                                    let w = UnsafePointer(p.recurrentKernel.pointer + panel * u * pw)
                                    if panel + 1 < q1 {
                                        S.row2p(isa, hPrev, packed: w, w + u * pw, k: u, z + (panel - q0) * 64, z + (panel - q0 + 1) * 64)
                                    } else {
                                        S.tile(isa, 1, 4, hPrev, up, packed: w, vector: 0, k: u, z + (panel - q0) * 64, 64)
                                    }
                                }
                            }
                            let n = q1 - q0, off = q0 * pu
                            if p.kind == .lstm {
                                S.lstmGates(isa, n, z, 64, xw + q0 * pw, pw, p.stepBias.map { UnsafePointer($0.pointer + q0 * pw) },
                                            pw, cPrev + off, cNew + off, hNew + off, pu)
                            } else {
                                S.rnnTanh(isa, n, pu / 16, z, 64, xw + q0 * pw, pw, hNew + off, pu)
                            }
                        }
                        first = p1
                    }
                    // Whether this chunk's weights are more than L2 keeps from step to step (1 MiB here;
                    // 3/4 of it leaves room for the rest); then each tile also fetches a slice of the
                    // next panel into L2 (measured: S3 ~10% faster on a loaded host; S2 and S4 with two
                    // threads, whose halves fit, no better for it).
                    let streamsFromL3 = prefetchNextPanel
                        && (p1 - p0) * (u + (fused ? features : 0)) * pw * MemoryLayout<S>.size > 3 << 18
                    for j in 0..<(p1 - first) {
                        let panel = backwards ? p1 - 1 - j : first + j
                        let w = UnsafePointer(p.recurrentKernel.pointer + panel * u * pw)
                        var r0 = 0
                        // the next panel in this walk, fetched into L2 a slice per row tile
                        let next = backwards ? panel - 1 : panel + 1
                        let hasNext = next >= p0 && next < p1 && streamsFromL3
                        let nextU = UnsafePointer(p.recurrentKernel.pointer + next * u * pw)
                        let sliceU = hasNext ? (u * pw / 16 + tl.count - 1) / tl.count : 0
                        if fused {
                            let wx = UnsafePointer(p.kernel.pointer + panel * features * pw)
                            let nextW = UnsafePointer(p.kernel.pointer + next * features * pw)
                            let sliceW = hasNext ? (features * pw / 16 + tl.count - 1) / tl.count : 0
                            for i in 0..<tl.count {
                                let mr = tl.base + (i < tl.extra ? 1 : 0)
                                // x @ W and h @ U as separate chains, as Keras sums them (and as the
                                // projection pass would: the same bits), added by the gates
                                let zx = z + 1024
                                for v in Swift.stride(from: 0, to: pw / 16, by: vectors) {
                                    S.tile(isa, mr, vectors, x + (r0 * time + t) * features, time * features,
                                           packed: wx, vector: v, k: features, zx + v * 16, pw,
                                           prefetch: (nextW + min(i * sliceW, features * pw / 16) * 16, v == 0 ? sliceW : 0))
                                    S.tile(isa, mr, vectors, hPrev + r0 * up, up, packed: w, vector: v, k: u, z + v * 16, pw,
                                           prefetch: (nextU + min(i * sliceU, u * pw / 16) * 16, v == 0 ? sliceU : 0))
                                }
                                gates(p, isa: isa, rows: mr, acc: z, xw: zx, ld: pw, panel: panel,
                                      hPrev: hPrev, cPrev: cPrev, hNew: hNew, cNew: cNew, row0: r0)
                                r0 += mr
                            }
                            continue
                        }
                        for i in 0..<tl.count {
                            let mr = tl.base + (i < tl.extra ? 1 : 0)
                            // the projected inputs this tile's gates read: fetched while the product runs
                            prefetchRows(xw + r0 * ld + panel * pw, rows: mr, ld: ld, bytes: pw * MemoryLayout<S>.size)
                            for v in Swift.stride(from: 0, to: pw / 16, by: vectors) {
                                S.tile(isa, mr, vectors, hPrev + r0 * up, up, packed: w, vector: v, k: u, z + v * 16, pw,
                                       prefetch: (nextU + min(i * sliceU, u * pw / 16) * 16, v == 0 ? sliceU : 0))
                            }
                            gates(p, isa: isa, rows: mr, acc: z, xw: xw + r0 * ld + panel * pw, ld: ld, panel: panel,
                                  hPrev: hPrev, cPrev: cPrev, hNew: hNew, cNew: cNew, row0: r0)
                            r0 += mr
                        }
                    }
                    // Masking: carry states, repeat (or zero) the output.
                    var outNew = hNew
                    if let maskPtr {
                        let outPrev = odd ? b.out!.1 : b.out!.0
                        outNew = odd ? b.out!.0 : b.out!.1
                        let pu0 = p0 * pu, pu1 = p1 * pu
                        for r in 0..<batch {
                            let row = r * up
                            if maskPtr[r * time + t] {
                                for j in pu0..<pu1 { outNew[row + j] = hNew[row + j] }
                            } else {
                                for j in pu0..<pu1 {
                                    hNew[row + j] = hPrev[row + j]
                                    outNew[row + j] = zeroOutput[n] ? 0 : outPrev[row + j]
                                }
                                if b.c != nil {
                                    for j in pu0..<pu1 { cNew[row + j] = cPrev[row + j] }
                                }
                            }
                        }
                    }
                    if let seq = sequences[n], u0 < u1 {
                        let tt = seq.flip ? time - 1 - k : k
                        for r in 0..<batch {
                            let dst = seq.base + r * seq.batchStride + tt * seq.timeStride
                            let src = outNew + r * up
                            // memcpy: libc's wide-vector copy (a Swift loop here is 16-byte SSE)
                            (dst + u0).update(from: src + u0, count: u1 - u0)
                        }
                    }
                }

                let run = PhaseRun(counts: counts, threads: threads) { phase, chunk, tid in
                    switch phaseList[phase] {
                    case .project(let block):
                        let (n, c) = projOwners[chunk]
                        project(dir: n, chunk: c, block: block, tid: tid)
                    case .step(let k):
                        let (n, c) = stepOwners[chunk]
                        step(dir: n, chunk: c, k: k, tid: tid)
                    }
                }
                WorkerPool.shared.run(run)
            }
        }

        // Results.
        return dirs.enumerated().map { n, d in
            let p = d.packed
            let final = time & 1
            func extract(_ pair: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>)) -> [S] {
                let buf = final == 0 ? pair.0 : pair.1
                var out = [S](repeating: 0, count: batch * p.units)
                for b in 0..<batch {
                    for j in 0..<p.units { out[b * p.units + j] = buf[b * p.paddedUnits + j] }
                }
                return out
            }
            let h = extract(pointers[n].h)
            let last = mask != nil ? extract(pointers[n].out!) : h
            let states = p.kind == .lstm ? [h, extract(pointers[n].c!)] : [h]
            return FastResult<S>(last: last, states: states)
        }
    }

    /// Asks for `bytes` bytes of each of `rows` rows (`ld` scalars apart) from `p` on into cache.
    @inline(__always)
    static func prefetchRows<S>(_ p: UnsafeMutablePointer<S>, rows: Int, ld: Int, bytes: Int) {
        rk_prefetch_bytes(p, Int32(rows), ld * MemoryLayout<S>.stride, Int32(bytes))
    }

    /// Panels `[lo, hi)` of chunk `i` of `n` over `total` panels.
    @inline(__always)
    static func range(_ i: Int, of n: Int, total: Int) -> (Int, Int) {
        (i * total / n, (i + 1) * total / n)
    }

    /// The gates for `rows` rows of one panel from the recurrent product `acc` (rows × panelWidth)
    /// and the input product `xw` (rows × panelWidth, row stride `ld`).
    @inline(__always)
    static func gates<S: FastScalar>(
        _ p: PackedCell<S>, isa: Int32, rows: Int, acc: UnsafeMutablePointer<S>, xw: UnsafeMutablePointer<S>, ld: Int,
        panel: Int, hPrev: UnsafeMutablePointer<S>, cPrev: UnsafeMutablePointer<S>,
        hNew: UnsafeMutablePointer<S>, cNew: UnsafeMutablePointer<S>, row0: Int
    ) {
        let up = p.paddedUnits
        let pw = p.panelWidth
        let pu = p.panelUnits
        let off = row0 * up + panel * pu
        if p.fusedGates {
            switch p.kind {
            case .lstm:
                S.lstmGates(isa, rows, acc, pw, UnsafePointer(xw), ld,
                            p.stepBias.map { UnsafePointer($0.pointer + panel * pw) }, 0, cPrev + off, cNew + off, hNew + off, up)
            case .gru:
                S.gruGates(isa, rows, acc, pw, xw, ld, p.stepBias.map { UnsafePointer($0.pointer + panel * pw) },
                           hPrev + off, hNew + off, up)
            case .simpleRNN:
                S.rnnTanh(isa, rows, pu / 16, acc, pw, xw, ld, hNew + off, up)
            }
            return
        }
        let act = p.activation
        let rec = p.recurrentActivation
        let bias = p.stepBias.map { $0.pointer + panel * pw }
        for r in 0..<rows {
            let a = acc + r * pw
            let o = off + r * up
            let x = xw + r * ld
            switch p.kind {
            case .lstm:
                for j in 0..<16 {
                    var zi = x[j] + a[j], zf = x[16 + j] + a[16 + j]
                    var zc = x[32 + j] + a[32 + j], zo = x[48 + j] + a[48 + j]
                    if let bias {
                        zi = zi + bias[j]; zf = zf + bias[16 + j]; zc = zc + bias[32 + j]; zo = zo + bias[48 + j]
                    }
                    let i = rec(zi), f = rec(zf), g = act(zc), og = rec(zo)
                    let c = f * cPrev[o + j] + i * g
                    cNew[o + j] = c
                    hNew[o + j] = og * act(c)
                }
            case .gru:
                for j in 0..<16 {
                    var mz = a[j], mr = a[16 + j], mh = a[32 + j]
                    if let bias { mz = mz + bias[j]; mr = mr + bias[16 + j]; mh = mh + bias[32 + j] }
                    let z = rec(x[j] + mz)
                    let reset = rec(x[16 + j] + mr)
                    let candidate = act(x[32 + j] + reset * mh)
                    hNew[o + j] = z * hPrev[o + j] + (1 - z) * candidate
                }
            case .simpleRNN:
                for j in 0..<pu { hNew[o + j] = act(x[j] + a[j]) }
            }
        }
    }
}

extension Optional {
    /// Calls `body` with the array's buffer, or nil.
    func withUnsafeOptionalBufferPointer<E, R>(_ body: (UnsafeBufferPointer<E>?) throws -> R) rethrows -> R
    where Wrapped == [E] {
        switch self {
        case .some(let array): return try array.withUnsafeBufferPointer { try body($0) }
        case .none: return try body(nil)
        }
    }
}
