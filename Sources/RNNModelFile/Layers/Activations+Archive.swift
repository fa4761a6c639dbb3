import RNNEngine

/// `ReLULayer` stores the four numbers the engine computes with, as the importer converted them
/// (`cut` is the threshold rounded as Keras 3 compares with it), not the Keras options.
extension ReLULayer: ArchivableLayer {
    public static var typeName: String { "ReLULayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("negative_slope", real: negativeSlope)
        e.encode("max_value", real: maxValue)
        e.encode("threshold", real: threshold)
        e.encode("cut", real: cut)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(negativeSlope: 0, maxValue: nil, threshold: 0)
        negativeSlope = try d.decode("negative_slope", real: Scalar.self)
        maxValue = try d.decodeOptional("max_value", real: Scalar.self)
        threshold = try d.decode("threshold", real: Scalar.self)
        cut = try d.decode("cut", real: Scalar.self)
    }
}

extension PReLULayer: ArchivableLayer {
    public static var typeName: String { "PReLULayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("alpha", tensor: alpha, shape: alphaShape)
    }

    public init(from d: inout LayerDecoder) throws {
        // alpha's shape is the input's without the batch axis (1 on shared axes).
        let shape = try d.tensorShape("alpha")
        guard !shape.isEmpty, shape.count <= Names.maxAxis, shape.allSatisfy({ $0 >= 1 }) else {
            throw d.fail("alpha must have 1 to \(Names.maxAxis) axes, each of extent 1 or more, found \(LayerDecoder.describe(shape))", at: "alpha")
        }
        self.init(alphaShape: shape, alpha: try d.decode("alpha", tensorOf: shape))
    }
}

extension ELULayer: ArchivableLayer {
    public static var typeName: String { "ELULayer" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("alpha", real: alpha) }

    public init(from d: inout LayerDecoder) throws { self.init(alpha: try d.decode("alpha", real: Scalar.self)) }
}

extension SoftmaxLayer: ArchivableLayer {
    public static var typeName: String { "SoftmaxLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axes", axes)
        e.encode("log_sum_exp", logSumExp)
        e.encode("masking", Names.softmaxMasking(masking))
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(axes: try d.decodeResolvedAxes("axes", allowEmpty: false), logSumExp: try d.decode("log_sum_exp", as: Bool.self),
                  masking: try d.decode("masking", oneOf: [SoftmaxMasking.whereThenZero, .adder, .robust], name: Names.softmaxMasking))
    }
}
