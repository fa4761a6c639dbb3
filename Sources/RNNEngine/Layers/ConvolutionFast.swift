#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels

/// The float32 convolution path (`ConvolutionLayer` and the ConvLSTM layers' recurrent
/// convolution).
///
/// The input is copied once into a zero-padded buffer, so that every window lies inside it; an
/// output row (every position along the last spatial axis, the other output coordinates fixed)
/// then reads, for each kernel tap, input rows at a fixed stride. Three ways to feed the packed
/// tile kernels, chosen by shape, all giving the same bits: each output element is one fused
/// multiply-add chain over the kernel's rows in (tap, channel) order from +0 — the order of the
/// im2col product — and then `+ bias`.
///
/// - `direct` (a group has ≥ 16 input channels): no gathering at all; per tile of output
///   positions and 64-filter panel, one tile call per tap continues the chains of the previous
///   tap (`accumulate`), its A operand the padded input itself (row stride `stride·channels`).
/// - `im2col` (few input channels): the windows of a segment of positions gathered into rows
///   of `taps·channels` (in a per-thread scratch, never the whole input), then one tile call
///   per tile and panel.
/// - `transposed` (fewer than 16 filters per group, e.g. a `Conv3D(1)` head): the windows of up
///   to 64 positions gathered as columns, and the kernel's transpose as the tile's rows, so a
///   tile row is a filter and 64 positions fill the 64 columns (rather than one filter padding
///   a 64-column panel with zeros).
///
/// Work is split into chunks of (batch row, output row, group, segment of ≤ 256 positions); a
/// chunk computes all of its outputs, so the thread count changes nothing in the results.
enum ConvStrategy: String {
    case direct, im2col, transposed

    /// `RNNCHECK_CONV=direct|im2col|transposed` forces one where it applies (for measurements).
    static let forced: ConvStrategy? = {
        guard let env = getenv("RNNCHECK_CONV") else { return nil }
        return ConvStrategy(rawValue: String(cString: env))
    }()
}

/// The geometry of one convolution on padded channels-last images.
struct FastConvPlan {
    let spatial: [Int]
    let outSpatial: [Int]
    let before: [Int]
    /// The padded image's extents (`before + n + after`).
    let padded: [Int]
    let channels: Int
    let groups: Int
    let cg: Int
    let fg: Int
    let filters: Int
    let taps: Int
    let patch: Int
    /// Floats of one padded image (all axes and channels).
    let imageCount: Int
    /// Floats between consecutive elements of each padded axis.
    let paddedStrides: [Int]
    /// For each tap, its offset from the window's origin in the padded image.
    let tapOffset: [Int]
    /// Floats between consecutive output positions of a row (stride along the last axis × channels).
    let lda: Int
    /// Output positions per output row, and output rows per image.
    let rowLength: Int
    let rows: Int
    let strides: [Int]
    let strategy: ConvStrategy
    /// Whether the input needs a padded copy (a `valid` convolution can read it in place).
    let needsPadding: Bool

    static let segment = 256

    /// Nil when the padded image would have more than `maxImage` floats (or its size overflows):
    /// the caller then takes the reference path, whose memory is bounded by its own checks.
    init?(spatial: [Int], geometry: ConvGeometry, channels: Int, groups: Int, filters: Int, maxImage: Int) {
        self.spatial = spatial
        let (out, before) = geometry.output(spatial)
        outSpatial = out
        self.before = before
        let d = spatial.count
        padded = (0..<d).map { a in
            // Room for the last window: (out − 1)·stride + span from the padded origin.
            Swift.max(before[a] + spatial[a], (out[a] - 1) * geometry.strides[a] + geometry.span(a))
        }
        self.channels = channels
        self.groups = groups
        cg = channels / groups
        fg = filters / groups
        self.filters = filters
        taps = geometry.kernel.reduce(1, *)
        patch = taps * cg
        guard d > 0, out.allSatisfy({ $0 >= 1 }) else { return nil }
        var ps = [Int](repeating: channels, count: d)
        var image = channels
        for a in stride(from: d - 1, through: 0, by: -1) {
            ps[a] = image
            let (next, overflow) = image.multipliedReportingOverflow(by: padded[a])
            guard !overflow, next <= maxImage else { return nil }
            image = next
        }
        paddedStrides = ps
        imageCount = image
        let kStrides = rowMajorStrides(geometry.kernel)
        tapOffset = (0..<taps).map { t in
            (0..<d).reduce(0) { sum, a in sum + ((t / kStrides[a]) % geometry.kernel[a]) * geometry.dilation[a] * ps[a] }
        }
        lda = geometry.strides[d - 1] * channels
        rowLength = out[d - 1]
        rows = out.dropLast().reduce(1, *)
        strides = geometry.strides
        needsPadding = padded != spatial || before.contains { $0 != 0 }
        if let forced = ConvStrategy.forced {
            strategy = forced
        } else if fg < 16 {
            strategy = .transposed
        } else if cg >= 16 {
            strategy = .direct
        } else {
            strategy = .im2col
        }
    }

    /// Segments of output positions per row.
    var segments: Int { (rowLength + Self.segment - 1) / Self.segment }

    /// The padded-image offset of output row `row`'s first window origin.
    func rowOrigin(_ row: Int) -> Int {
        var r = row, offset = 0
        for a in stride(from: outSpatial.count - 2, through: 0, by: -1) {
            offset += (r % outSpatial[a]) * strides[a] * paddedStrides[a]
            r /= outSpatial[a]
        }
        return offset
    }

    /// The padded-image offset of the input element at output row `row`, position 0 (for a
    /// stride-1 `same` convolution whose output has the input's extents: where a state lives).
    func interiorOffset(_ row: Int) -> Int {
        var r = row, offset = before[before.count - 1] * paddedStrides[before.count - 1]
        for a in stride(from: outSpatial.count - 2, through: 0, by: -1) {
            offset += ((r % outSpatial[a]) + before[a]) * paddedStrides[a]
            r /= outSpatial[a]
        }
        return offset
    }

    /// Copies `batch` channels-last images into zero-padded ones.
    func pad(_ x: UnsafePointer<Float>, batch: Int, into dst: UnsafeMutablePointer<Float>) {
        dst.update(repeating: 0, count: batch * imageCount)
        let d = spatial.count
        let run = spatial[d - 1] * channels
        let inRows = spatial.dropLast().reduce(1, *)
        for b in 0..<batch {
            for row in 0..<inRows {
                var r = row, offset = before[d - 1] * paddedStrides[d - 1]
                for a in stride(from: d - 2, through: 0, by: -1) {
                    offset += ((r % spatial[a]) + before[a]) * paddedStrides[a]
                    r /= spatial[a]
                }
                (dst + b * imageCount + offset).update(from: x + (b * inRows + row) * run, count: run)
            }
        }
    }

    /// Scratch floats one thread needs.
    var scratchCount: Int {
        let limit = FastConvPlan.rowLimit
        switch strategy {
        case .direct: return limit * 64
        case .im2col: return Self.segment * patch + limit * 64
        case .transposed: return patch * 64 + limit * 64
        }
    }

    /// Rows per tile call: 6 for the AVX2 kernels (measured for convolutions), else what the recurrent
    /// product uses on that instruction set (AVX-512, NEON, portable: `maxRows`).
    static let rowLimit: Int = FastRecurrent.avx2Tiles ? 6 : FastRecurrent.maxRows(vectors: 4)

    /// Outputs `w0 ..< w0 + count` of output row `row` of group `g`, from the padded image at
    /// `image`, into `out` (row stride `ldo`, the group's first filter at column 0), plus `bias`
    /// (the group's, or nil).
    func compute(image: UnsafePointer<Float>, row: Int, group g: Int, from w0: Int, count: Int,
                 weights: FastConvWeights.Snapshot, bias: UnsafePointer<Float>?,
                 into out: UnsafeMutablePointer<Float>, ldo: Int, scratch: UnsafeMutablePointer<Float>) {
        let isa = kernelISA
        let origin = image + rowOrigin(row) + w0 * lda + g * cg
        let limit = FastConvPlan.rowLimit
        let tl = FastRecurrent.tiles(count, limit: limit)
        switch strategy {
        case .direct, .im2col:
            let panels = weights.panels[g]
            var cols = origin, ldc = lda
            let z0 = scratch
            if strategy == .im2col {
                // Row w: for each tap, the group's channels at that window position.
                let buffer = scratch + limit * 64
                for w in 0..<count {
                    let src = origin + w * lda
                    let dst = buffer + w * patch
                    for t in 0..<taps { (dst + t * cg).update(from: src + tapOffset[t], count: cg) }
                }
                cols = UnsafePointer(buffer)
                ldc = patch
            }
            for (p, panel) in panels.enumerated() {
                let width = Swift.min(64, fg - p * 64)
                for tile in 0..<tl.count {
                    let r0 = tile * tl.base + Swift.min(tile, tl.extra)
                    let mr = tl.base + (tile < tl.extra ? 1 : 0)
                    let direct = width == 64
                    let z = direct ? out + r0 * ldo + p * 64 : z0
                    let ldz = direct ? ldo : 64
                    // the panel is a PackedMatrix<Float>: 16-column strips of `patch` rows, so
                    // tap t's rows start t·cg rows into each strip (ldb 16, strips patch·16 apart)
                    if strategy == .direct {
                        for t in 0..<taps {
                            rk_tile_acc(isa, Int32(mr), 4, origin + tapOffset[t] + r0 * lda, lda, panel + t * cg * 16, 16, patch * 16, cg,
                                        z, ldz, t == 0 ? 0 : 1)
                        }
                    } else {
                        rk_tile(isa, Int32(mr), 4, cols + r0 * ldc, ldc, panel, 16, patch * 16, patch, z, ldz)
                    }
                    if direct {
                        if let bias { rk_add_row(isa, Int32(mr), 64, z, ldz, bias + p * 64) }
                    } else {
                        for r in 0..<mr {
                            let dst = out + (r0 + r) * ldo + p * 64
                            if let bias {
                                for j in 0..<width { dst[j] = z0[r * 64 + j] + bias[p * 64 + j] }
                            } else {
                                dst.update(from: z0 + r * 64, count: width)
                            }
                        }
                    }
                }
            }
        case .transposed:
            // Columns: 64 positions; rows: the kernel's (tap, channel) rows. Tile rows: filters.
            let kernelT = weights.transposed[g]
            let colsT = scratch + limit * 64
            let ft = FastRecurrent.tiles(fg, limit: limit)
            for block in stride(from: 0, to: count, by: 64) {
                let nb = Swift.min(64, count - block)
                if nb < 64 { colsT.update(repeating: 0, count: patch * 64) }
                for w in 0..<nb {
                    let src = origin + (block + w) * lda
                    for t in 0..<taps {
                        let s = src + tapOffset[t]
                        let d = colsT + t * cg * 64 + w
                        for c in 0..<cg { d[c * 64] = s[c] }
                    }
                }
                for tile in 0..<ft.count {
                    let f0 = tile * ft.base + Swift.min(tile, ft.extra)
                    let mr = ft.base + (tile < ft.extra ? 1 : 0)
                    rk_tile(isa, Int32(mr), 4, kernelT + f0 * patch, patch, colsT, 64, 16, patch, scratch, 64)
                    for r in 0..<mr {
                        let b = bias?[f0 + r]
                        for w in 0..<nb {
                            let v = scratch[r * 64 + w]
                            out[(block + w) * ldo + f0 + r] = b.map { v + $0 } ?? v
                        }
                    }
                }
            }
        }
    }

    /// The whole convolution of `batch` images (`x` channels-last, unpadded) into `out`
    /// (`batch × outputs × filters`), bias added, on up to `threads` threads.
    func run(_ x: UnsafePointer<Float>, batch: Int, weights: FastConvWeights.Snapshot, bias: UnsafePointer<Float>?,
             into out: UnsafeMutablePointer<Float>, threads requested: Int) {
        var paddedCopy: UnsafeMutablePointer<Float>?
        if needsPadding {
            paddedCopy = .allocate(capacity: Swift.max(batch * imageCount, 1))
            pad(x, batch: batch, into: paddedCopy!)
        }
        defer { paddedCopy?.deallocate() }
        let images = UnsafePointer(paddedCopy) ?? x
        let segs = segments
        let chunks = batch * rows * groups * segs
        let positions = rows * rowLength
        let macs = batch * positions * patch * fg * groups
        let threads = macs < 1 << 19 ? 1 : Swift.max(1, Swift.min(requested, chunks))
        let scratchCount = self.scratchCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount * threads)
        defer { scratch.deallocate() }
        let run = PhaseRun(counts: [chunks], threads: threads) { _, c, tid in
            var rest = c
            let seg = rest % segs; rest /= segs
            let g = rest % self.groups; rest /= self.groups
            let row = rest % self.rows
            let b = rest / self.rows
            let w0 = seg * FastConvPlan.segment
            let n = Swift.min(FastConvPlan.segment, self.rowLength - w0)
            self.compute(image: images + b * self.imageCount, row: row, group: g, from: w0, count: n, weights: weights,
                         bias: bias.map { $0 + g * self.fg },
                         into: out + ((b * positions + row * self.rowLength + w0) * self.filters + g * self.fg),
                         ldo: self.filters, scratch: scratch + tid * scratchCount)
        }
        WorkerPool.shared.run(run)
    }
}

/// A convolution kernel `(taps·cg × filters)` packed once per group for the tile kernels (and,
/// for the `transposed` strategy, each group's transpose), kept with the layer and re-made when
/// its kernel array changes.
final class FastConvWeights: @unchecked Sendable {
    struct Snapshot {
        /// Per group, its 64-filter panels (`taps·cg × 64` each).
        let panels: [[UnsafePointer<Float>]]
        /// Per group, `fg × taps·cg` row-major (only for the `transposed` strategy).
        let transposed: [UnsafePointer<Float>]
        /// Keeps the packed storage alive.
        let owners: [AnyObject]
    }

    private let lock = NSLockLike()
    private var source: [Float] = []
    private var key: [Int] = []
    private var snapshot: Snapshot?

    func get(_ kernel: [Float], patch: Int, filters: Int, groups: Int, transposed: Bool) -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        let key = [patch, filters, groups, transposed ? 1 : 0]
        let same = source.withUnsafeBufferPointer { a in kernel.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        if let snapshot, same, key == self.key { return snapshot }
        let fg = filters / groups
        var panels: [[UnsafePointer<Float>]] = [], owners: [AnyObject] = [], transposedPointers: [UnsafePointer<Float>] = []
        kernel.withUnsafeBufferPointer { k in
            for g in 0..<groups {
                let m = PackedMatrix(k.baseAddress! + g * fg, k: patch, n: fg, rowStride: filters, columnStride: 1)
                owners.append(m)
                panels.append((0..<m.panels).map { m.panel($0) })
                if transposed {
                    let t = ScratchArray(count: fg * patch)
                    for f in 0..<fg { for q in 0..<patch { t.pointer[f * patch + q] = k[q * filters + g * fg + f] } }
                    owners.append(t)
                    transposedPointers.append(UnsafePointer(t.pointer))
                }
            }
        }
        let s = Snapshot(panels: panels, transposed: transposedPointers, owners: owners)
        source = kernel
        self.key = key
        snapshot = s
        return s
    }
}

/// Float storage owned by a class (freed with it).
final class ScratchArray: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(count: Int) {
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }
    deinit { pointer.deallocate() }
}

extension ConvolutionLayer {
    /// `convolve` on the float32 path (see `FastConvPlan`), or nil when it does not apply.
    func fastConvolve(_ x: Tensor<Scalar>, spatial: [Int]) -> Tensor<Scalar>? {
        guard Scalar.self == Float.self, FastPath.enabled, !spatial.isEmpty else { return nil }
        let batch = x.shape[0]
        // The padded copy may be larger than the input by its padding only (a huge dilation on a
        // small input goes the reference way).
        guard let plan = FastConvPlan(spatial: spatial, geometry: geometry, channels: inputChannels, groups: groups, filters: filters,
                                      maxImage: Swift.max(4 * (x.count / Swift.max(batch, 1)), 1 << 20)) else { return nil }
        let weights = fast.get(kernel.reinterpreted(as: Float.self), patch: plan.patch, filters: filters, groups: groups,
                               transposed: plan.strategy == .transposed)
        let outCount = batch * plan.rows * plan.rowLength * filters
        let xf = x.scalars.reinterpreted(as: Float.self)
        let out = [Float](unsafeUninitializedCapacity: outCount) { buffer, count in
            xf.withUnsafeBufferPointer { xp in
                bias.reinterpreted(as: Float.self).withUnsafeOptionalBufferPointer { bp in
                    plan.run(xp.baseAddress!, batch: batch, weights: weights, bias: bp?.baseAddress, into: buffer.baseAddress!,
                             threads: ComputeThreads.count)
                }
            }
            count = outCount
        }
        return Tensor(shape: [batch] + plan.outSpatial + [filters], scalars: out.reinterpreted(as: Scalar.self))
    }
}
