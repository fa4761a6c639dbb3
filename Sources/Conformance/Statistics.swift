/// Summary statistics of the element-wise absolute errors of one output.
///
/// An element whose error is NaN (one side NaN, not accepted) counts as an infinite error, so
/// that it sorts last and cannot lower a statistic.
public enum ErrorStatistics {
    /// The quantile `q` (0...1) of ascending `sorted` values, by linear interpolation between
    /// the two nearest ranks: numpy's default `np.quantile(x, q)` (method "linear"). For n
    /// values the position is `h = (n − 1)·q`; the result is
    /// `sorted[⌊h⌋] + (h − ⌊h⌋)·(sorted[⌊h⌋ + 1] − sorted[⌊h⌋])`. An interpolation towards an
    /// infinite value is infinite. Nil for no values.
    public static func quantile(sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let h = Double(sorted.count - 1) * min(max(q, 0), 1)
        let lo = Int(h.rounded(.down))
        let fraction = h - Double(lo)
        guard fraction > 0, lo + 1 < sorted.count else { return sorted[lo] }
        let (a, b) = (sorted[lo], sorted[lo + 1])
        if b.isInfinite { return b }
        return a + fraction * (b - a)
    }

    /// Mean, median (`quantile(0.5)`) and 99th percentile of `errors` (each ≥ 0 or NaN).
    public static func summary(_ errors: [Double]) -> (mean: Double, median: Double, p99: Double)? {
        guard !errors.isEmpty else { return nil }
        let values = errors.map { $0.isNaN ? Double.infinity : $0 }
        let sorted = values.sorted()
        let mean = values.reduce(0, +) / Double(values.count)
        return (mean, quantile(sorted: sorted, 0.5)!, quantile(sorted: sorted, 0.99)!)
    }
}
