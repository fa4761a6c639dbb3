import RealModule

/// An activation function with Keras's exact formula.
///
/// Names follow `keras.activations` (Keras 3.15). Where Keras 2 (tf.keras) and Keras 3 define a
/// function differently, the definition is a separate case, chosen by the importer from the
/// file's `keras_version`.
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    case linear
    case tanh
    case sigmoid
    /// Keras 3: `relu6(x + 3) / 6`.
    case hardSigmoid
    /// Keras 2 / tf.keras: `clip(0.2 * x + 0.5, 0, 1)`.
    case hardSigmoidKeras2
    case relu
    case relu6
    /// `x > 0 ? x : negativeSlope * x` (Keras 3's default slope is 0.2).
    case leakyRelu(negativeSlope: Double)
    case elu
    case selu
    case celu
    case softplus
    case softsign
    /// `x * sigmoid(x)`, saved as `silu` by Keras 3 and `swish` by tf.keras.
    case silu
    /// `0.5 x (1 + erf(x / √2))`, or the tanh approximation.
    case gelu(approximate: Bool)
    case exponential
    /// `x * hard_sigmoid(x)` (Keras 3 definition).
    case hardSilu
    case mish
    case logSigmoid
    case hardTanh
    case tanhShrink
    case softShrink
    case hardShrink
    case sparsePlus
    case sparseSigmoid
    case squareplus
    /// Along the last axis; not element-wise.
    case softmax
    /// Along the last axis; not element-wise.
    case logSoftmax

    /// Whether the function acts on each element alone (all but `softmax` and `logSoftmax`).
    public var isElementwise: Bool {
        switch self {
        case .softmax, .logSoftmax: return false
        default: return true
        }
    }

    /// The name Keras serializes.
    public var description: String {
        switch self {
        case .linear: return "linear"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .hardSigmoid: return "hard_sigmoid (Keras 3: relu6(x+3)/6)"
        case .hardSigmoidKeras2: return "hard_sigmoid (Keras 2: clip(0.2x+0.5, 0, 1))"
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .leakyRelu(let slope): return "leaky_relu(negative_slope=\(slope))"
        case .elu: return "elu"
        case .selu: return "selu"
        case .celu: return "celu"
        case .softplus: return "softplus"
        case .softsign: return "softsign"
        case .silu: return "silu"
        case .gelu(let approximate): return approximate ? "gelu(approximate=True)" : "gelu"
        case .exponential: return "exponential"
        case .hardSilu: return "hard_silu"
        case .mish: return "mish"
        case .logSigmoid: return "log_sigmoid"
        case .hardTanh: return "hard_tanh"
        case .tanhShrink: return "tanh_shrink"
        case .softShrink: return "soft_shrink"
        case .hardShrink: return "hard_shrink"
        case .sparsePlus: return "sparse_plus"
        case .sparseSigmoid: return "sparse_sigmoid"
        case .squareplus: return "squareplus"
        case .softmax: return "softmax"
        case .logSoftmax: return "log_softmax"
        }
    }

    /// Applies an element-wise activation to one value.
    ///
    /// - Precondition: `isElementwise`.
    @inlinable
    public func callAsFunction<S: EngineScalar>(_ x: S) -> S {
        switch self {
        case .linear: return x
        case .tanh: return S.tanh(x)
        case .sigmoid: return Self.logistic(x)
        case .hardSigmoid: return Self.clipRelu6(x + 3) / 6
        case .hardSigmoidKeras2: return Swift.min(Swift.max(x * S(0.2) + S(0.5), 0), 1)
        case .relu: return x > 0 ? x : 0
        case .relu6: return Self.clipRelu6(x)
        case .leakyRelu(let slope): return x > 0 ? x : S(slope) * x
        case .elu: return x > 0 ? x : S.expMinusOne(x)
        case .selu:
            let alpha = S(1.6732632423543772848170429916717)
            let scale = S(1.0507009873554804934193349852946)
            return x > 0 ? scale * x : scale * (alpha * S.expMinusOne(x))
        case .celu: return Swift.max(x, 0) + Swift.min(0, S.expMinusOne(x))
        case .softplus: return Self.tfSoftplus(x)
        case .softsign: return x / (1 + Swift.abs(x))
        case .silu: return x * Self.logistic(x)
        case .gelu(let approximate):
            if approximate {
                let c = S(0.7978845608028654)  // sqrt(2/pi)
                return S(0.5) * x * (1 + S.tanh(c * (x + S(0.044715) * (x * x * x))))
            }
            return S(0.5) * x * (1 + S.erf(x / S.sqrt(2)))
        case .exponential: return S.exp(x)
        case .hardSilu: return x * (Self.clipRelu6(x + 3) / 6)
        case .mish: return x * S.tanh(Self.tfSoftplus(x))
        case .logSigmoid: return -Self.tfSoftplus(-x)
        case .hardTanh: return Swift.min(Swift.max(x, -1), 1)
        case .tanhShrink: return x - S.tanh(x)
        case .softShrink: return x > S(0.5) ? x - S(0.5) : (x < S(-0.5) ? x + S(0.5) : 0)
        case .hardShrink: return Swift.abs(x) > S(0.5) ? x : 0
        case .sparsePlus: return x <= -1 ? 0 : (x < 1 ? S(0.25) * ((x + 1) * (x + 1)) : x)
        case .sparseSigmoid: return x <= -1 ? 0 : (x >= 1 ? 1 : S(0.5) * (x + 1))
        case .squareplus: return (x + S.sqrt(x * x + 4)) / 2
        case .softmax, .logSoftmax:
            preconditionFailure("\(self) acts along an axis; use apply(toRowsOf:)")
        }
    }

    /// Applies the activation in place to `buffer`, treating it as rows of `rowLength`.
    @inlinable
    public func apply<S: EngineScalar>(to buffer: inout [S], rowLength: Int) {
        switch self {
        case .linear:
            return
        case .softmax, .logSoftmax:
            precondition(rowLength > 0 && buffer.count % rowLength == 0)
            for start in stride(from: 0, to: buffer.count, by: rowLength) {
                var peak = -S.infinity
                for j in start..<(start + rowLength) { peak = Swift.max(peak, buffer[j]) }
                var sum: S = 0
                for j in start..<(start + rowLength) {
                    let e = S.exp(buffer[j] - peak)
                    sum += e
                    if self == .softmax { buffer[j] = e }
                }
                if self == .softmax {
                    for j in start..<(start + rowLength) { buffer[j] = buffer[j] / sum }
                } else {
                    let logSum = S.log(sum)
                    for j in start..<(start + rowLength) { buffer[j] = (buffer[j] - peak) - logSum }
                }
            }
        default:
            for j in buffer.indices { buffer[j] = self(buffer[j]) }
        }
    }

    @inlinable
    static func logistic<S: EngineScalar>(_ x: S) -> S { 1 / (1 + S.exp(-x)) }

    @inlinable
    static func clipRelu6<S: EngineScalar>(_ x: S) -> S { Swift.min(Swift.max(x, 0), 6) }

    /// TensorFlow's softplus: `x` above a threshold, `exp(x)` below it, `log1p(exp(x))` between.
    @inlinable
    static func tfSoftplus<S: EngineScalar>(_ x: S) -> S {
        let threshold = S.log(S.ulpOfOne) + 2
        if x > -threshold { return x }
        if x < threshold { return S.exp(x) }
        return S.log(onePlus: S.exp(x))
    }
}
