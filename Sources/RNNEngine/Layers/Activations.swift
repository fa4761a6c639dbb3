/// The activation layers: `ReLU` (also `LeakyReLU` and tf.keras's `ThresholdedReLU`, which are
/// special cases of Keras's relu), `PReLU`, `ELU` and `Softmax`. Masks pass through all of
/// them (Keras's `supports_masking = True`); `Softmax` also applies the mask its call receives.

private let relu = Activation.relu, relu6 = Activation.relu6, elu = Activation.elu

/// Keras's relu with options (Keras 3 `ReLU.static_call`, tf.keras `backend.relu`, the same
/// steps): with only a `negative_slope`, the `leaky_relu` op (`x > 0 ? x : slope·x`); otherwise
/// `x` where `x > threshold` (else 0) — or `relu6` when `max_value` is 6 and there is no
/// threshold, or `relu` — clipped to `[0, max_value]`, minus `slope·relu(−x + threshold)`.
///
/// `LeakyReLU(s)` is `ReLU(negative_slope=s)`, and `ThresholdedReLU(θ)` (tf.keras:
/// `x·cast(x > θ)`) is `ReLU(threshold=θ)`.
public struct ReLULayer<Scalar: EngineScalar>: Layer {
    public var negativeSlope: Scalar
    public var maxValue: Scalar?
    /// The threshold as `−x + threshold` uses it.
    public var threshold: Scalar
    /// The threshold as the comparison `x > threshold` uses it.
    public var cut: Scalar

    /// The layer as Keras computes it, with Keras's conversions of the options: Keras 3 makes
    /// the compared threshold and `max_value` tensors with `ops.cast`, through a float32 tensor
    /// even in a float64 model, and TensorFlow's `leaky_relu` takes its slope as a float32
    /// attribute; `−x + threshold` and the slope elsewhere use the numbers themselves
    /// (tf.keras's configs hold float32 numbers, on which rounding changes nothing).
    public init(negativeSlope: Double, maxValue: Double?, threshold: Double) {
        let leakyOnly = negativeSlope != 0 && maxValue == nil && threshold == 0
        self.init(negativeSlope: Scalar(leakyOnly ? Double(Float(negativeSlope)) : negativeSlope),
                  maxValue: maxValue.map { Scalar(Float($0)) }, threshold: Scalar(threshold), cut: Scalar(Float(threshold)))
    }

    init(negativeSlope: Scalar, maxValue: Scalar?, threshold: Scalar, cut: Scalar) {
        self.negativeSlope = negativeSlope
        self.maxValue = maxValue
        self.threshold = threshold
        self.cut = cut
    }

    public var maskRule: MaskRule { .keep }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "ReLU")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("ReLU").tensor
        if negativeSlope != 0 && maxValue == nil && threshold == 0 {
            Activation.leakyRelu(negativeSlope: Double(negativeSlope)).apply(to: &x.scalars, rowLength: 1)
            return [Value(x)]
        }
        for i in x.scalars.indices { x.scalars[i] = self(x.scalars[i]) }
        return [Value(x)]
    }

    /// One element, outside the `leaky_relu` case.
    func callAsFunction(_ v: Scalar) -> Scalar {
        var y: Scalar
        var clip = maxValue
        if threshold != 0 {
            y = v > cut ? v : 0
        } else if maxValue == 6 {
            y = relu6(v)
            clip = nil
        } else {
            y = relu(v)
        }
        if let clip { y = Swift.min(Swift.max(y, 0), clip) }
        if negativeSlope != 0 {
            y = y - negativeSlope * relu(threshold != 0 ? -v + threshold : -v)
        }
        return y
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        ReLULayer<T>(negativeSlope: T(negativeSlope), maxValue: maxValue.map { T($0) }, threshold: T(threshold), cut: T(cut))
    }

    public var summary: String {
        "max_value=\(maxValue.map { "\($0)" } ?? "None") negative_slope=\(negativeSlope) threshold=\(threshold)"
    }
}

/// `PReLU`: `relu(x) − α·relu(−x)` with a learned `α` of the input's shape without the batch
/// axis, extent 1 on each of `shared_axes`.
public struct PReLULayer<Scalar: EngineScalar>: Layer {
    /// `α`'s shape (the input's without the batch axis, 1 on the shared axes).
    public var alphaShape: [Int]
    public var alpha: [Scalar]

    public init(alphaShape: [Int], alpha: [Scalar]) {
        precondition(alpha.count == alphaShape.reduce(1, *), "alpha of \(alpha.count) values for shape \(alphaShape)")
        self.alphaShape = alphaShape
        self.alpha = alpha
    }

    public var maskRule: MaskRule { .keep }
    public var parameterCount: Int { alpha.count }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "PReLU")
        guard x.count == alphaShape.count, zip(x, alphaShape).allSatisfy({ $1 == 1 || $0 == nil || $0 == $1 }) else {
            throw EngineError.invalidInput("PReLU with alpha of shape \(EngineError.format(alphaShape)) takes (batch, ...) of that shape, got \(Shapes.describe(x))")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("PReLU").tensor
        guard x.rank == alphaShape.count + 1, zip(x.shape.dropFirst(), alphaShape).allSatisfy({ $1 == 1 || $0 == $1 }) else {
            throw EngineError.shapeMismatch(what: "PReLU input", expected: "(batch, ...) broadcastable from alpha \(EngineError.format(alphaShape))", actual: x.shape)
        }
        let offsets = Broadcast.offsets(from: [1] + alphaShape, to: x.shape)
        for i in x.scalars.indices {
            let v = x.scalars[i]
            x.scalars[i] = relu(v) + -alpha[offsets[i]] * relu(-v)
        }
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { PReLULayer<T>(alphaShape: alphaShape, alpha: alpha.converted()) }

    public var summary: String { "alpha shape \(EngineError.format(alphaShape))" }
}

/// `ELU(alpha)`: `tf.nn.elu(x)` (`expm1(x)` below 0), then, unless `alpha` is 1,
/// `x > 0 ? elu : alpha·elu`.
public struct ELULayer<Scalar: EngineScalar>: Layer {
    public var alpha: Scalar

    public init(alpha: Scalar) { self.alpha = alpha }

    public var maskRule: MaskRule { .keep }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "ELU")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("ELU").tensor
        for i in x.scalars.indices {
            let v = x.scalars[i]
            let res = elu(v)
            x.scalars[i] = alpha == 1 || v > 0 ? res : alpha * res
        }
        return [Value(x)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ELULayer<T>(alpha: T(alpha)) }

    public var summary: String { "alpha=\(alpha)" }
}

/// How a mask enters `Softmax`.
public enum SoftmaxMasking: String, Sendable, Equatable {
    /// Keras 3: `where(mask, x, −1e9)`, and the masked outputs set to 0 afterwards.
    case whereThenZero = "Keras 3: where(mask, x, -1e9), masked outputs 0"
    /// tf.keras: `x + (1 − mask)·(−1e9)`; nothing zeroed.
    case adder = "tf.keras: x + (1 - mask) * -1e9"
    /// tf.keras with `robust_masking=True`: `where(mask, x, −1e9)`; nothing zeroed.
    case robust = "tf.keras robust_masking: where(mask, x, -1e9)"
}


/// `Softmax(axis)`: along one axis, `tf.nn.softmax`; along several (a list of more than one),
/// `exp(x − logsumexp(x))` as the layer computes it. The call's mask (NumPy-broadcast to the
/// input) sets the masked positions before the softmax, as `masking` says.
public struct SoftmaxLayer<Scalar: EngineScalar>: Layer {
    public var axes: [Int]
    /// Whether `axis` was a list of several axes (the logsumexp formula).
    public var logSumExp: Bool
    public var masking: SoftmaxMasking

    public init(axes: [Int], logSumExp: Bool, masking: SoftmaxMasking) {
        self.axes = axes
        self.logSumExp = logSumExp
        self.masking = masking
    }

    public var maskRule: MaskRule { .keep }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Softmax")
        _ = try checkedAxes(axes, rank: x.count + 1, layer: "Softmax")
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Softmax").tensor
        let r = try checkedAxes(axes, rank: x.rank, layer: "Softmax")
        let keep = try call.masks.first.flatMap { $0 }.map { try Self.broadcast($0, to: x.shape) }
        let large = Scalar(-1e9)
        if let keep {
            for i in x.scalars.indices {
                switch masking {
                case .adder: x.scalars[i] = x.scalars[i] + (1 - (keep[i] ? 1 : 0)) * large
                case .whereThenZero, .robust: if !keep[i] { x.scalars[i] = large }
                }
            }
        }
        // The softmax axes moved last, so that each row is one softmax.
        let perm = x.shape.indices.filter { !r.contains($0) } + r
        var moved = x.transposed(perm)
        let rowLength = r.map { x.shape[$0] }.reduce(1, *)
        if logSumExp {
            Self.expMinusLogSumExp(&moved.scalars, rowLength: rowLength)
        } else if rowLength > 0 {
            Activation.softmax.apply(to: &moved.scalars, rowLength: rowLength)
        }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (k, p) in perm.enumerated() { inverse[p] = k }
        var y = moved.transposed(inverse)
        if let keep, masking == .whereThenZero {
            for i in y.scalars.indices where !keep[i] { y.scalars[i] = 0 }
        }
        return [Value(y)]
    }

    /// The flags of `mask` for each element of a tensor of `shape` (NumPy broadcasting; the
    /// mask may not add or stretch the tensor's axes).
    static func broadcast(_ mask: Mask, to shape: [Int]) throws -> [Bool] {
        guard mask.rank <= shape.count, Broadcast.shape(mask.shape, shape) == shape else {
            throw EngineError.invalidInput("Softmax: the mask of shape \(EngineError.format(mask.shape)) does not broadcast to the input's \(EngineError.format(shape))")
        }
        return Broadcast.offsets(from: mask.shape, to: shape).map { mask.values[$0] }
    }

    /// Each row of `rowLength` becomes `exp(x − (log Σ exp(x − m) + m))`, `m` its maximum where
    /// finite and else 0 (`tf.reduce_logsumexp`).
    static func expMinusLogSumExp(_ buffer: inout [Scalar], rowLength: Int) {
        guard rowLength > 0 else { return }
        for start in stride(from: 0, to: buffer.count, by: rowLength) {
            let row = start..<(start + rowLength)
            let peak = buffer[row].reduce(-Scalar.infinity) { Swift.max($0, $1) }
            let shift = peak.isFinite ? peak : 0
            var sum: Scalar = 0
            for j in row { sum += Scalar.exp(buffer[j] - shift) }
            let lse = Scalar.log(sum) + shift
            for j in row { buffer[j] = Scalar.exp(buffer[j] - lse) }
        }
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { SoftmaxLayer<T>(axes: axes, logSumExp: logSumExp, masking: masking) }

    public var summary: String { "axis=\(logSumExp ? "\(axes)" : "\(axes[0])") mask: \(masking.rawValue)" }
}
