import RNNEngine

/// `TimeDistributed(layer)` around any layer rnncheck reads, and models used as layers
/// (`Functional`, `Sequential`).
enum WrappersImport {
    static let entries: [String: LayerEntry] = [
        "TimeDistributed": LayerEntry(.masked) { try timeDistributed(&$0) },
        // Keras 3 `Functional.call(inputs, training=None, mask=None)`; Keras 2 alike.
        "Functional": LayerEntry(.masked) { try model(&$0) },
        "Model": LayerEntry(.masked) { try model(&$0) },
        "Sequential": LayerEntry(.masked) { try model(&$0) },
    ]

    static func timeDistributed(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let input = try b.input()
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(["layer"]))
        guard input.count >= 2 else {
            throw ImportError.config(file: b.file, path: reader.config.path, message: "TimeDistributed '\(b.name)' needs a (time, ...) input, got \(Shapes.describe(input))")
        }
        let innerEntry = try reader.config["layer"]
        let innerClass = try innerEntry.string("class_name")
        guard case .found(let registered) = try LayerRegistry.entry(innerEntry, className: innerClass, config: try innerEntry["config"],
                                                                     isOp: false, custom: b.customLayers) else {
            throw reader.unsupported("TimeDistributed around layer class '\(innerClass)'")
        }
        let innerConfig = try innerEntry["config"]
        var inner = LayerBuild(
            reader: reader.nested("\(b.name)/\(try innerConfig.optional("name")?.string() ?? innerClass)", config: innerConfig),
            className: innerClass, inputShapes: [Array(input.dropFirst())], call: BoundCall(values: [:], given: []),
            weights: b.weights.wrapped())
        inner.customLayers = b.customLayers
        let layer = try registered.build(&inner)
        b.weightPaths += inner.weightPaths
        for note in inner.notes { b.note(note) }
        return TimeDistributedLayer(layer, semantics: b.semantics)
    }

    /// A model used as a layer: its own graph, with its weights under its key (Keras 3:
    /// `layers/functional/layers/...`) or among its group's names (Keras 2: `encoder/enc_lstm/...`).
    static func model(_ b: inout LayerBuild) throws -> any Layer<Double> {
        var builder = GraphBuilder(file: b.file, store: b.weights, kerasMajor: b.reader.kerasMajor)
        builder.customLayers = b.customLayers
        let model: Model<Double>
        switch b.className {
        case "Sequential": model = try builder.sequential(b.config)
        default: model = try builder.functional(b.config)
        }
        b.weightPaths += builder.weightSources.keys.sorted().flatMap { builder.weightSources[$0]! }
        for note in builder.notes { b.note(note) }
        let shapes = model.outputs.map { builder.shapes[$0.ref.node][$0.ref.output] }
        return ModelLayer(model: model, shapes: shapes)
    }
}
