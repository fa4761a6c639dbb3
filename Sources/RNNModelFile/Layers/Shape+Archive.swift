import RNNEngine

extension FlattenLayer: ArchivableLayer {
    public static var typeName: String { "FlattenLayer" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("channels_first", channelsFirst) }

    public init(from d: inout LayerDecoder) throws { self.init(channelsFirst: try d.decode("channels_first", as: Bool.self)) }
}

extension ReshapeLayer: ArchivableLayer {
    public static var typeName: String { "ReshapeLayer" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("target_shape", targetShape) }

    public init(from d: inout LayerDecoder) throws {
        let target = try d.decode("target_shape", each: -1...Names.maxWindow)
        guard target.count <= Names.maxAxis, !target.contains(0), target.filter({ $0 == -1 }).count <= 1 else {
            throw d.fail("must be at most \(Names.maxAxis) sizes from 1 to \(Names.maxWindow), with at most one -1, found \(target)", at: "target_shape")
        }
        self.init(targetShape: target)
    }
}

extension PermuteLayer: ArchivableLayer {
    public static var typeName: String { "PermuteLayer" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("dims", dims) }

    public init(from d: inout LayerDecoder) throws {
        let dims = try d.decode("dims", each: 1...Names.maxAxis)
        guard !dims.isEmpty, dims.sorted() == Array(1...dims.count) else {
            throw d.fail("must be a permutation of 1, 2, ..., n, found \(dims)", at: "dims")
        }
        self.init(dims: dims)
    }
}

extension RepeatVectorLayer: ArchivableLayer {
    public static var typeName: String { "RepeatVectorLayer" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("n", n) }

    public init(from d: inout LayerDecoder) throws { self.init(n: try d.decode("n", in: 1...Names.maxWindow)) }
}

extension StepsLayer: ArchivableLayer {
    public static var typeName: String { "StepsLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        switch operation {
        case .pad(let before, let after):
            e.encode("operation", "pad")
            e.encode("sizes", [before, after])
        case .crop(let before, let after):
            e.encode("operation", "crop")
            e.encode("sizes", [before, after])
        case .repeatEach(let k):
            e.encode("operation", "repeat")
            e.encode("sizes", [k])
        }
        e.encode("channels_first", channelsFirst)
    }

    public init(from d: inout LayerDecoder) throws {
        let operation: StepsOperation
        switch try d.decode("operation", as: String.self) {
        case "pad":
            let p = try d.decode("sizes", count: 2, each: 0...Names.maxWindow)
            operation = .pad(before: p[0], after: p[1])
        case "crop":
            let p = try d.decode("sizes", count: 2, each: 0...Names.maxWindow)
            operation = .crop(before: p[0], after: p[1])
        case "repeat":
            operation = .repeatEach(try d.decode("sizes", count: 1, each: 1...Names.maxWindow)[0])
        case let other:
            throw d.fail("'\(other)' is not one of 'pad', 'crop', 'repeat'", at: "operation")
        }
        self.init(operation, channelsFirst: try d.decode("channels_first", as: Bool.self))
    }
}
