/// `LayerNormalization`, `BatchNormalization` (inference), `Normalization` and
/// `UnitNormalization`. Masks pass through (Keras's `supports_masking = True`).

/// For each element of a tensor, its flat index within the sub-shape of some of the axes.
struct AxisProjection {
    /// `index[i]`: element `i`'s position among the `axes`' extents (row-major over them).
    let index: [Int]
    /// How many positions there are (the product of the axes' extents).
    let count: Int

    init(shape: [Int], axes: [Int]) {
        var strides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for a in axes.sorted().reversed() {
            strides[a] = step
            step *= shape[a]
        }
        count = step
        var out = [Int](repeating: 0, count: shape.reduce(1, *))
        var position = [Int](repeating: 0, count: shape.count)
        var offset = 0
        for i in out.indices {
            out[i] = offset
            var k = shape.count - 1
            while k >= 0 {
                position[k] += 1
                offset += strides[k]
                if position[k] < shape[k] { break }
                offset -= strides[k] * position[k]
                position[k] = 0
                k -= 1
            }
        }
        index = out
    }
}

/// Resolves Keras axes (negative from the end, batch axis 0) against a rank; nil if any is out of range.
func resolveAxes(_ axes: [Int], rank: Int) -> [Int]? {
    var out: [Int] = []
    for a in axes {
        guard let r = Shapes.axis(a, rank: rank) else { return nil }
        out.append(r)
    }
    return Array(Set(out)).sorted()
}

/// `LayerNormalization(axis, epsilon, center, scale, rms_scaling)`: each sample normalized over
/// `axis` (`gamma`, `beta` have the shape of those axes).
///
/// Keras 3: `inv = rsqrt(var + ε)·γ; y = x·inv + (β − mean·inv)`; with `rms_scaling`, no centering:
/// `y = x·rsqrt(var + ε)·γ` (the variance, as Keras computes it, not the mean square). Keras 2
/// uses the fused kernel `(x − mean)·rsqrt(var + ε)·γ + β` when the axes are the last ones and
/// `ε ≥ 1.001e-5`, else the same formula as Keras 3.
public struct LayerNormalizationLayer<Scalar: EngineScalar>: Layer {
    public var axes: [Int]
    public var epsilon: Scalar
    public var gamma: [Scalar]?
    public var beta: [Scalar]?
    public var rmsScaling: Bool
    public var semantics: KerasSemantics

    public init(axes: [Int], epsilon: Scalar, gamma: [Scalar]?, beta: [Scalar]?, rmsScaling: Bool = false,
                semantics: KerasSemantics = .keras3) {
        self.axes = axes
        self.epsilon = epsilon
        self.gamma = gamma
        self.beta = beta
        self.rmsScaling = rmsScaling
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .keep }
    public var parameterCount: Int { (gamma?.count ?? 0) + (beta?.count ?? 0) }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "LayerNormalization")
        guard let r = resolveAxes(axes, rank: x.count + 1), !r.contains(0) else {
            throw EngineError.invalidInput("LayerNormalization axis \(axes) is out of range for inputs of rank \(x.count + 1)")
        }
        let n = r.map { x[$0 - 1] }
        if let count = gamma?.count ?? beta?.count, !n.contains(where: { $0 == nil }), n.map({ $0! }).reduce(1, *) != count {
            throw EngineError.invalidInput("LayerNormalization over axes \(r) of \(Shapes.describe(x)) needs \(n.map { $0! }.reduce(1, *)) gamma/beta values, has \(count)")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("LayerNormalization").tensor
        let r = resolveAxes(axes, rank: x.rank)!
        let groups = AxisProjection(shape: x.shape, axes: Array(0..<x.rank).filter { !r.contains($0) })
        let params = AxisProjection(shape: x.shape, axes: r)
        if let count = gamma?.count ?? beta?.count, count != params.count {
            throw EngineError.shapeMismatch(what: "LayerNormalization input", expected: "\(count) elements over axes \(r)", actual: x.shape)
        }
        var sum = [Scalar](repeating: 0, count: groups.count)
        for i in x.scalars.indices { sum[groups.index[i]] += x.scalars[i] }
        let n = Scalar(params.count)
        let mean = sum.map { $0 / n }
        var squares = [Scalar](repeating: 0, count: groups.count)
        for i in x.scalars.indices {
            let d = x.scalars[i] - mean[groups.index[i]]
            squares[groups.index[i]] += d * d
        }
        let inv = squares.map { 1 / Scalar.sqrt($0 / n + epsilon) }
        let fused = semantics == .keras2 && !rmsScaling && r == Array((x.rank - r.count)..<x.rank) && epsilon >= Scalar(1.001e-5)
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

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        LayerNormalizationLayer<T>(axes: axes, epsilon: T(epsilon), gamma: gamma?.converted(), beta: beta?.converted(),
                                   rmsScaling: rmsScaling, semantics: semantics)
    }

    public var summary: String {
        "axis=\(axes) epsilon=\(epsilon) center=\(beta != nil) scale=\(gamma != nil) rms_scaling=\(rmsScaling)"
    }
}

/// `BatchNormalization` at inference: each channel (along `axes`) normalized with the moving
/// statistics, `inv = rsqrt(moving_var + ε)·γ; y = x·inv + (β − moving_mean·inv)`.
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
        guard let r = resolveAxes(axes, rank: x.count + 1), !r.contains(0) else {
            throw EngineError.invalidInput("BatchNormalization axis \(axes) is out of range for inputs of rank \(x.count + 1)")
        }
        let n = r.map { x[$0 - 1] }
        if !n.contains(where: { $0 == nil }), n.map({ $0! }).reduce(1, *) != movingMean.count {
            throw EngineError.invalidInput("BatchNormalization over axes \(r) of \(Shapes.describe(x)) needs \(n.map { $0! }.reduce(1, *)) statistics, has \(movingMean.count)")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("BatchNormalization").tensor
        let params = AxisProjection(shape: x.shape, axes: resolveAxes(axes, rank: x.rank)!)
        guard params.count == movingMean.count else {
            throw EngineError.shapeMismatch(what: "BatchNormalization input", expected: "\(movingMean.count) channels", actual: x.shape)
        }
        var scale = movingVariance.map { 1 / Scalar.sqrt($0 + epsilon) }
        if let gamma { for c in scale.indices { scale[c] = scale[c] * gamma[c] } }
        var shift = zip(movingMean, scale).map { -$0 * $1 }
        if let beta { for c in shift.indices { shift[c] = beta[c] + shift[c] } }
        for i in x.scalars.indices {
            let c = params.index[i]
            x.scalars[i] = x.scalars[i] * scale[c] + shift[c]
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
/// `mean + x·max(√variance, 1e-7)`; `mean` and `variance` have the shape of the kept `axes`.
public struct NormalizationLayer<Scalar: EngineScalar>: Layer {
    /// The kept axes (each sample's statistics broadcast over the others); empty: scalars.
    public var axes: [Int]
    public var mean: [Scalar]
    public var variance: [Scalar]
    public var invert: Bool

    public init(axes: [Int], mean: [Scalar], variance: [Scalar], invert: Bool) {
        self.axes = axes
        self.mean = mean
        self.variance = variance
        self.invert = invert
    }

    public var maskRule: MaskRule { .keep }
    public var parameterCount: Int { mean.count + variance.count }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Normalization")
        guard let r = resolveAxes(axes, rank: x.count + 1) else {
            throw EngineError.invalidInput("Normalization axis \(axes) is out of range for inputs of rank \(x.count + 1)")
        }
        let n = r.map { $0 == 0 ? nil : x[$0 - 1] }
        if mean.count > 1, !n.contains(where: { $0 == nil }), n.map({ $0! }).reduce(1, *) != mean.count {
            throw EngineError.invalidInput("Normalization over axes \(r) of \(Shapes.describe(x)) needs \(n.map { $0! }.reduce(1, *)) means, has \(mean.count)")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Normalization").tensor
        let params = AxisProjection(shape: x.shape, axes: mean.count == 1 ? [] : resolveAxes(axes, rank: x.rank)!)
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
        NormalizationLayer<T>(axes: axes, mean: mean.converted(), variance: variance.converted(), invert: invert)
    }

    public var summary: String { "axis=\(axes) invert=\(invert)" }
}

/// `UnitNormalization(axis)`: `x / ‖x‖₂` over `axis`. Keras 3: `x·min(rsqrt(Σx²), 1e12)`;
/// Keras 2 (`tf.math.l2_normalize`): `x·rsqrt(max(Σx², 1e-12))`.
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
        guard let r = resolveAxes(axes, rank: x.count + 1), !r.contains(0) else {
            throw EngineError.invalidInput("UnitNormalization axis \(axes) is out of range for inputs of rank \(x.count + 1)")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("UnitNormalization").tensor
        let r = resolveAxes(axes, rank: x.rank)!
        let groups = AxisProjection(shape: x.shape, axes: Array(0..<x.rank).filter { !r.contains($0) })
        var squares = [Scalar](repeating: 0, count: groups.count)
        for i in x.scalars.indices { squares[groups.index[i]] += x.scalars[i] * x.scalars[i] }
        let inv = squares.map { s in
            semantics == .keras3 ? Swift.min(1 / Scalar.sqrt(s), Scalar(1e12)) : 1 / Scalar.sqrt(Swift.max(s, Scalar(1e-12)))
        }
        for i in x.scalars.indices { x.scalars[i] = x.scalars[i] * inv[groups.index[i]] }
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { UnitNormalizationLayer<T>(axes: axes, semantics: semantics) }

    public var summary: String { "axis=\(axes)" }
}
