import RNNEngine

/// `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` and `Concatenate`.
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
    ]) { _, _ in preconditionFailure("duplicate entry") }
}
