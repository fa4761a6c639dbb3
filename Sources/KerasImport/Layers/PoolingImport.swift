import RNNEngine

/// `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D`, `GlobalMaxPooling1D/2D/3D`,
/// `GlobalAveragePooling1D/2D/3D`.
enum PoolingImport {
    static let entries: [String: LayerEntry] = {
        var table: [String: LayerEntry] = [:]
        for d in 1...3 {
            for mode in [PoolingMode.max, .average] {
                let stem = mode == .max ? "Max" : "Average"
                table["\(stem)Pooling\(d)D"] = LayerEntry { b in try pooling(&b, mode: mode, dimensions: d) }
                // Only GlobalAveragePooling1D takes a mask (Keras 2 and 3).
                let signature: CallSignature = mode == .average && d == 1 ? .masked : .plain
                table["Global\(stem)Pooling\(d)D"] = LayerEntry(signature) { b in
                    try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["data_format", "keepdims"]))
                    try b.noWeights()
                    return GlobalPoolingLayer<Double>(mode: mode, dimensions: d, keepdims: try b.reader.flag("keepdims", default: false),
                                                      channelsFirst: try b.reader.channelsFirst(), semantics: b.semantics)
                }
            }
        }
        return table
    }()

    static func pooling(_ b: inout LayerBuild, mode: PoolingMode, dimensions: Int) throws -> any Layer<Double> {
        try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["pool_size", "strides", "padding", "data_format"]))
        try b.noWeights()
        let poolSize = try b.reader.tuple("pool_size", count: dimensions, default: Array(repeating: 2, count: dimensions),
                                          range: 1...ShapeImport.sizeLimit)
        // Keras: `strides = pool_size if strides is None else strides`.
        let strides = try b.config.optional("strides") == nil
            ? poolSize : try b.reader.tuple("strides", count: dimensions, default: poolSize, range: 1...ShapeImport.sizeLimit)
        return PoolingLayer<Double>(mode: mode, poolSize: poolSize, strides: strides, padding: try b.reader.padding(allowCausal: false),
                                    channelsFirst: try b.reader.channelsFirst())
    }
}

extension LayerConfigReader {
    /// An option that is one whole number or a list of `count` (`pool_size=2`, `kernel_size=(3, 3)`);
    /// `fallback` when it is missing.
    func tuple(_ key: String, count: Int, default fallback: [Int], range: ClosedRange<Int>) throws -> [Int] {
        let rule = "\(count == 1 ? "a whole number" : "one or \(count) whole numbers") from \(range.lowerBound) to \(range.upperBound)"
        guard let numbers = try wholeNumbers(key, rule: rule) else { return fallback }
        guard numbers.count == 1 || numbers.count == count, numbers.allSatisfy({ range.contains($0) }) else {
            throw try invalid(key, rule: rule)
        }
        return numbers.count == count ? numbers : Array(repeating: numbers[0], count: count)
    }

    /// `padding`: `valid` (the default) or `same` in any case (Keras lower- or upper-cases it),
    /// or for 1-D convolutions `causal`.
    func padding(allowCausal: Bool) throws -> Padding {
        let rule = allowCausal ? "\"valid\", \"same\" or \"causal\"" : "\"valid\" or \"same\""
        guard let value = try config.optional("padding") else { return .valid }
        guard case .string(let text) = value.storage, let padding = Padding(rawValue: text.lowercased()),
              allowCausal || padding != .causal else {
            throw try invalid("padding", rule: rule)
        }
        return padding
    }

    /// A boolean option (`keepdims`); `fallback` when it is missing or null.
    func flag(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = try config.optional(key) else { return fallback }
        guard case .bool(let b) = value.storage else { throw try invalid(key, rule: "true or false") }
        return b
    }
}
