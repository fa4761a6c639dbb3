import RNNEngine

extension SpatialResizeLayer: ArchivableLayer {
    public static var typeName: String { "SpatialResizeLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        switch operation {
        case .pad(let p):
            e.encode("operation", "pad")
            e.put("sizes", .array(p.map { .array([.number(String($0.0)), .number(String($0.1))]) }))
        case .crop(let p):
            e.encode("operation", "crop")
            e.put("sizes", .array(p.map { .array([.number(String($0.0)), .number(String($0.1))]) }))
        case .repeatEach(let s):
            e.encode("operation", "repeat")
            e.encode("sizes", s)
        case .bilinear(let s):
            e.encode("operation", "bilinear")
            e.encode("sizes", s)
        }
        e.encode("channels_first", channelsFirst)
    }

    public init(from d: inout LayerDecoder) throws {
        let name = try d.decode("operation", as: String.self)
        let operation: Operation
        switch name {
        case "pad", "crop":
            guard case .array(let items) = try d.raw("sizes"), (1...3).contains(items.count) else {
                throw d.fail("must be 1 to 3 [before, after] pairs", at: "sizes")
            }
            let pairs = try items.enumerated().map { k, item -> (Int, Int) in
                let p = try d.ints(item, at: "sizes[\(k)]", count: 2, each: 0...Names.maxWindow)
                return (p[0], p[1])
            }
            operation = name == "pad" ? .pad(pairs) : .crop(pairs)
        case "repeat", "bilinear":
            let s = try d.decode("sizes", each: 1...Names.maxWindow)
            guard (1...3).contains(s.count) else { throw d.fail("must hold 1 to 3 factors", at: "sizes") }
            operation = name == "repeat" ? .repeatEach(s) : .bilinear(s)
        default:
            throw d.fail("'\(name)' is not one of 'pad', 'crop', 'repeat', 'bilinear'", at: "operation")
        }
        self.init(operation, channelsFirst: try d.decode("channels_first", as: Bool.self))
    }
}
