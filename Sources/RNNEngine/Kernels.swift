/// Dense linear algebra on row-major buffers, accumulating in the scalar type itself
/// (float32 like Keras, or float64).
@usableFromInline
enum Kernels {
    /// `c[m×n] = a[m×k] · b[k×n]` (overwrites `c`).
    @inlinable
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    static func matmul<S: EngineScalar>(
        _ a: UnsafeBufferPointer<S>, _ b: UnsafeBufferPointer<S>, into c: UnsafeMutableBufferPointer<S>,
        m: Int, k: Int, n: Int
    ) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n)
        for i in 0..<m {
            let row = c.baseAddress! + i * n
            for j in 0..<n { row[j] = 0 }
            for p in 0..<k {
                let aip = a[i * k + p]
                let bRow = b.baseAddress! + p * n
                for j in 0..<n { row[j] += aip * bRow[j] }
            }
        }
    }

    /// `a[m×k] · b[k×n]` as a new buffer.
    @inlinable
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    static func matmul<S: EngineScalar>(_ a: [S], _ b: [S], m: Int, k: Int, n: Int) -> [S] {
        var c = [S](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    matmul(pa, pb, into: pc, m: m, k: k, n: n)
                }
            }
        }
        return c
    }

    /// Adds `bias` (length n) to every row of `x` (rows of n).
    @inlinable
    static func addRowVector<S: EngineScalar>(_ x: inout [S], _ bias: [S]) {
        let n = bias.count
        precondition(n > 0 && x.count % n == 0)
        for start in stride(from: 0, to: x.count, by: n) {
            for j in 0..<n { x[start + j] += bias[j] }
        }
    }
}
