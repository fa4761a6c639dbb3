import RNNEngine

extension PoolingLayer: ArchivableLayer {
    public static var typeName: String { "PoolingLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("mode", Names.pooling(mode))
        e.encode("pool_size", poolSize)
        e.encode("strides", strides)
        e.encode("padding", padding: padding)
        e.encode("channels_first", channelsFirst)
    }

    public init(from d: inout LayerDecoder) throws {
        let mode = try d.decode("mode", oneOf: [PoolingMode.max, .average], name: Names.pooling)
        let poolSize = try d.decode("pool_size", each: 1...Names.maxWindow)
        guard (1...3).contains(poolSize.count) else { throw d.fail("must hold 1 to 3 sizes", at: "pool_size") }
        let strides = try d.decode("strides", count: poolSize.count, each: 1...Names.maxWindow)
        self.init(mode: mode, poolSize: poolSize, strides: strides, padding: try d.decodePadding("padding", allowCausal: false),
                  channelsFirst: try d.decode("channels_first", as: Bool.self))
    }
}

extension GlobalPoolingLayer: ArchivableLayer {
    public static var typeName: String { "GlobalPoolingLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("mode", Names.pooling(mode))
        e.encode("dimensions", dimensions)
        e.encode("keepdims", keepdims)
        e.encode("channels_first", channelsFirst)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(mode: try d.decode("mode", oneOf: [PoolingMode.max, .average], name: Names.pooling),
                  dimensions: try d.decode("dimensions", in: 1...3), keepdims: try d.decode("keepdims", as: Bool.self),
                  channelsFirst: try d.decode("channels_first", as: Bool.self), semantics: try d.decodeSemantics("semantics"))
    }
}
