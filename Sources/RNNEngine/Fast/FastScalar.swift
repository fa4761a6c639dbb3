import CRNNKernels

/// The scalars the fast path computes in, with their kernels: `Float` (what Keras computes in,
/// on the float32 kernels of `rnn_kernels.h`) and `Double` (the error budget's yardstick, on
/// the float64 kernels of `rnn_kernels64.h`). One design for both: weights packed in panels
/// once, every product element one FMA chain from +0, gates fused; so both are bit-identical
/// for any thread count.
///
/// Generic code over `FastScalar` is only ever called with a concrete type (see
/// `FastScalarKind`), so the optimizer specializes it: no witness-table call in a loop.
protocol FastScalar: EngineScalar {
    /// The columns of one strip of packed weights: one 64-byte line per strip row (16 floats,
    /// 8 doubles).
    static var stripWidth: Int { get }
    /// `z (mr × 16·nv, ldz) = a (mr × k, lda) · b (k × 16·nv)`, B's element `(q, j)` at
    /// `b[q·ldb + (j/w)·bs + j%w]`, `w = stripWidth` (strips `bs` apart; row-major is `bs = w`).
    static func tile(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                     _ b: UnsafePointer<Self>, _ ldb: Int, _ bs: Int, _ k: Int, _ z: UnsafeMutablePointer<Self>, _ ldz: Int)
    /// `tile`, also fetching `pf2n` lines from `pf2` on into L2 (the next weight panel) where the
    /// kernels can.
    static func tilePrefetching(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                                _ b: UnsafePointer<Self>, _ ldb: Int, _ bs: Int, _ k: Int, _ z: UnsafeMutablePointer<Self>,
                                _ ldz: Int, _ pf2: UnsafePointer<Self>, _ pf2n: Int)
    /// One row against two 64-column panels.
    static func row2p(_ isa: Int32, _ a: UnsafePointer<Self>, _ b0: UnsafePointer<Self>, _ b1: UnsafePointer<Self>,
                      _ ldb: Int, _ bs: Int, _ k: Int, _ z0: UnsafeMutablePointer<Self>, _ z1: UnsafeMutablePointer<Self>)
    static func lstmGates(_ isa: Int32, _ rows: Int, _ acc: UnsafeMutablePointer<Self>, _ ldacc: Int,
                          _ xw: UnsafePointer<Self>?, _ ldxw: Int, _ bias: UnsafePointer<Self>?, _ ldbias: Int,
                          _ cPrev: UnsafePointer<Self>, _ cNew: UnsafeMutablePointer<Self>,
                          _ hNew: UnsafeMutablePointer<Self>, _ ldh: Int)
    static func gruGates(_ isa: Int32, _ rows: Int, _ acc: UnsafeMutablePointer<Self>, _ ldacc: Int,
                         _ xw: UnsafePointer<Self>, _ ldxw: Int, _ rbias: UnsafePointer<Self>?,
                         _ hPrev: UnsafePointer<Self>, _ hNew: UnsafeMutablePointer<Self>, _ ldh: Int)
    static func rnnTanh(_ isa: Int32, _ rows: Int, _ n16: Int, _ acc: UnsafePointer<Self>, _ ldacc: Int,
                        _ xw: UnsafePointer<Self>, _ ldxw: Int, _ hNew: UnsafeMutablePointer<Self>, _ ldh: Int)
    /// Adds `src` (n) to each of `rows` rows of `dst`.
    static func addRow(_ isa: Int32, _ rows: Int, _ n: Int, _ dst: UnsafeMutablePointer<Self>, _ ld: Int,
                       _ src: UnsafePointer<Self>)
    /// The most rows one tile call should take (the float64 kernels tile 6 rows at a time).
    static var tileRowLimit: Int { get }
    /// Whether `rowProjecting` exists for this scalar (float32 only).
    static var hasRowProjecting: Bool { get }
    /// One row against the strips `u0`, `u1` (`ku` rows of 16 each) into `z` (32 columns), and
    /// the `q0 ..< q1` part of the 8-row × 32-column product of `x` (8 rows `lda` apart) with
    /// the strips `w0`, `w1`, accumulated in `zp` (zeroed first when `q0 == 0`): one step's row
    /// product carrying a slice of a later block's input projection (`rk_row2s_proj`).
    static func rowProjecting(_ isa: Int32, _ a: UnsafePointer<Self>, _ u0: UnsafePointer<Self>, _ u1: UnsafePointer<Self>,
                              _ ku: Int, _ z: UnsafeMutablePointer<Self>, _ x: UnsafePointer<Self>, _ lda: Int,
                              _ w0: UnsafePointer<Self>, _ w1: UnsafePointer<Self>, _ q0: Int, _ q1: Int,
                              _ zp: UnsafeMutablePointer<Self>, _ ldzp: Int)
}

/// Weights packed as strips (`PackedCell`, `PackedMatrix`): a block of `k` rows is cut into
/// strips of `stripWidth` columns, each `k × stripWidth` contiguous (one 64-byte line per row).
/// The packers and the tile calls take the layout from here, so it is spelled out once.
extension FastScalar {
    /// Where element `(q, c)` of a strip-packed block of `k` rows lies from the block's start.
    /// Column `c` starts at `c · k` when `c` is a multiple of the strip width.
    @inline(__always)
    static func stripOffset(row q: Int, column c: Int, k: Int) -> Int {
        (c / stripWidth) * k * stripWidth + q * stripWidth + c % stripWidth
    }

    /// `tile` (or `tilePrefetching`, given `prefetch`) on the `nv` 16-column blocks from column
    /// `16·v` of a strip-packed block of `k` rows.
    @inline(__always)
    static func tile(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                     packed block: UnsafePointer<Self>, vector v: Int, k: Int, _ z: UnsafeMutablePointer<Self>, _ ldz: Int,
                     prefetch: (UnsafePointer<Self>, Int)? = nil) {
        let b = block + stripOffset(row: 0, column: 16 * v, k: k)
        if let (pf2, pf2n) = prefetch {
            tilePrefetching(isa, mr, nv, a, lda, b, stripWidth, k * stripWidth, k, z, ldz, pf2, pf2n)
        } else {
            tile(isa, mr, nv, a, lda, b, stripWidth, k * stripWidth, k, z, ldz)
        }
    }

    /// `row2p` on two strip-packed 64-column panels of `k` rows.
    @inline(__always)
    static func row2p(_ isa: Int32, _ a: UnsafePointer<Self>, packed b0: UnsafePointer<Self>, _ b1: UnsafePointer<Self>,
                      k: Int, _ z0: UnsafeMutablePointer<Self>, _ z1: UnsafeMutablePointer<Self>) {
        row2p(isa, a, b0, b1, stripWidth, k * stripWidth, k, z0, z1)
    }
}

extension Float: FastScalar {
    static var stripWidth: Int { 16 }
    @inline(__always)
    static func tile(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                     _ b: UnsafePointer<Float>, _ ldb: Int, _ bs: Int, _ k: Int, _ z: UnsafeMutablePointer<Float>, _ ldz: Int) {
        rk_tile(isa, Int32(mr), Int32(nv), a, lda, b, ldb, bs, k, z, ldz)
    }
    @inline(__always)
    static func tilePrefetching(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                                _ b: UnsafePointer<Float>, _ ldb: Int, _ bs: Int, _ k: Int, _ z: UnsafeMutablePointer<Float>,
                                _ ldz: Int, _ pf2: UnsafePointer<Float>, _ pf2n: Int) {
        rk_tile_pf(isa, Int32(mr), Int32(nv), a, lda, b, ldb, bs, k, z, ldz, pf2, pf2n)
    }
    @inline(__always)
    static func row2p(_ isa: Int32, _ a: UnsafePointer<Float>, _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>,
                      _ ldb: Int, _ bs: Int, _ k: Int, _ z0: UnsafeMutablePointer<Float>, _ z1: UnsafeMutablePointer<Float>) {
        rk_row2p(isa, a, b0, b1, ldb, bs, k, z0, z1)
    }
    @inline(__always)
    static func lstmGates(_ isa: Int32, _ rows: Int, _ acc: UnsafeMutablePointer<Float>, _ ldacc: Int,
                          _ xw: UnsafePointer<Float>?, _ ldxw: Int, _ bias: UnsafePointer<Float>?, _ ldbias: Int,
                          _ cPrev: UnsafePointer<Float>, _ cNew: UnsafeMutablePointer<Float>,
                          _ hNew: UnsafeMutablePointer<Float>, _ ldh: Int) {
        rk_lstm_gates(isa, Int32(rows), acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh)
    }
    @inline(__always)
    static func gruGates(_ isa: Int32, _ rows: Int, _ acc: UnsafeMutablePointer<Float>, _ ldacc: Int,
                         _ xw: UnsafePointer<Float>, _ ldxw: Int, _ rbias: UnsafePointer<Float>?,
                         _ hPrev: UnsafePointer<Float>, _ hNew: UnsafeMutablePointer<Float>, _ ldh: Int) {
        rk_gru_gates(isa, Int32(rows), acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh)
    }
    @inline(__always)
    static func rnnTanh(_ isa: Int32, _ rows: Int, _ n16: Int, _ acc: UnsafePointer<Float>, _ ldacc: Int,
                        _ xw: UnsafePointer<Float>, _ ldxw: Int, _ hNew: UnsafeMutablePointer<Float>, _ ldh: Int) {
        rk_rnn_tanh(isa, Int32(rows), Int32(n16), acc, ldacc, xw, ldxw, hNew, ldh)
    }
    @inline(__always)
    static func addRow(_ isa: Int32, _ rows: Int, _ n: Int, _ dst: UnsafeMutablePointer<Float>, _ ld: Int,
                       _ src: UnsafePointer<Float>) {
        rk_add_row(isa, Int32(rows), Int32(n), dst, ld, src)
    }
    static var tileRowLimit: Int { Int.max }
    static var hasRowProjecting: Bool { true }
    @inline(__always)
    static func rowProjecting(_ isa: Int32, _ a: UnsafePointer<Float>, _ u0: UnsafePointer<Float>, _ u1: UnsafePointer<Float>,
                              _ ku: Int, _ z: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ lda: Int,
                              _ w0: UnsafePointer<Float>, _ w1: UnsafePointer<Float>, _ q0: Int, _ q1: Int,
                              _ zp: UnsafeMutablePointer<Float>, _ ldzp: Int) {
        rk_row2s_proj(isa, a, u0, u1, ku, z, x, lda, w0, w1, q0, q1, zp, ldzp)
    }
}

extension Double: FastScalar {
    static var stripWidth: Int { 8 }
    @inline(__always)
    static func tile(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                     _ b: UnsafePointer<Double>, _ ldb: Int, _ bs: Int, _ k: Int, _ z: UnsafeMutablePointer<Double>, _ ldz: Int) {
        rk_tile_d(isa, Int32(mr), Int32(nv), a, lda, b, ldb, bs, k, z, ldz)
    }
    @inline(__always)
    static func tilePrefetching(_ isa: Int32, _ mr: Int, _ nv: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                                _ b: UnsafePointer<Double>, _ ldb: Int, _ bs: Int, _ k: Int, _ z: UnsafeMutablePointer<Double>,
                                _ ldz: Int, _ pf2: UnsafePointer<Double>, _ pf2n: Int) {
        rk_tile_pf_d(isa, Int32(mr), Int32(nv), a, lda, b, ldb, bs, k, z, ldz, pf2, pf2n)
    }
    @inline(__always)
    static func row2p(_ isa: Int32, _ a: UnsafePointer<Double>, _ b0: UnsafePointer<Double>, _ b1: UnsafePointer<Double>,
                      _ ldb: Int, _ bs: Int, _ k: Int, _ z0: UnsafeMutablePointer<Double>, _ z1: UnsafeMutablePointer<Double>) {
        rk_tile_d(isa, 1, 4, a, 0, b0, ldb, bs, k, z0, 64)
        rk_tile_d(isa, 1, 4, a, 0, b1, ldb, bs, k, z1, 64)
    }
    @inline(__always)
    static func lstmGates(_ isa: Int32, _ rows: Int, _ acc: UnsafeMutablePointer<Double>, _ ldacc: Int,
                          _ xw: UnsafePointer<Double>?, _ ldxw: Int, _ bias: UnsafePointer<Double>?, _ ldbias: Int,
                          _ cPrev: UnsafePointer<Double>, _ cNew: UnsafeMutablePointer<Double>,
                          _ hNew: UnsafeMutablePointer<Double>, _ ldh: Int) {
        rk_lstm_gates_d(isa, Int32(rows), acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh)
    }
    @inline(__always)
    static func gruGates(_ isa: Int32, _ rows: Int, _ acc: UnsafeMutablePointer<Double>, _ ldacc: Int,
                         _ xw: UnsafePointer<Double>, _ ldxw: Int, _ rbias: UnsafePointer<Double>?,
                         _ hPrev: UnsafePointer<Double>, _ hNew: UnsafeMutablePointer<Double>, _ ldh: Int) {
        rk_gru_gates_d(isa, Int32(rows), acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh)
    }
    @inline(__always)
    static func rnnTanh(_ isa: Int32, _ rows: Int, _ n16: Int, _ acc: UnsafePointer<Double>, _ ldacc: Int,
                        _ xw: UnsafePointer<Double>, _ ldxw: Int, _ hNew: UnsafeMutablePointer<Double>, _ ldh: Int) {
        rk_rnn_tanh_d(isa, Int32(rows), Int32(n16), acc, ldacc, xw, ldxw, hNew, ldh)
    }
    @inline(__always)
    static func addRow(_ isa: Int32, _ rows: Int, _ n: Int, _ dst: UnsafeMutablePointer<Double>, _ ld: Int,
                       _ src: UnsafePointer<Double>) {
        rk_add_row_d(isa, Int32(rows), Int32(n), dst, ld, src)
    }
    static var tileRowLimit: Int { 6 }
    static var hasRowProjecting: Bool { false }
    static func rowProjecting(_ isa: Int32, _ a: UnsafePointer<Double>, _ u0: UnsafePointer<Double>, _ u1: UnsafePointer<Double>,
                              _ ku: Int, _ z: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ lda: Int,
                              _ w0: UnsafePointer<Double>, _ w1: UnsafePointer<Double>, _ q0: Int, _ q1: Int,
                              _ zp: UnsafeMutablePointer<Double>, _ ldzp: Int) {
        preconditionFailure("rowProjecting is float32 only (hasRowProjecting is false for Double)")
    }
}

/// Which fast scalar an engine scalar is: the one place generic engine code (over
/// `EngineScalar`) crosses to the fast path's concrete types.
enum FastScalarKind {
    case float32, float64

    /// nil for a scalar without fast kernels (it runs the reference path).
    init?<S: EngineScalar>(_ type: S.Type) {
        if S.self == Float.self {
            self = .float32
        } else if S.self == Double.self {
            self = .float64
        } else {
            return nil
        }
    }
}

extension Array {
    /// This array as `[T]` when `T` is its element type (checked): the same storage, in O(1).
    /// `as! [T]` from a generic `[Scalar]` copies element by element instead (10 % of an LSTM +
    /// MultiHeadAttention forward), and a copy also defeats the packed-weights cache, which
    /// knows an array by its storage.
    @inline(__always)
    func reinterpreted<T>(as _: T.Type) -> [T] {
        precondition(Element.self == T.self, "reinterpreted([\(Element.self)]) as [\(T.self)]")
        return unsafeBitCast(self, to: [T].self)
    }
}

extension Optional {
    /// `reinterpreted(as:)` of an optional array.
    @inline(__always)
    func reinterpreted<E, T>(as type: T.Type) -> [T]? where Wrapped == [E] {
        map { $0.reinterpreted(as: type) }
    }
}
