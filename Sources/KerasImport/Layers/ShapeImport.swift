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
            let value = try b.config["target_shape"]
            let target = try value.array().map { try $0.int() }
            guard target.filter({ $0 == -1 }).count <= 1, target.allSatisfy({ $0 == -1 || (1...sizeLimit).contains($0) }) else {
                throw ImportError.config(file: b.file, path: value.path,
                    message: "layer '\(b.name)': target_shape must hold sizes from 1 to \(sizeLimit) and at most one -1, got \(target)")
            }
            return ReshapeLayer<Double>(targetShape: target)
        },
        "Permute": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["dims"]))
            try b.noWeights()
            let value = try b.config["dims"]
            let dims = try value.array().map { try $0.int() }
            guard !dims.isEmpty, dims.sorted() == Array(1...dims.count) else {
                throw ImportError.config(file: b.file, path: value.path,
                    message: "layer '\(b.name)': dims must be a permutation of 1...\(max(dims.count, 1)), got \(dims)")
            }
            return PermuteLayer<Double>(dims: dims)
        },
        "RepeatVector": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["n"]))
            try b.noWeights()
            return RepeatVectorLayer<Double>(n: try b.reader.positive("n", limit: sizeLimit))
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
            return StepsLayer<Double>(.repeatEach(b.config.has("size") ? try b.reader.positive("size", limit: sizeLimit) : 2))
        },
    ]
}

extension LayerConfigReader {
    /// `data_format`: false for `channels_last` (or missing), true for `channels_first`.
    func channelsFirst() throws -> Bool {
        guard let value = try config.optional("data_format") else { return false }
        switch try value.string() {
        case "channels_last": return false
        case "channels_first": return true
        case let other: throw ImportError.config(file: file, path: value.path, message: "layer '\(layer)': unknown data_format '\(other)'")
        }
    }

    /// An option that is one whole number or a pair of them (`padding=2` or `padding=(1, 3)`),
    /// each from 0 to `limit`.
    func pair(_ key: String, default fallback: Int, limit: Int) throws -> (Int, Int) {
        guard let value = try config.optional(key) else { return (fallback, fallback) }
        let numbers: [Int]
        if case .array = value.storage { numbers = try value.array().map { try $0.int() } } else { numbers = [try value.int()] }
        guard numbers.count == 1 || numbers.count == 2, numbers.allSatisfy({ (0...limit).contains($0) }) else {
            throw ImportError.config(file: file, path: value.path,
                message: "layer '\(layer)': \(key) must be one or two whole numbers from 0 to \(limit), got \(numbers)")
        }
        return (numbers[0], numbers.last!)
    }
}
