import RNNEngine

/// `ZeroPadding2D/3D`, `Cropping2D/3D`, `UpSampling2D/3D`.
enum SpatialImport {
    static let entries: [String: LayerEntry] = [2, 3].reduce(into: [:]) { table, d in
        table["ZeroPadding\(d)D"] = LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["padding", "data_format"]))
            try b.noWeights()
            return SpatialResizeLayer<Double>(.pad(try b.reader.pairs("padding", count: d, default: 1)), channelsFirst: try b.reader.channelsFirst())
        }
        table["Cropping\(d)D"] = LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["cropping", "data_format"]))
            try b.noWeights()
            return SpatialResizeLayer<Double>(.crop(try b.reader.pairs("cropping", count: d, default: 0)), channelsFirst: try b.reader.channelsFirst())
        }
        table["UpSampling\(d)D"] = LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["size", "data_format", "interpolation"]))
            try b.noWeights()
            let size = try b.reader.tuple("size", count: d, default: Array(repeating: 2, count: d), range: 1...ShapeImport.sizeLimit)
            let interpolation = try b.config.optional("interpolation")?.string() ?? "nearest"
            switch interpolation {
            case "nearest": return SpatialResizeLayer<Double>(.repeatEach(size), channelsFirst: try b.reader.channelsFirst())
            case "bilinear" where d == 2: return SpatialResizeLayer<Double>(.bilinear(size), channelsFirst: try b.reader.channelsFirst())
            default: throw b.reader.unsupported("interpolation '\(interpolation)'")
            }
        }
    }
}

extension LayerConfigReader {
    /// `padding` / `cropping` of a 2-D or 3-D layer: one number for every side, one per axis
    /// (both sides), or a (before, after) pair per axis.
    func pairs(_ key: String, count: Int, default fallback: Int) throws -> [(Int, Int)] {
        guard let value = try config.optional(key) else { return Array(repeating: (fallback, fallback), count: count) }
        let limit = ShapeImport.sizeLimit
        func fail() -> ImportError {
            ImportError.config(file: file, path: value.path,
                message: "layer '\(layer)': \(key) must be a whole number, \(count) of them, or \(count) (before, after) pairs, each from 0 to \(limit)")
        }
        func number(_ v: JSONValue) throws -> Int {
            let n = try v.int()
            guard (0...limit).contains(n) else { throw fail() }
            return n
        }
        guard case .array = value.storage else {
            let n = try number(value)
            return Array(repeating: (n, n), count: count)
        }
        let items = try value.array()
        guard items.count == count else { throw fail() }
        return try items.map { item in
            if case .array = item.storage {
                let p = try item.array()
                guard p.count == 2 else { throw fail() }
                return (try number(p[0]), try number(p[1]))
            }
            let n = try number(item)
            return (n, n)
        }
    }
}
