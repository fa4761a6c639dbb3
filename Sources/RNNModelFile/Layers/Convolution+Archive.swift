import RNNEngine

/// A convolution's window: `{"kernel", "strides", "dilation", "padding"}`, one entry per
/// spatial axis (1 to 3), each from 1 to 65536 as the Keras importer allows.
enum GeometryCoding {
    static let limit = 1 << 16

    static func encode(_ g: ConvGeometry, _ e: inout LayerEncoder) {
        e.encode("kernel", g.kernel)
        e.encode("strides", g.strides)
        e.encode("dilation", g.dilation)
        e.encode("padding", padding: g.padding)
    }

    static func decode(_ d: inout LayerDecoder) throws -> ConvGeometry {
        let kernel = try d.decode("kernel", each: 1...limit)
        guard (1...3).contains(kernel.count) else { throw d.fail("must hold 1 to 3 sizes, one per spatial axis", at: "kernel") }
        return ConvGeometry(kernel: kernel, strides: try d.decode("strides", count: kernel.count, each: 1...limit),
                            dilation: try d.decode("dilation", count: kernel.count, each: 1...limit), padding: try d.decodePadding("padding"))
    }
}

extension ConvolutionLayer: ArchivableLayer {
    public static var typeName: String { "ConvolutionLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("geometry", object: { GeometryCoding.encode(geometry, &$0) })
        e.encode("input_channels", inputChannels)
        e.encode("filters", filters)
        e.encode("groups", groups)
        try e.encode("kernel", tensor: kernel, shape: geometry.kernel + [inputChannels / groups, filters])
        try e.encode("bias", tensor: bias, shape: [filters])
        e.encode("activation", activation: activation)
        e.encode("channels_first", channelsFirst)
        e.encode("class_name", className)
    }

    public init(from d: inout LayerDecoder) throws {
        let geometry = try d.decode("geometry", object: { try GeometryCoding.decode(&$0) })
        let inputChannels = try d.decode("input_channels", in: 1...GeometryCoding.limit)
        let filters = try d.decode("filters", in: 1...(1 << 32))
        let groups = try d.decode("groups", in: 1...GeometryCoding.limit)
        guard inputChannels % groups == 0, filters % groups == 0 else {
            throw d.fail("groups=\(groups) must divide the input channels (\(inputChannels)) and the filters (\(filters))", at: "groups")
        }
        self.init(geometry: geometry, inputChannels: inputChannels, filters: filters, groups: groups,
                  kernel: try d.decode("kernel", tensorOf: geometry.kernel + [inputChannels / groups, filters]),
                  bias: try d.decodeOptional("bias", tensorOf: [filters]), activation: try d.decodeActivation("activation"),
                  channelsFirst: try d.decode("channels_first", as: Bool.self), className: try d.decode("class_name", as: String.self))
    }
}

extension SeparableConvolutionLayer: ArchivableLayer {
    public static var typeName: String { "SeparableConvolutionLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("depthwise", layer: depthwise as any Layer<Scalar>)
        try e.encode("pointwise", layer: pointwise as any Layer<Scalar>)
        e.encode("activation", activation: activation)
        e.encode("channels_first", channelsFirst)
    }

    public init(from d: inout LayerDecoder) throws {
        let depthwise = try d.decode("depthwise", layer: ConvolutionLayer<Scalar>.self, inputs: 1)
        let pointwise = try d.decode("pointwise", layer: ConvolutionLayer<Scalar>.self, inputs: 1)
        // The layer runs both on channels-last tensors, the pointwise one on the depthwise output.
        guard !depthwise.channelsFirst, !pointwise.channelsFirst else {
            throw d.fail("the depthwise and pointwise parts work channels-last (the layer's own channels_first says how its input is laid out)")
        }
        guard pointwise.geometry.kernel.count == depthwise.geometry.kernel.count, pointwise.inputChannels == depthwise.filters else {
            throw d.fail("the pointwise part must take the depthwise part's \(depthwise.filters) channels over \(depthwise.geometry.kernel.count) spatial axes", at: "pointwise")
        }
        self.init(depthwise: depthwise, pointwise: pointwise, activation: try d.decodeActivation("activation"),
                  channelsFirst: try d.decode("channels_first", as: Bool.self))
    }
}

extension TransposedConvolutionLayer: ArchivableLayer {
    public static var typeName: String { "TransposedConvolutionLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("geometry", object: { GeometryCoding.encode(geometry, &$0) })
        e.encode("output_padding", outputPadding)
        e.encode("input_channels", inputChannels)
        e.encode("filters", filters)
        try e.encode("kernel", tensor: kernel, shape: geometry.kernel + [filters, inputChannels])
        try e.encode("bias", tensor: bias, shape: [filters])
        e.encode("activation", activation: activation)
        e.encode("channels_first", channelsFirst)
    }

    public init(from d: inout LayerDecoder) throws {
        let geometry = try d.decode("geometry", object: { try GeometryCoding.decode(&$0) })
        let outputPadding = try d.decodeOptional("output_padding", count: geometry.kernel.count, each: 0...GeometryCoding.limit)
        if let outputPadding, let bad = outputPadding.indices.first(where: { outputPadding[$0] >= geometry.strides[$0] }) {
            throw d.fail("output_padding \(outputPadding) must be smaller than the strides \(geometry.strides)", at: "output_padding[\(bad)]")
        }
        let inputChannels = try d.decode("input_channels", in: 1...GeometryCoding.limit)
        let filters = try d.decode("filters", in: 1...GeometryCoding.limit)
        self.init(geometry: geometry, outputPadding: outputPadding, inputChannels: inputChannels, filters: filters,
                  kernel: try d.decode("kernel", tensorOf: geometry.kernel + [filters, inputChannels]),
                  bias: try d.decodeOptional("bias", tensorOf: [filters]), activation: try d.decodeActivation("activation"),
                  channelsFirst: try d.decode("channels_first", as: Bool.self))
    }
}
