import RNNEngine

extension DenseLayer: ArchivableLayer {
    public static var typeName: String { "DenseLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("input_dim", inputDim)
        e.encode("units", units)
        try e.encode("kernel", tensor: kernel, shape: [inputDim, units])
        try e.encode("bias", tensor: bias, shape: [units])
        e.encode("activation", activation: activation)
    }

    public init(from d: inout LayerDecoder) throws {
        let inputDim = try d.decode("input_dim", in: 1...Names.maxSize)
        let units = try d.decode("units", in: 1...Names.maxSize)
        self.init(inputDim: inputDim, units: units, kernel: try d.decode("kernel", tensorOf: [inputDim, units]),
                  bias: try d.decodeOptional("bias", tensorOf: [units]), activation: try d.decodeActivation("activation"))
    }
}

extension EmbeddingLayer: ArchivableLayer {
    public static var typeName: String { "EmbeddingLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("input_dim", inputDim)
        e.encode("output_dim", outputDim)
        try e.encode("embeddings", tensor: embeddings, shape: [inputDim, outputDim])
        e.encode("mask_zero", maskZero)
    }

    public init(from d: inout LayerDecoder) throws {
        let inputDim = try d.decode("input_dim", in: 1...Names.maxSize)
        let outputDim = try d.decode("output_dim", in: 1...Names.maxSize)
        self.init(inputDim: inputDim, outputDim: outputDim, embeddings: try d.decode("embeddings", tensorOf: [inputDim, outputDim]),
                  maskZero: try d.decode("mask_zero", as: Bool.self))
    }
}

extension MaskingLayer: ArchivableLayer {
    public static var typeName: String { "MaskingLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("mask_value", real: maskValue)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(maskValue: try d.decode("mask_value", real: Scalar.self), semantics: try d.decodeSemantics("semantics"))
    }
}

extension IdentityLayer: ArchivableLayer {
    public static var typeName: String { "IdentityLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("mask_rule", Names.maskRule(maskRule))
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(maskRule: try d.decode("mask_rule", oneOf: [MaskRule.keep, .drop, .compute], name: Names.maskRule))
    }
}

extension ActivationLayer: ArchivableLayer {
    public static var typeName: String { "ActivationLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("activation", activation: activation)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(try d.decodeActivation("activation"))
    }
}
