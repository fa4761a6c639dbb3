/// `LayerNormalization`, `BatchNormalization` (inference), `Normalization` and
/// `UnitNormalization`. Masks pass through (Keras's `supports_masking = True`), except through
/// tf.keras's `Normalization`, which does not support masking.

/// For each element of a tensor of `shape`, the index of the value it pairs with in a tensor
/// over `axes` only (row-major over their extents): NumPy's broadcasting of that tensor
/// reshaped to `shape` with 1 on every other axis.
struct AxisProjection {
    /// `index[i]`: element `i`'s position among the `axes`' extents.
    let index: [Int]
    /// How many positions there are (the product of the axes' extents).
    let count: Int

    init(shape: [Int], axes: [Int]) {
        let source = shape.indices.map { axes.contains($0) ? shape[$0] : 1 }
        index = Broadcast.offsets(from: source, to: shape)
        count = source.reduce(1, *)
    }

    /// The projection onto the axes other than `axes` (one position per normalized group).
    static func groups(shape: [Int], reducing axes: [Int]) -> AxisProjection {
        AxisProjection(shape: shape, axes: shape.indices.filter { !axes.contains($0) })
    }
}

/// Resolves Keras axes (negative from the end, batch axis 0) against a rank: sorted, without
/// repeats; nil if any is out of range.
func resolveAxes(_ axes: [Int], rank: Int) -> [Int]? {
    var out: [Int] = []
    for a in axes {
        guard let r = Shapes.axis(a, rank: rank) else { return nil }
        out.append(r)
    }
    return Array(Set(out)).sorted()
}

/// The axes of a layer that works along `axes` of its input (never the batch axis), checked
/// against the input's rank; throws a sentence naming the layer.
func checkedAxes(_ axes: [Int], rank: Int, layer: String) throws -> [Int] {
    guard let r = resolveAxes(axes, rank: rank), !r.contains(0) else {
        throw EngineError.invalidInput("\(layer) axis \(axes) is out of range for inputs of rank \(rank) (the batch axis 0 excluded)")
    }
    return r
}

/// The product of the extents of `shape` at `axes` (positions counting the batch axis as 0),
/// or nil when one is unknown or the product overflows.
func knownCount(_ shape: SymbolicShape, axes: [Int]) -> Int? {
    var extents: [Int] = []
    for a in axes {
        guard let d = shape[a - 1] else { return nil }
        extents.append(d)
    }
    return Shapes.count(extents)
}

/// `LayerNormalization(axis, epsilon, center, scale, rms_scaling)`: each sample normalized over
/// `axes` (`gamma`, `beta` hold one value per position of those axes, row-major over them in
/// increasing axis order: Keras reshapes them to the broadcast shape in flat order).
///
/// Keras 3 (`ops.nn._layer_normalization`) and tf.keras outside its fused kernel
/// (`tf.nn.batch_normalization`): `inv = rsqrt(var + ε)·γ; y = x·inv + (β − mean·inv)`. With
/// Keras 3's `rms_scaling`: `y = x·rsqrt(var + ε)·γ` — the variance, as Keras computes it, not
/// the mean square — and never centered. tf.keras's fused kernel (`fused`: the axes are the
/// trailing ones, `ε ≥ 1.001e-5`, float32): `y = (x − mean)·rsqrt(var + ε)·γ + β`.
public struct LayerNormalizationLayer<Scalar: EngineScalar>: Layer {
    public var axes: [Int]
    public var epsilon: Scalar
    public var gamma: [Scalar]?
    public var beta: [Scalar]?
    public var rmsScaling: Bool
    /// tf.keras's fused formula (decided by the importer from the axes, ε and the dtype).
    public var fused: Bool

    public init(axes: [Int], epsilon: Scalar, gamma: [Scalar]?, beta: [Scalar]?, rmsScaling: Bool = false, fused: Bool = false) {
        self.axes = axes
        self.epsilon = epsilon
        self.gamma = gamma
        self.beta = beta
        self.rmsScaling = rmsScaling
        self.fused = fused
    }

    public var maskRule: MaskRule { .keep }
    public var parameterCount: Int { (gamma?.count ?? 0) + (beta?.count ?? 0) }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "LayerNormalization")
        let r = try checkedAxes(axes, rank: x.count + 1, layer: "LayerNormalization")
        if let count = gamma?.count ?? beta?.count, let n = knownCount(x, axes: r), n != count {
            throw EngineError.invalidInput("LayerNormalization over axes \(r) of \(Shapes.describe(x)) needs \(n) gamma/beta values, has \(count)")
        }
        return [x]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("LayerNormalization").tensor
        let r = try checkedAxes(axes, rank: x.rank, layer: "LayerNormalization")
        if r == Array((x.rank - r.count)..<x.rank) {
            try normalizeTrailing(&x, axes: r)
            return [Value(x)]
        }
        let params = AxisProjection(shape: x.shape, axes: r)
        if let count = gamma?.count ?? beta?.count, count != params.count {
            throw EngineError.shapeMismatch(what: "LayerNormalization input", expected: "\(count) elements over axes \(r)", actual: x.shape)
        }
        let groups = AxisProjection.groups(shape: x.shape, reducing: r)
        let (mean, variance) = Self.moments(x.scalars, groups: groups, n: Scalar(params.count))
        let inv = variance.map { 1 / Scalar.sqrt($0 + epsilon) }
        for i in x.scalars.indices {
            let (g, p) = (groups.index[i], params.index[i])
            let v = x.scalars[i]
            if rmsScaling {
                let y = v * inv[g]
                x.scalars[i] = gamma.map { y * $0[p] } ?? y
            } else if fused {
                var y = (v - mean[g]) * inv[g]
                if let gamma { y = y * gamma[p] }
                if let beta { y = y + beta[p] }
                x.scalars[i] = y
            } else {
                let scaled = gamma.map { inv[g] * $0[p] } ?? inv[g]
                var res = -mean[g] * scaled
                if let beta { res = res + beta[p] }
                x.scalars[i] = v * scaled + res
            }
        }
        return [Value(x)]
    }

    /// `evaluate` when the normalized axes are the trailing ones: each group is a contiguous row,
    /// normalized with the same operations in the same order as the general loop (so the same
    /// bits), without its per-element index tables.
    func normalizeTrailing(_ x: inout Tensor<Scalar>, axes r: [Int]) throws {
        let n = r.map { x.shape[$0] }.reduce(1, *)
        if let count = gamma?.count ?? beta?.count, count != n {
            throw EngineError.shapeMismatch(what: "LayerNormalization input", expected: "\(count) elements over axes \(r)", actual: x.shape)
        }
        guard n > 0 else { return }
        let rows = x.count / n
        let size = Scalar(n)
        let (gamma, beta, epsilon, rmsScaling, fused) = (self.gamma, self.beta, self.epsilon, self.rmsScaling, self.fused)
        x.scalars.withUnsafeMutableBufferPointer { xs in
            for row in 0..<rows {
                let v = xs.baseAddress! + row * n
                var sum: Scalar = 0
                for j in 0..<n { sum += v[j] }
                let mean = sum / size
                var squares: Scalar = 0
                for j in 0..<n {
                    let d = v[j] - mean
                    squares += d * d
                }
                let inv = 1 / Scalar.sqrt(squares / size + epsilon)
                for j in 0..<n {
                    let value = v[j]
                    if rmsScaling {
                        let y = value * inv
                        v[j] = gamma.map { y * $0[j] } ?? y
                    } else if fused {
                        var y = (value - mean) * inv
                        if let gamma { y = y * gamma[j] }
                        if let beta { y = y + beta[j] }
                        v[j] = y
                    } else {
                        let scaled = gamma.map { inv * $0[j] } ?? inv
                        var res = -mean * scaled
                        if let beta { res = res + beta[j] }
                        v[j] = value * scaled + res
                    }
                }
            }
        }
    }

    /// Per group, the mean and the mean squared deviation from it (`tf.nn.moments`).
    static func moments(_ x: [Scalar], groups: AxisProjection, n: Scalar) -> (mean: [Scalar], variance: [Scalar]) {
        var sum = [Scalar](repeating: 0, count: groups.count)
        for i in x.indices { sum[groups.index[i]] += x[i] }
        let mean = sum.map { $0 / n }
        var squares = [Scalar](repeating: 0, count: groups.count)
        for i in x.indices {
            let d = x[i] - mean[groups.index[i]]
            squares[groups.index[i]] += d * d
        }
        return (mean, squares.map { $0 / n })
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        LayerNormalizationLayer<T>(axes: axes, epsilon: T(epsilon), gamma: gamma?.converted(), beta: beta?.converted(),
                                   rmsScaling: rmsScaling, fused: fused)
    }

    public var summary: String {
        "axis=\(axes) epsilon=\(epsilon) center=\(beta != nil) scale=\(gamma != nil) rms_scaling=\(rmsScaling)"
            + (fused ? " (tf.keras fused kernel)" : "")
    }
}

/// `BatchNormalization` at inference: each position of `axes` normalized with the moving
/// statistics (`tf.nn.batch_normalization`): `inv = rsqrt(moving_var + ε)·γ;
/// y = x·inv + (β − moving_mean·inv)`.
public struct BatchNormalizationLayer<Scalar: EngineScalar>: Layer {
    public var axes: [Int]
    public var epsilon: Scalar
    public var gamma: [Scalar]?
    public var beta: [Scalar]?
    public var movingMean: [Scalar]
    public var movingVariance: [Scalar]

    public init(axes: [Int], epsilon: Scalar, gamma: [Scalar]?, beta: [Scalar]?, movingMean: [Scalar], movingVariance: [Scalar]) {
        self.axes = axes
        self.epsilon = epsilon
        self.gamma = gamma
        self.beta = beta
        self.movingMean = movingMean
        self.movingVariance = movingVariance
    }

    public var maskRule: MaskRule { .keep }
    public var parameterCount: Int { (gamma?.count ?? 0) + (beta?.count ?? 0) + movingMean.count + movingVariance.count }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "BatchNormalization")
        let r = try checkedAxes(axes, rank: x.count + 1, layer: "BatchNormalization")
        if let n = knownCount(x, axes: r), n != movingMean.count {
            throw EngineError.invalidInput("BatchNormalization over axes \(r) of \(Shapes.describe(x)) needs \(n) statistics, has \(movingMean.count)")
        }
        return [x]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("BatchNormalization").tensor
        let r = try checkedAxes(axes, rank: x.rank, layer: "BatchNormalization")
        // The usual case, the channels axis last: the statistic of element i is i mod channels
        // (no per-element index table).
        let lastOnly = r == [x.rank - 1]
        let params = lastOnly ? nil : AxisProjection(shape: x.shape, axes: r)
        let channels = params?.count ?? x.shape[x.rank - 1]
        guard channels == movingMean.count else {
            throw EngineError.shapeMismatch(what: "BatchNormalization input", expected: "\(movingMean.count) channels", actual: x.shape)
        }
        var scale = movingVariance.map { 1 / Scalar.sqrt($0 + epsilon) }
        if let gamma { for c in scale.indices { scale[c] = scale[c] * gamma[c] } }
        var shift = zip(movingMean, scale).map { -$0 * $1 }
        if let beta { for c in shift.indices { shift[c] = beta[c] + shift[c] } }
        if let params {
            for i in x.scalars.indices {
                let c = params.index[i]
                x.scalars[i] = x.scalars[i] * scale[c] + shift[c]
            }
        } else if channels > 0 {
            x.scalars.withUnsafeMutableBufferPointer { xs in
                for start in stride(from: 0, to: xs.count, by: channels) {
                    for c in 0..<channels { xs[start + c] = xs[start + c] * scale[c] + shift[c] }
                }
            }
        }
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        BatchNormalizationLayer<T>(axes: axes, epsilon: T(epsilon), gamma: gamma?.converted(), beta: beta?.converted(),
                                   movingMean: movingMean.converted(), movingVariance: movingVariance.converted())
    }

    public var summary: String { "axis=\(axes) epsilon=\(epsilon) center=\(beta != nil) scale=\(gamma != nil) (moving statistics)" }
}

/// `Normalization` (preprocessing): `(x − mean) / max(√variance, 1e-7)`, or with `invert`
/// `mean + x·max(√variance, 1e-7)`; `mean` and `variance` hold one value per position of the
/// kept `axes` (row-major over them; no axes: one value for everything).
///
/// Keras 3 keeps the mask (`supports_masking = True`); tf.keras's layer does not support
/// masking, so the mask is dropped there.
public struct NormalizationLayer<Scalar: EngineScalar>: Layer {
    /// The kept axes (each sample's statistics broadcast over the others); empty: scalars.
    public var axes: [Int]
    public var mean: [Scalar]
    public var variance: [Scalar]
    public var invert: Bool
    public var semantics: KerasSemantics

    public init(axes: [Int], mean: [Scalar], variance: [Scalar], invert: Bool, semantics: KerasSemantics = .keras3) {
        precondition(mean.count == variance.count, "mean and variance of different sizes")
        self.axes = axes
        self.mean = mean
        self.variance = variance
        self.invert = invert
        self.semantics = semantics
    }

    public var maskRule: MaskRule { semantics == .keras3 ? .keep : .drop }
    public var parameterCount: Int { mean.count + variance.count }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Normalization")
        let r = try checkedAxes(axes, rank: x.count + 1, layer: "Normalization")
        if let n = knownCount(x, axes: r), n != mean.count {
            throw EngineError.invalidInput("Normalization over axes \(r) of \(Shapes.describe(x)) needs \(n) means, has \(mean.count)")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Normalization").tensor
        let params = AxisProjection(shape: x.shape, axes: try checkedAxes(axes, rank: x.rank, layer: "Normalization"))
        guard params.count == mean.count else {
            throw EngineError.shapeMismatch(what: "Normalization input", expected: "\(mean.count) values over axes \(axes)", actual: x.shape)
        }
        let scale = variance.map { Swift.max(Scalar.sqrt($0), Scalar(1e-7)) }
        for i in x.scalars.indices {
            let p = params.index[i]
            x.scalars[i] = invert ? mean[p] + x.scalars[i] * scale[p] : (x.scalars[i] - mean[p]) / scale[p]
        }
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        NormalizationLayer<T>(axes: axes, mean: mean.converted(), variance: variance.converted(), invert: invert, semantics: semantics)
    }

    public var summary: String { "axis=\(axes) invert=\(invert)" + (semantics == .keras2 ? " (tf.keras: drops the mask)" : "") }
}

/// `UnitNormalization(axis)`: `x / ‖x‖₂` over `axis`. Keras 3 (`ops.normalize`):
/// `x·min(rsqrt(Σx²), 1e12)`; tf.keras (`tf.math.l2_normalize`): `x·rsqrt(max(Σx², 1e-12))`,
/// which leaves a vector with `Σx² < 1e-12` far from unit length.
public struct UnitNormalizationLayer<Scalar: EngineScalar>: Layer {
    public var axes: [Int]
    public var semantics: KerasSemantics

    public init(axes: [Int], semantics: KerasSemantics = .keras3) {
        self.axes = axes
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .keep }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "UnitNormalization")
        _ = try checkedAxes(axes, rank: x.count + 1, layer: "UnitNormalization")
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("UnitNormalization").tensor
        let groups = AxisProjection.groups(shape: x.shape, reducing: try checkedAxes(axes, rank: x.rank, layer: "UnitNormalization"))
        var squares = [Scalar](repeating: 0, count: groups.count)
        for i in x.scalars.indices { squares[groups.index[i]] += x.scalars[i] * x.scalars[i] }
        let inv = squares.map { s in
            semantics == .keras3 ? Swift.min(1 / Scalar.sqrt(s), Scalar(1.0 / 1e-12)) : 1 / Scalar.sqrt(Swift.max(s, Scalar(1e-12)))
        }
        for i in x.scalars.indices { x.scalars[i] = x.scalars[i] * inv[groups.index[i]] }
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { UnitNormalizationLayer<T>(axes: axes, semantics: semantics) }

    public var summary: String { "axis=\(axes)" + (semantics == .keras2 ? " (tf.keras l2_normalize)" : "") }
}
