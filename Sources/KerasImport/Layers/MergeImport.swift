import RNNEngine

/// `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`, `Concatenate` and `Dot`.
enum MergeImport {
    static let operations: [String: MergeOperation] = [
        "Add": .add, "Subtract": .subtract, "Multiply": .multiply, "Average": .average,
        "Maximum": .maximum, "Minimum": .minimum,
    ]

    static let entries: [String: LayerEntry] = operations.mapValues { op in
        LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys)
            try b.noWeights()
            return MergeLayer<Double>(op, semantics: b.semantics)
        }
    }.merging([
        "Concatenate": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["axis"]))
            try b.noWeights()
            return ConcatenateLayer<Double>(axis: try b.config.optional("axis")?.int() ?? -1, semantics: b.semantics)
        },
        "Dot": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["axes", "normalize"]))
            try b.noWeights()
            let value = try b.config["axes"]
            let axes: [Int]
            if case .array = value.storage { axes = try value.array().map { try $0.int() } } else { axes = [try value.int()] }
            guard axes.count == 1 || axes.count == 2, axes.allSatisfy({ abs($0) <= 64 }) else {
                throw ImportError.config(file: b.file, path: value.path, message: "layer '\(b.name)': axes must be one axis or a pair, got \(axes)")
            }
            return DotLayer<Double>(axes: (axes[0], axes.last!), normalize: try b.reader.bool("normalize", default: false), semantics: b.semantics)
        },
    ]) { _, _ in preconditionFailure("duplicate entry") }
}
