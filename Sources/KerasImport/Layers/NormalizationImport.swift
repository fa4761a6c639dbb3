import RNNEngine

/// `LayerNormalization`, `BatchNormalization`, `Normalization`, `UnitNormalization`.
enum NormalizationImport {
    static let regularization: Set<String> = [
        "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
    ]

    static let entries: [String: LayerEntry] = [
        "LayerNormalization": LayerEntry { try layerNormalization(&$0) },
        "BatchNormalization": LayerEntry(.masked) { try batchNormalization(&$0) },
        "Normalization": LayerEntry { try normalization(&$0) },
        "UnitNormalization": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["axis"]))
            try b.noWeights()
            return UnitNormalizationLayer<Double>(axes: try b.reader.axes(default: [-1]), semantics: b.semantics)
        },
    ]

    static func layerNormalization(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(regularization).union(["axis", "epsilon", "center", "scale", "rms_scaling"]))
        try reader.checkDType()
        let input = try b.input()
        let axes = try reader.axes(default: [-1])
        let shape = try reader.parameterShape(axes: axes, input: input)
        let rms = try reader.bool("rms_scaling", default: false)
        var cursor = try b.cursor(.own)
        let gamma = try reader.bool("scale", default: true) || rms ? try cursor.take("gamma", shape: shape) : nil
        let beta = try reader.bool("center", default: true) && !rms ? try cursor.take("beta", shape: shape) : nil
        try cursor.finish()
        return LayerNormalizationLayer<Double>(axes: axes, epsilon: try reader.number("epsilon", default: 1e-3), gamma: gamma, beta: beta,
                                               rmsScaling: rms, semantics: b.semantics)
    }

    static func batchNormalization(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(regularization).union([
            "axis", "momentum", "epsilon", "center", "scale", "moving_mean_initializer", "moving_variance_initializer",
            "synchronized", "renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment",
        ]))
        try reader.checkDType()
        for option in ["renorm"] where try reader.bool(option, default: false) {
            throw reader.unsupported("\(option)=True")
        }
        for option in ["virtual_batch_size", "adjustment"] where try reader.config.optional(option) != nil {
            throw reader.unsupported("option '\(option)'")
        }
        let input = try b.input()
        let axes = try reader.axes(default: [-1])
        let shape = try reader.parameterShape(axes: axes, input: input)
        var cursor = try b.cursor(.own)
        let gamma = try reader.bool("scale", default: true) ? try cursor.take("gamma", shape: shape) : nil
        let beta = try reader.bool("center", default: true) ? try cursor.take("beta", shape: shape) : nil
        let mean = try cursor.take("moving_mean", shape: shape)
        let variance = try cursor.take("moving_variance", shape: shape)
        try cursor.finish()
        return BatchNormalizationLayer<Double>(axes: axes, epsilon: try reader.number("epsilon", default: 1e-3), gamma: gamma, beta: beta,
                                               movingMean: mean, movingVariance: variance)
    }

    static func normalization(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(["axis", "mean", "variance", "invert"]))
        let input = try b.input()
        let axes = try reader.config.optional("axis") == nil ? [] : try reader.axes(default: [-1])
        let invert = try reader.bool("invert", default: false)
        if let meanValue = try reader.config.optional("mean") {
            // Statistics given in the config: a number or a list, no weights.
            func numbers(_ v: JSONValue) throws -> [Double] {
                if case .array = v.storage { return try v.array().flatMap(numbers) }
                return [try v.double()]
            }
            let mean = try numbers(meanValue)
            let variance = try numbers(try reader.config["variance"])
            guard mean.count == variance.count, !mean.isEmpty else {
                throw ImportError.config(file: b.file, path: reader.config.path, message: "layer '\(b.name)': mean and variance must have the same number of values")
            }
            try b.noWeights()
            return NormalizationLayer<Double>(axes: axes, mean: mean, variance: variance, invert: invert)
        }
        let shape = try reader.parameterShape(axes: axes, input: input)
        var cursor = try b.cursor(.own)
        let mean = try cursor.take("mean", shape: shape)
        let variance = try cursor.take("variance", shape: shape)
        try cursor.skip("count", shape: [])
        try cursor.finish()
        return NormalizationLayer<Double>(axes: axes, mean: mean, variance: variance, invert: invert)
    }
}

extension LayerConfigReader {
    /// `axis`: one Keras axis or a list of them.
    func axes(default fallback: [Int]) throws -> [Int] {
        guard let value = try config.optional("axis") else { return fallback }
        if case .array = value.storage { return try value.array().map { try $0.int() } }
        return [try value.int()]
    }

    /// A floating-point option.
    func number(_ key: String, default fallback: Double) throws -> Double {
        guard let value = try config.optional(key) else { return fallback }
        let n = try value.double()
        guard n.isFinite else { throw value.fail("layer '\(layer)': \(key) must be finite, got \(n)") }
        return n
    }

    /// The shape of a per-axis parameter (`gamma`, `moving_mean`, ...): the input's extents along
    /// `axes`, which must be known.
    func parameterShape(axes: [Int], input: SymbolicShape) throws -> [Int] {
        guard let resolved = Self.resolve(axes, rank: input.count + 1), !resolved.contains(0) else {
            throw ImportError.config(file: file, path: config.path,
                message: "layer '\(layer)': axis \(axes) is out of range for inputs of shape \(Shapes.describe(input))")
        }
        return try resolved.map { a in
            guard let n = input[a - 1] else {
                throw ImportError.config(file: file, path: config.path, message: "layer '\(layer)': the input's axis \(a) must have a known size")
            }
            return n
        }
    }

    static func resolve(_ axes: [Int], rank: Int) -> [Int]? {
        var out: [Int] = []
        for a in axes {
            guard let r = Shapes.axis(a, rank: rank) else { return nil }
            if !out.contains(r) { out.append(r) }
        }
        return out.sorted()
    }
}

extension WeightCursor {
    /// Steps over an array Keras saves but inference does not use (`Normalization`'s `count`),
    /// checking its shape.
    mutating func skip(_ name: String, shape: [Int]) throws {
        guard next < arrays.count else {
            throw ImportError.missingWeight(file: file, layer: layer, path: "\(origin) (\(name), array \(next))")
        }
        let array = arrays[next]
        guard array.dataset.shape == shape else {
            throw ImportError.weightShape(file: file, layer: layer, path: "\(array.path) (\(name))", expected: shape, actual: array.dataset.shape)
        }
        next += 1
    }
}
