import RNNEngine

/// `Flatten`, `Reshape`, `Permute`, `RepeatVector`, `ZeroPadding1D`, `Cropping1D`, `UpSampling1D`.
enum ShapeImport {
    /// The largest size a shape option may have (a hostile config cannot ask for more).
    static let sizeLimit = 1 << 24

    static let entries: [String: LayerEntry] = [
        "Flatten": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["data_format"]))
            try b.noWeights()
            return FlattenLayer<Double>(channelsFirst: try b.reader.channelsFirst())
        },
        "Reshape": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["target_shape"]))
            try b.noWeights()
            let rule = "a list of sizes from 1 to \(sizeLimit) with at most one -1"
            guard let target = try b.reader.wholeNumbers("target_shape", rule: rule, form: .list),
                  target.filter({ $0 == -1 }).count <= 1, target.allSatisfy({ $0 == -1 || (1...sizeLimit).contains($0) }) else {
                throw try b.reader.invalid("target_shape", rule: rule)
            }
            return ReshapeLayer<Double>(targetShape: target)
        },
        "Permute": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["dims"]))
            try b.noWeights()
            let rule = "a permutation of 1, 2, ..., n for an input of n axes after the batch"
            guard let dims = try b.reader.wholeNumbers("dims", rule: rule, form: .list),
                  !dims.isEmpty, dims.sorted() == Array(1...dims.count) else {
                throw try b.reader.invalid("dims", rule: rule)
            }
            return PermuteLayer<Double>(dims: dims)
        },
        "RepeatVector": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["n"]))
            try b.noWeights()
            guard let n = try b.reader.size("n", limit: sizeLimit) else {
                throw try b.reader.invalid("n", rule: "a whole number from 1 to \(sizeLimit)")
            }
            return RepeatVectorLayer<Double>(n: n)
        },
        "ZeroPadding1D": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["padding", "data_format"]))
            try b.noWeights()
            let (before, after) = try b.reader.pair("padding", default: 1, limit: sizeLimit)
            return StepsLayer<Double>(.pad(before: before, after: after), channelsFirst: try b.reader.channelsFirst())
        },
        "Cropping1D": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["cropping"]))
            try b.noWeights()
            let (before, after) = try b.reader.pair("cropping", default: 1, limit: sizeLimit)
            return StepsLayer<Double>(.crop(before: before, after: after))
        },
        "UpSampling1D": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["size"]))
            try b.noWeights()
            return StepsLayer<Double>(.repeatEach(try b.reader.size("size", limit: sizeLimit) ?? 2))
        },
    ]
}

extension LayerConfigReader {
    /// The error for option `key` holding something other than `rule` says it should: it names
    /// the layer and the option and quotes the value as the config has it.
    func invalid(_ key: String, rule: String) throws -> ImportError {
        let value = config.has(key) ? try config[key] : nil
        return .config(file: file, path: value?.path ?? config.path,
                       message: "layer '\(layer)': \(key) must be \(rule), got \(value?.jsonText ?? "nothing")")
    }

    /// How a whole-number option may be written.
    enum NumbersForm { case number, list, numberOrList }

    /// Option `key` as whole numbers, written in `form`: one number (`n=3`), a list
    /// (`target_shape=[3, -1]`), or either (`padding=2` or `padding=[1, 3]`); nil when it is
    /// missing. Null (Keras cannot build these layers with None), a fraction, a string, a boolean
    /// or a nested list is refused with `rule`.
    func wholeNumbers(_ key: String, rule: String, form: NumbersForm = .numberOrList) throws -> [Int]? {
        guard config.has(key) else { return nil }
        let value = try config[key]
        let items: [JSONValue]
        switch (value.storage, form) {
        case (.array, .list), (.array, .numberOrList): items = try value.array()
        case (.array, .number), (_, .list): throw try invalid(key, rule: rule)
        default: items = [value]
        }
        return try items.map { item -> Int in
            guard case .number(let n) = item.storage, n == n.rounded(), abs(n) < 1e15 else { throw try invalid(key, rule: rule) }
            return Int(n)
        }
    }

    /// A size option (`n`, `size`): one whole number from 1 to `limit`; nil when missing.
    func size(_ key: String, limit: Int) throws -> Int? {
        let rule = "a whole number from 1 to \(limit)"
        guard let numbers = try wholeNumbers(key, rule: rule, form: .number) else { return nil }
        guard (1...limit).contains(numbers[0]) else { throw try invalid(key, rule: rule) }
        return numbers[0]
    }

    /// `data_format`: false for `channels_last` (or missing), true for `channels_first`.
    func channelsFirst() throws -> Bool {
        guard let value = try config.optional("data_format") else { return false }
        switch value.storage {
        case .string("channels_last"): return false
        case .string("channels_first"): return true
        default: throw try invalid("data_format", rule: "\"channels_last\" or \"channels_first\"")
        }
    }

    /// An option that is one whole number or a pair of them (`padding=2` or `padding=(1, 3)`),
    /// each from 0 to `limit`; `fallback` for both when it is missing.
    func pair(_ key: String, default fallback: Int, limit: Int) throws -> (Int, Int) {
        let rule = "one or two whole numbers from 0 to \(limit)"
        guard let numbers = try wholeNumbers(key, rule: rule) else { return (fallback, fallback) }
        guard numbers.count == 1 || numbers.count == 2, numbers.allSatisfy({ (0...limit).contains($0) }) else {
            throw try invalid(key, rule: rule)
        }
        return (numbers[0], numbers.last!)
    }
}

extension JSONValue {
    /// The value as compact JSON text, for error messages (`2.5`, `"3"`, `[1, -2]`, `true`).
    var jsonText: String {
        func text(_ s: Storage) -> String {
            switch s {
            case .null: return "null"
            case .bool(let b): return b ? "true" : "false"
            case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : "\(n)"
            case .string(let s): return "\"\(s)\""
            case .array(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
            case .object(let o): return "{" + o.keys.sorted().map { "\"\($0)\": \(text(o[$0]!))" }.joined(separator: ", ") + "}"
            }
        }
        return text(storage)
    }
}
