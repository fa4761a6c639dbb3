import RNNEngine

/// Normalization statistics are flat: one value per position of the normalized (or kept) axes,
/// row-major over them, as the engine holds them. Their count is checked against the input's
/// extents when the model's shapes are worked out.
extension LayerNormalizationLayer: ArchivableLayer {
    public static var typeName: String { "LayerNormalizationLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axes", axes)
        e.encode("epsilon", real: epsilon)
        try e.encode("gamma", tensor: gamma, shape: [gamma?.count ?? 0])
        try e.encode("beta", tensor: beta, shape: [beta?.count ?? 0])
        e.encode("rms_scaling", rmsScaling)
        e.encode("fused", fused)
    }

    public init(from d: inout LayerDecoder) throws {
        let axes = try d.decodeResolvedAxes("axes", allowEmpty: false)
        let epsilon: Scalar = try d.decode("epsilon", real: Scalar.self)
        let gamma: [Scalar]? = try d.decodeOptional("gamma", tensorOf: [try d.vectorLength("gamma")])
        let beta: [Scalar]? = try d.decodeOptional("beta", tensorOf: [try d.vectorLength("beta")])
        if let gamma, let beta, gamma.count != beta.count {
            throw d.fail("gamma has \(gamma.count) values, beta \(beta.count); both cover the same positions", at: "beta")
        }
        self.init(axes: axes, epsilon: epsilon, gamma: gamma, beta: beta, rmsScaling: try d.decode("rms_scaling", as: Bool.self),
                  fused: try d.decode("fused", as: Bool.self))
    }
}

extension BatchNormalizationLayer: ArchivableLayer {
    public static var typeName: String { "BatchNormalizationLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axes", axes)
        e.encode("epsilon", real: epsilon)
        try e.encode("gamma", tensor: gamma, shape: [movingMean.count])
        try e.encode("beta", tensor: beta, shape: [movingMean.count])
        try e.encode("moving_mean", tensor: movingMean, shape: [movingMean.count])
        try e.encode("moving_variance", tensor: movingVariance, shape: [movingMean.count])
    }

    public init(from d: inout LayerDecoder) throws {
        let axes = try d.decodeResolvedAxes("axes", allowEmpty: false)
        let epsilon: Scalar = try d.decode("epsilon", real: Scalar.self)
        let n = try d.vectorLength("moving_mean")
        self.init(axes: axes, epsilon: epsilon, gamma: try d.decodeOptional("gamma", tensorOf: [n]),
                  beta: try d.decodeOptional("beta", tensorOf: [n]), movingMean: try d.decode("moving_mean", tensorOf: [n]),
                  movingVariance: try d.decode("moving_variance", tensorOf: [n]))
    }
}

extension NormalizationLayer: ArchivableLayer {
    public static var typeName: String { "NormalizationLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axes", axes)
        try e.encode("mean", tensor: mean, shape: [mean.count])
        try e.encode("variance", tensor: variance, shape: [mean.count])
        e.encode("invert", invert)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        let axes = try d.decodeResolvedAxes("axes", allowEmpty: true)
        let n = try d.vectorLength("mean")
        self.init(axes: axes, mean: try d.decode("mean", tensorOf: [n]), variance: try d.decode("variance", tensorOf: [n]),
                  invert: try d.decode("invert", as: Bool.self), semantics: try d.decodeSemantics("semantics"))
    }
}

extension UnitNormalizationLayer: ArchivableLayer {
    public static var typeName: String { "UnitNormalizationLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axes", axes)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(axes: try d.decodeResolvedAxes("axes", allowEmpty: false), semantics: try d.decodeSemantics("semantics"))
    }
}

extension LayerDecoder {
    /// The length of a one-axis weight as the tensor table records it (null: 0), for weights
    /// whose length the layer learns from them.
    mutating func vectorLength(_ key: String) throws -> Int {
        if try raw(key) == .null { return 0 }
        let shape = try tensorShape(key)
        guard shape.count == 1 else { throw fail("must be a tensor of one axis, found shape \(LayerDecoder.describe(shape))", at: key) }
        return shape[0]
    }
}
