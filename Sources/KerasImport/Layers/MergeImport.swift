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
            let axes = try dotAxes(b)
            return DotLayer<Double>(axes: (axes[0], axes.last!), normalize: try b.reader.bool("normalize", default: false), semantics: b.semantics)
        },
    ]) { _, _ in preconditionFailure("duplicate entry") }

    /// Dot's `axes`: one whole number, or a list of one or two (Keras: "an int or a tuple of two
    /// ints"), each small enough to be an axis. Whether they fit the inputs is the layer's to say.
    static func dotAxes(_ b: LayerBuild) throws -> [Int] {
        let value = try b.config["axes"]
        let items: [JSONValue]
        if case .array = value.storage { items = try value.array() } else { items = [value] }
        let axes = items.compactMap { item -> Int? in
            guard case .number(let n) = item.storage, n == n.rounded(), abs(n) <= 64 else { return nil }
            return Int(n)
        }
        guard axes.count == items.count, axes.count == 1 || axes.count == 2 else {
            func shown(_ v: JSONValue) -> String {
                if case .number(let n) = v.storage { return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n) }
                return v.typeName
            }
            let got = if case .array = value.storage { "[" + items.map(shown).joined(separator: ", ") + "]" } else { shown(value) }
            throw ImportError.config(file: b.file, path: value.path,
                message: "layer '\(b.name)' (Dot): axes must be a whole number or a pair of whole numbers from -64 to 64, got \(got)")
        }
        return axes
    }
}
