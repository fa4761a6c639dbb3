#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels

/// A `k × n` matrix packed once for the tile kernels: 64-column panels (the last padded with
/// zeros), each `k × 64` contiguous and made of strips of `S.stripWidth` columns, each
/// `k × stripWidth` contiguous (`FastScalar.stripOffset`, as `PackedCell`).
final class PackedMatrix<S: FastScalar>: @unchecked Sendable {
    let k: Int
    let n: Int
    let panels: Int
    let buffer: AlignedBuffer<S>
    static var panelWidth: Int { 64 }

    /// Packs row-major `b` (`k × n`).
    convenience init(_ b: UnsafePointer<S>, k: Int, n: Int) {
        self.init(b, k: k, n: n, rowStride: n, columnStride: 1)
    }

    /// Packs the `k × n` matrix whose element `(q, j)` is `b[q·rowStride + j·columnStride]` (a
    /// strided slice, or with the strides swapped a transpose).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    init(_ b: UnsafePointer<S>, k: Int, n: Int, rowStride: Int, columnStride: Int) {
        self.k = k
        self.n = n
        panels = (n + 63) / 64
        buffer = AlignedBuffer<S>(count: max(panels * k * 64, 1), zeroed: true)
        for p in 0..<panels {
            let width = min(64, n - p * 64)
            let sw = S.stripWidth
            for s in 0..<(width + sw - 1) / sw {
                let w = min(sw, width - s * sw)
                for q in 0..<k {
                    let dst = buffer.pointer + p * k * 64 + S.stripOffset(row: q, column: s * sw, k: k)
                    let src = b + q * rowStride + (p * 64 + s * sw) * columnStride
                    if columnStride == 1 {
                        dst.update(from: src, count: w)
                    } else {
                        for j in 0..<w { dst[j] = src[j * columnStride] }
                    }
                }
            }
        }
    }

    func panel(_ p: Int) -> UnsafePointer<S> { UnsafePointer(buffer.pointer + p * k * 64) }
}

/// Packed weights made on first use and kept with a layer (its copies share them).
final class PackedMatrixCache: @unchecked Sendable {
    private let lock = NSLockLike()
    /// Per slot: the array packed (kept, so that its storage and so its identity cannot change)
    /// and its `PackedMatrix<Float>` or `PackedMatrix<Double>`.
    private var packed: [Int: (source: Any, matrix: AnyObject)] = [:]

    /// The packing of `b` (`k × n`), slot `slot` (a layer may pack several matrices).
    func matrix<S: FastScalar>(_ b: [S], k: Int, n: Int, slot: Int = 0) -> PackedMatrix<S> {
        lock.lock()
        defer { lock.unlock() }
        if let p = packed[slot], let m = p.matrix as? PackedMatrix<S>, m.k == k, m.n == n,
           let source = p.source as? [S], source.withUnsafeBufferPointer({ x in
               b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress }
           }) {
            return m
        }
        let m = b.withUnsafeBufferPointer { PackedMatrix<S>($0.baseAddress!, k: k, n: n) }
        packed[slot] = (b, m)
        return m
    }
}

/// A tiny mutex (Foundation-free, so the engine stays portable).
final class NSLockLike: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}

/// Matrix products on the tile kernels: every output element is one fused multiply-add chain
/// over `k` from +0, whatever the tiling, instruction set or thread count, so results are
/// bit-identical for any number of threads.
enum FastGEMM {
    /// `c (m × n, contiguous) = a (m × k, row stride lda) · b`, then `+ bias` on each row.
    static func multiply<S: FastScalar>(
        _ a: UnsafePointer<S>, lda: Int, m: Int, _ b: PackedMatrix<S>, bias: UnsafePointer<S>?,
        into c: UnsafeMutablePointer<S>, threads requested: Int = ComputeThreads.count
    ) {
        guard m > 0, b.n > 0 else { return }
        let isa = kernelISA
        let rowLimit = min(FastRecurrent.maxRows(vectors: 4), S.tileRowLimit)
        let tl = FastRecurrent.tiles(m, limit: rowLimit)
        let (k, n) = (b.k, b.n)
        // A chunk is one row tile against one panel.
        let chunks = tl.count * b.panels
        let flops = 2 * m * n * k
        let threads = flops < 1 << 20 ? 1 : max(1, min(requested, chunks))
        let scratchCount = rowLimit * 64
        func chunk(_ c0: Int, scratch: UnsafeMutablePointer<S>) {
            let (tile, panel) = (c0 / b.panels, c0 % b.panels)
            let r0 = tile * tl.base + min(tile, tl.extra)
            let mr = tl.base + (tile < tl.extra ? 1 : 0)
            let width = min(64, n - panel * 64)
            let aRows = a + r0 * lda
            if width == 64 {
                let z = c + r0 * n + panel * 64
                if k == 0 {
                    for r in 0..<mr { (z + r * n).update(repeating: 0, count: 64) }
                } else {
                    S.tile(isa, mr, 4, aRows, lda, packed: b.panel(panel), vector: 0, k: k, z, n)
                }
                if let bias { S.addRow(isa, mr, 64, z, n, bias + panel * 64) }
            } else {
                if k == 0 {
                    scratch.update(repeating: 0, count: mr * 64)
                } else {
                    S.tile(isa, mr, 4, aRows, lda, packed: b.panel(panel), vector: 0, k: k, scratch, 64)
                }
                for r in 0..<mr {
                    let z = c + (r0 + r) * n + panel * 64
                    for j in 0..<width { z[j] = scratch[r * 64 + j] + (bias.map { $0[panel * 64 + j] } ?? 0) }
                }
            }
        }
        if threads == 1 {
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            for c0 in 0..<chunks { chunk(c0, scratch: scratch) }
            return
        }
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: scratchCount * threads)
        defer { scratch.deallocate() }
        let run = PhaseRun(counts: [chunks], threads: threads) { _, c0, tid in chunk(c0, scratch: scratch + tid * scratchCount) }
        WorkerPool.shared.run(run)
    }
}

extension Kernels {
    /// `x (rows × k) · w (k × n)` (+ bias on each row): on the tile kernels (float32 or float64)
    /// when the fast path is on (weights packed once in `cache`), else the reference loop.
    static func product<S: EngineScalar>(
        _ x: [S], rows: Int, k: Int, _ w: [S], n: Int, bias: [S]?, cache: PackedMatrixCache, slot: Int = 0
    ) -> [S] {
        if FastPath.enabled, rows > 0, n > 0, let kind = FastScalarKind(S.self) {
            switch kind {
            case .float32:
                return fastProduct(x.reinterpreted(as: Float.self), rows: rows, k: k, w.reinterpreted(as: Float.self), n: n,
                                   bias: bias.reinterpreted(as: Float.self), cache: cache, slot: slot).reinterpreted(as: S.self)
            case .float64:
                return fastProduct(x.reinterpreted(as: Double.self), rows: rows, k: k, w.reinterpreted(as: Double.self), n: n,
                                   bias: bias.reinterpreted(as: Double.self), cache: cache, slot: slot).reinterpreted(as: S.self)
            }
        }
        var y = matmul(x, w, m: rows, k: k, n: n)
        if let bias { addRowVector(&y, bias) }
        return y
    }

    private static func fastProduct<S: FastScalar>(
        _ x: [S], rows: Int, k: Int, _ w: [S], n: Int, bias: [S]?, cache: PackedMatrixCache, slot: Int
    ) -> [S] {
        let packed = cache.matrix(w, k: k, n: n, slot: slot)
        return [S](unsafeUninitializedCapacity: rows * n) { buffer, count in
            x.withUnsafeBufferPointer { xp in
                bias.withUnsafeOptionalBufferPointer { bp in
                    FastGEMM.multiply(xp.baseAddress!, lda: k, m: rows, packed, bias: bp?.baseAddress, into: buffer.baseAddress!)
                }
            }
            count = rows * n
        }
    }
}

extension Kernels {
    /// `c (m × n, row stride ldc) = a (m × k, row stride lda) · b`, where `b`'s element `(q, j)` is
    /// at `b[q·rowStride + j·columnStride]`: for operands made during a run (attention scores).
    /// On the tile kernels (one FMA chain per element), else the reference loop.
    static func product<S: EngineScalar>(
        _ a: UnsafePointer<S>, lda: Int, m: Int, k: Int, _ b: UnsafePointer<S>, rowStride: Int, columnStride: Int, n: Int,
        into c: UnsafeMutablePointer<S>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if FastPath.enabled, let kind = FastScalarKind(S.self) {
            func cast<T>(_ p: UnsafePointer<S>) -> UnsafePointer<T> { UnsafeRawPointer(p).assumingMemoryBound(to: T.self) }
            func cast<T>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<T> {
                UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
            }
            switch kind {
            case .float32:
                fastProduct(cast(a) as UnsafePointer<Float>, lda: lda, m: m, k: k, cast(b), rowStride: rowStride,
                            columnStride: columnStride, n: n, into: cast(c), ldc: ldc)
            case .float64:
                fastProduct(cast(a) as UnsafePointer<Double>, lda: lda, m: m, k: k, cast(b), rowStride: rowStride,
                            columnStride: columnStride, n: n, into: cast(c), ldc: ldc)
            }
            return
        }
        for i in 0..<m {
            for j in 0..<n {
                var s: S = 0
                for q in 0..<k { s += a[i * lda + q] * b[q * rowStride + j * columnStride] }
                c[i * ldc + j] = s
            }
        }
    }

    private static func fastProduct<S: FastScalar>(
        _ a: UnsafePointer<S>, lda: Int, m: Int, k: Int, _ b: UnsafePointer<S>, rowStride: Int, columnStride: Int, n: Int,
        into c: UnsafeMutablePointer<S>, ldc: Int
    ) {
        let packed = PackedMatrix<S>(b, k: k, n: n, rowStride: rowStride, columnStride: columnStride)
        if ldc == n {
            FastGEMM.multiply(a, lda: lda, m: m, packed, bias: nil, into: c, threads: 1)
        } else {
            let tmp = UnsafeMutablePointer<S>.allocate(capacity: m * n)
            defer { tmp.deallocate() }
            FastGEMM.multiply(a, lda: lda, m: m, packed, bias: nil, into: tmp, threads: 1)
            for r in 0..<m { (c + r * ldc).update(from: tmp + r * n, count: n) }
        }
    }
}
