import RNNEngine

/// `ReLU`, `LeakyReLU`, `PReLU`, `ELU`, `Softmax` and tf.keras's `ThresholdedReLU`.
enum ActivationsImport {
    static let entries: [String: LayerEntry] = [
        // Keras 2 and 3: `call(inputs)` for all but Softmax.
        "ReLU": LayerEntry { b in
            let reader = b.reader
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["max_value", "negative_slope", "threshold"]))
            try reader.checkDType()
            try b.noWeights()
            // Both Keras versions refuse a negative value, and a None slope or threshold.
            return ReLULayer<Double>(negativeSlope: try reader.real("negative_slope", default: 0, minimum: 0),
                                     maxValue: try reader.optionalReal("max_value", minimum: 0),
                                     threshold: try reader.real("threshold", default: 0, minimum: 0))
        },
        "LeakyReLU": LayerEntry { b in
            let reader = b.reader
            let keras3 = b.semantics == .keras3
            // Keras 3: `negative_slope` (a given `alpha` wins over it), not negative. tf.keras:
            // `alpha` only, any number. Both default to 0.3.
            try reader.checkKeys(LayerConfigReader.commonKeys.union(keras3 ? ["negative_slope", "alpha"] : ["alpha"]))
            try reader.checkDType()
            try b.noWeights()
            let key = reader.config.has("alpha") || !keras3 ? "alpha" : "negative_slope"
            return ReLULayer<Double>(negativeSlope: try reader.real(key, default: 0.3, minimum: keras3 ? 0 : nil),
                                     maxValue: nil, threshold: 0)
        },
        "ThresholdedReLU": LayerEntry { b in
            let reader = b.reader
            guard b.semantics == .keras2 else {
                throw reader.unsupported("ThresholdedReLU in a Keras 3 file (a Keras 2 layer; Keras 3 has none)")
            }
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["theta"]))
            try reader.checkDType()
            try b.noWeights()
            // tf.keras: `x * cast(x > theta)`, theta not negative.
            return ReLULayer<Double>(negativeSlope: 0, maxValue: nil, threshold: try reader.real("theta", default: 1, minimum: 0))
        },
        "PReLU": LayerEntry { try prelu(&$0) },
        "ELU": LayerEntry { b in
            let reader = b.reader
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["alpha"]))
            try reader.checkDType()
            try b.noWeights()
            // Neither Keras refuses a negative alpha.
            return ELULayer<Double>(alpha: try reader.real("alpha", default: 1))
        },
        // Keras 2 and 3: `call(inputs, mask=None)`.
        "Softmax": LayerEntry(.masked) { b in
            let reader = b.reader
            let keras3 = b.semantics == .keras3
            try reader.checkKeys(LayerConfigReader.commonKeys.union(keras3 ? ["axis"] : ["axis", "robust_masking"]))
            try reader.checkDType()
            try b.noWeights()
            let input = try b.input()
            let raw = try reader.axisList() ?? [-1]
            guard !raw.isEmpty else { throw reader.invalid(try reader.config["axis"], "axis must name at least one axis") }
            let masking: SoftmaxMasking =
                keras3 ? .whereThenZero : try reader.flag("robust_masking", default: false) ? .robust : .adder
            // A list of more than one axis takes the logsumexp formula; a one-element list is
            // the plain softmax along that axis.
            return SoftmaxLayer<Double>(axes: try reader.axes(raw, of: input), logSumExp: raw.count > 1, masking: masking)
        },
    ]

    /// `PReLU(shared_axes)`: one weight `alpha` of the input's shape without the batch axis,
    /// 1 on each shared axis (each from 1 to the input's rank - 1).
    static func prelu(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(["alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"]))
        try reader.checkDType()
        let input = try b.input()
        let shared = try reader.axisList("shared_axes") ?? []
        for a in shared where a < 1 || a > input.count {
            throw reader.invalid(try reader.config["shared_axes"],
                "shared_axes \(shared) must be axes from 1 to \(input.count) of inputs of shape \(Shapes.describe(input))")
        }
        let shape = try input.indices.map { k -> Int in
            if shared.contains(k + 1) { return 1 }
            guard let n = input[k] else {
                throw reader.invalid(reader.config, "PReLU needs the input's axis \(k + 1) to have a known size (or to be shared), got \(Shapes.describe(input))")
            }
            return n
        }
        var cursor = try b.cursor(.own)
        let alpha = try cursor.take("alpha", shape: shape)
        try reader.finish(cursor)
        return PReLULayer<Double>(alphaShape: shape, alpha: alpha)
    }
}
