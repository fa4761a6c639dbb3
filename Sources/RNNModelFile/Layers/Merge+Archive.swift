import RNNEngine

extension MergeLayer: ArchivableLayer {
    public static var typeName: String { "MergeLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("operation", Names.merge(operation))
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(try d.decode("operation", oneOf: MergeOperation.allCases, name: Names.merge), semantics: try d.decodeSemantics("semantics"))
    }
}

extension ConcatenateLayer: ArchivableLayer {
    public static var typeName: String { "ConcatenateLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axis", axis)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(axis: try d.decode("axis", in: -Names.maxAxis...Names.maxAxis), semantics: try d.decodeSemantics("semantics"))
    }
}

extension DotLayer: ArchivableLayer {
    public static var typeName: String { "DotLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axes", [axes.0, axes.1])
        e.encode("normalize", normalize)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        let axes = try d.decode("axes", count: 2, each: -Names.maxAxis...Names.maxAxis)
        self.init(axes: (axes[0], axes[1]), normalize: try d.decode("normalize", as: Bool.self), semantics: try d.decodeSemantics("semantics"))
    }
}
