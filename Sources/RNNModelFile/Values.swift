import RNNEngine

/// The file's spelling of the engine's closed sets of options. Each `name` function is an
/// exhaustive switch (a new engine case does not compile until it has a spelling) and each
/// decoder matches against the same function, so writing and reading cannot disagree.
enum Names {
    /// The most axes a layer option may name, and the largest axis number (the engine's
    /// tensors have far fewer).
    static let maxAxis = 64
    /// Sizes in layer options (units, filters, steps): what Keras's own configs allow here.
    static let maxSize = 1 << 31
    /// Sizes of shape operations and windows (repeat counts, paddings, pool sizes).
    static let maxWindow = 1 << 24

    static func activation(_ a: Activation) -> String {
        switch a {
        case .linear: return "linear"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .hardSigmoid: return "hard_sigmoid"
        case .hardSigmoidKeras2: return "hard_sigmoid_keras2"
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .leakyRelu: return "leaky_relu"
        case .elu: return "elu"
        case .selu: return "selu"
        case .celu: return "celu"
        case .softplus: return "softplus"
        case .softsign: return "softsign"
        case .silu: return "silu"
        case .gelu(let approximate): return approximate ? "gelu_tanh" : "gelu"
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

    /// Every activation without a parameter (`leaky_relu` has its own form).
    static let plainActivations: [Activation] = [
        .linear, .tanh, .sigmoid, .hardSigmoid, .hardSigmoidKeras2, .relu, .relu6, .elu, .selu, .celu, .softplus, .softsign,
        .silu, .gelu(approximate: false), .gelu(approximate: true), .exponential, .hardSilu, .mish, .logSigmoid, .hardTanh,
        .tanhShrink, .softShrink, .hardShrink, .sparsePlus, .sparseSigmoid, .squareplus, .softmax, .logSoftmax,
    ]

    static func semantics(_ s: KerasSemantics) -> String {
        switch s {
        case .keras2: return "keras2"
        case .keras3: return "keras3"
        }
    }

    static let allSemantics: [KerasSemantics] = [.keras2, .keras3]

    static func maskRule(_ r: MaskRule) -> String {
        switch r {
        case .keep: return "keep"
        case .drop: return "drop"
        case .compute: return "compute"
        }
    }

    static func kind(_ k: ElementKind) -> String {
        switch k {
        case .float: return "float"
        case .integer: return "integer"
        case .boolean: return "boolean"
        }
    }

    static func padding(_ p: Padding) -> String {
        switch p {
        case .valid: return "valid"
        case .same: return "same"
        case .causal: return "causal"
        }
    }

    static func mergeMode(_ m: MergeMode) -> String {
        switch m {
        case .concat: return "concat"
        case .sum: return "sum"
        case .mul: return "mul"
        case .ave: return "ave"
        }
    }

    static func pooling(_ m: PoolingMode) -> String {
        switch m {
        case .max: return "max"
        case .average: return "average"
        }
    }

    static func softmaxMasking(_ m: SoftmaxMasking) -> String {
        switch m {
        case .whereThenZero: return "where_then_zero"
        case .adder: return "adder"
        case .robust: return "robust"
        }
    }

    static func attentionMasking(_ m: AttentionMasking) -> String {
        switch m {
        case .subtract: return "subtract"
        case .softmaxLayer: return "softmax_layer"
        case .dotProduct: return "dot_product"
        case .additive: return "additive"
        case .robust: return "robust"
        }
    }

    static func merge(_ o: MergeOperation) -> String {
        switch o {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .average: return "average"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        }
    }

    static func unary(_ f: UnaryFunction) -> String {
        switch f {
        case .abs: return "abs"
        case .square: return "square"
        case .sqrt: return "sqrt"
        case .exp: return "exp"
        case .log: return "log"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .relu: return "relu"
        case .negative: return "negative"
        case .logicalNot: return "logical_not"
        }
    }

    static func binary(_ f: BinaryFunction) -> String {
        switch f {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .divide: return "divide"
        case .power: return "power"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        case .equal: return "equal"
        case .notEqual: return "not_equal"
        case .greater: return "greater"
        case .greaterEqual: return "greater_equal"
        case .less: return "less"
        case .lessEqual: return "less_equal"
        case .logicalAnd: return "logical_and"
        case .logicalOr: return "logical_or"
        }
    }

    static func reduce(_ f: ReduceFunction) -> String {
        switch f {
        case .mean: return "mean"
        case .sum: return "sum"
        case .max: return "max"
        case .min: return "min"
        case .any: return "any"
        case .all: return "all"
        }
    }

    static let allReductions: [ReduceFunction] = [.mean, .sum, .max, .min, .any, .all]
}

extension LayerEncoder {
    /// An activation: its name, or `{"name": "leaky_relu", "negative_slope": s}`.
    public mutating func encode(_ key: String, activation a: Activation) {
        if case .leakyRelu(let slope) = a {
            put(key, .object([.init(key: "name", value: .string("leaky_relu")), .init(key: "negative_slope", value: Self.real(slope))]))
        } else {
            put(key, .string(Names.activation(a)))
        }
    }

    public mutating func encode(_ key: String, semantics s: KerasSemantics) { encode(key, Names.semantics(s)) }
    public mutating func encode(_ key: String, kind k: ElementKind) { encode(key, Names.kind(k)) }
    public mutating func encode(_ key: String, kind k: ElementKind?) { put(key, k.map { .string(Names.kind($0)) } ?? .null) }
    public mutating func encode(_ key: String, padding p: Padding) { encode(key, Names.padding(p)) }
    public mutating func encode(_ key: String, mergeMode m: MergeMode?) { put(key, m.map { .string(Names.mergeMode($0)) } ?? .null) }
}

extension LayerDecoder {
    public mutating func decodeActivation(_ key: String) throws -> Activation {
        switch try raw(key) {
        case .string(let name):
            guard let a = Names.plainActivations.first(where: { Names.activation($0) == name }) else {
                throw fail("unknown activation '\(name)'", at: key)
            }
            return a
        case .object:
            return try decode(key, object: { o in
                let name = try o.decode("name", as: String.self)
                guard name == "leaky_relu" else { throw o.fail("only leaky_relu takes parameters, found '\(name)'", at: "name") }
                return .leakyRelu(negativeSlope: try o.decode("negative_slope", real: Double.self))
            })
        case let other:
            throw fail("must be an activation name or {\"name\": \"leaky_relu\", \"negative_slope\": s}, found \(other.typeName)", at: key)
        }
    }

    /// An activation applied element by element (a recurrent cell's gates), never softmax.
    public mutating func decodeElementwiseActivation(_ key: String) throws -> Activation {
        let a = try decodeActivation(key)
        guard a.isElementwise else { throw fail("'\(Names.activation(a))' acts along an axis; this layer applies its activation element by element", at: key) }
        return a
    }

    public mutating func decodeSemantics(_ key: String) throws -> KerasSemantics {
        try decode(key, oneOf: Names.allSemantics, name: Names.semantics)
    }

    public mutating func decodeKind(_ key: String) throws -> ElementKind {
        try decode(key, oneOf: [ElementKind.float, .integer, .boolean], name: Names.kind)
    }

    /// An element kind, or null.
    public mutating func decodeOptionalKind(_ key: String) throws -> ElementKind? {
        if try raw(key) == .null { return nil }
        return try decodeKind(key)
    }

    public mutating func decodePadding(_ key: String, allowCausal: Bool = true) throws -> Padding {
        try decode(key, oneOf: allowCausal ? [Padding.valid, .same, .causal] : [.valid, .same], name: Names.padding)
    }

    public mutating func decodeMergeMode(_ key: String) throws -> MergeMode? {
        if try raw(key) == .null { return nil }
        return try decode(key, oneOf: MergeMode.allCases, name: Names.mergeMode)
    }

    /// Axes of a layer option: each from -64 to 64, at most 64 of them.
    public mutating func decodeAxes(_ key: String) throws -> [Int] {
        let axes = try decode(key, each: -Names.maxAxis...Names.maxAxis)
        guard axes.count <= Names.maxAxis else { throw fail("names more than \(Names.maxAxis) axes", at: key) }
        return axes
    }

    /// Axes counted from the batch axis (1 = the first axis after the batch), in increasing
    /// order, each once: what the importer resolves `axis` options to.
    public mutating func decodeResolvedAxes(_ key: String, allowEmpty: Bool) throws -> [Int] {
        let axes = try decode(key, each: 1...Names.maxAxis)
        guard allowEmpty || !axes.isEmpty else { throw fail("must name at least one axis", at: key) }
        guard zip(axes, axes.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("must be increasing, each axis once, found \(axes)", at: key) }
        return axes
    }
}
