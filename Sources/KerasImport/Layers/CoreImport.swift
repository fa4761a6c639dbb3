import RNNEngine

/// `Dense`, `Embedding`, `Masking`, `Activation` and the layers that are the identity at inference.
enum CoreImport {
    static let entries: [String: LayerEntry] = identityEntries.merging([
        "Dense": LayerEntry { b in try dense(&b, reader: b.reader, input: b.input(), part: .own) },
        "Embedding": LayerEntry(embeddingSignature) { try embedding(&$0) },
        "Masking": LayerEntry { try masking(&$0) },
        "Activation": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["activation"]))
            _ = try b.input()
            try b.noWeights()
            return ActivationLayer<Double>(try b.reader.activation("activation", default: .linear))
        },
    ]) { _, _ in preconditionFailure("duplicate entry") }

    /// Layers that are the identity at inference, with the options they may carry.
    static let identityLayers: [String: Set<String>] = [
        "Dropout": ["rate", "noise_shape", "seed"],
        "SpatialDropout1D": ["rate", "seed", "noise_shape", "data_format"],
        "GaussianNoise": ["stddev", "seed"],
        "GaussianDropout": ["rate", "seed"],
        "AlphaDropout": ["rate", "noise_shape", "seed"],
        "ActivityRegularization": ["l1", "l2"],
    ]

    static var identityEntries: [String: LayerEntry] {
        identityLayers.mapValues { keys in
            LayerEntry { b in
                try b.reader.checkKeys(LayerConfigReader.commonKeys.union(keys))
                _ = try b.input()
                try b.noWeights()
                return IdentityLayer<Double>()
            }
        }
    }

    /// `Embedding.call(inputs)`.
    static let embeddingSignature = CallSignature.plain

    static func dense(_ b: inout LayerBuild, reader: LayerConfigReader, input: SymbolicShape, part: WeightPart) throws -> DenseLayer<Double> {
        try reader.checkKeys(LayerConfigReader.commonKeys.union(LayerConfigReader.trainingOnlyKeys)
            .union(["units", "activation", "use_bias"]))
        try reader.checkDType()
        guard let inputDim = input.last ?? nil else {
            throw ImportError.config(file: reader.file, path: reader.config.path, message: "Dense '\(reader.layer)' needs an input with a known last axis")
        }
        let units = try reader.positive("units")
        var cursor = try b.cursor(part, origin: "\(reader.layer) weights")
        let kernel = try cursor.take("kernel", shape: [inputDim, units])
        let bias = try reader.bool("use_bias", default: true) ? try cursor.take("bias", shape: [units]) : nil
        try cursor.finish()
        return DenseLayer(inputDim: inputDim, units: units, kernel: kernel, bias: bias,
                          activation: try reader.activation("activation", default: .linear))
    }

    static func embedding(_ b: inout LayerBuild) throws -> any Layer<Double> {
        _ = try b.input()
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(LayerConfigReader.trainingOnlyKeys)
            .union(["input_dim", "output_dim", "mask_zero", "input_length", "sparse", "embeddings_initializer"]))
        try reader.checkDType()
        let inputDim = try reader.positive("input_dim"), outputDim = try reader.positive("output_dim")
        var cursor = try b.cursor(.own)
        let table = try cursor.take("embeddings", shape: [inputDim, outputDim])
        try cursor.finish()
        return EmbeddingLayer(inputDim: inputDim, outputDim: outputDim, embeddings: table,
                              maskZero: try reader.bool("mask_zero", default: false))
    }

    static func masking(_ b: inout LayerBuild) throws -> any Layer<Double> {
        try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["mask_value"]))
        _ = try b.input()
        try b.noWeights()
        return MaskingLayer<Double>(maskValue: try b.config.optional("mask_value")?.double() ?? 0, semantics: b.semantics)
    }
}
