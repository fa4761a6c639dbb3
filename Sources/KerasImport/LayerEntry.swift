import RNNEngine

/// How one Keras class is imported: the parameters of its `call()` and how its config and
/// weights become an engine layer. Every class rnncheck reads has exactly one entry, in one of
/// the family tables that `LayerRegistry` joins.
struct LayerEntry: Sendable {
    /// The Keras `call()` parameters (for binding arguments and passing masks as Keras does).
    var signature: CallSignature
    /// Decodes the config (refusing unknown keys by name), reads the weights, builds the layer.
    let build: @Sendable (inout LayerBuild) throws -> any Layer<Double>

    init(_ signature: CallSignature = .plain, build: @escaping @Sendable (inout LayerBuild) throws -> any Layer<Double>) {
        self.signature = signature
        self.build = build
    }
}

/// Every class rnncheck reads: Keras class name → its one entry.
enum LayerRegistry {
    /// Layers (and models used as layers), by `class_name`.
    static let layers: [String: LayerEntry] = join([
        RecurrentImport.entries, CoreImport.entries, MergeImport.entries, ShapeImport.entries, PoolingImport.entries, NormalizationImport.entries,
        ActivationsImport.entries,
    ])

    /// Keras 3 op nodes (`module` `keras.src.ops.*`), by `class_name`.
    static let ops: [String: LayerEntry] = OpsImport.entries

    private static func join(_ tables: [[String: LayerEntry]]) -> [String: LayerEntry] {
        tables.reduce(into: [:]) { all, table in
            all.merge(table) { _, _ in preconditionFailure("a Keras class has two importer entries") }
        }
    }
}

/// What an importer entry works with while it builds one layer.
struct LayerBuild {
    /// The layer's config and how to read it (file, Keras version, layer name for errors).
    var reader: LayerConfigReader
    var className: String
    /// The shapes of the node's inputs, without the batch axis.
    var inputShapes: [SymbolicShape]
    /// The call as bound to the entry's signature (constants and options included).
    var call: BoundCall
    let weights: LayerWeights
    /// Weight paths read, in order (for `inspect`).
    var weightPaths: [String] = []
    /// Semantics chosen, for `inspect` (e.g. which hard_sigmoid).
    var notes: [String] = []

    var file: String { reader.file }
    var name: String { reader.layer }
    var config: JSONValue { reader.config }
    var semantics: KerasSemantics { reader.kerasMajor >= 3 ? .keras3 : .keras2 }

    /// The one input shape of a one-input layer.
    func input() throws -> SymbolicShape {
        guard inputShapes.count == 1 else {
            throw ImportError.config(file: file, path: config.path, message: "\(className) '\(name)' takes one input, got \(inputShapes.count)")
        }
        return inputShapes[0]
    }

    /// The arrays of one part of the layer's weights, recorded for `inspect`.
    mutating func cursor(_ part: WeightPart, origin: String? = nil) throws -> WeightCursor {
        let arrays = try weights.arrays(part)
        weightPaths += arrays.map(\.path)
        return WeightCursor(file: file, layer: name, arrays: arrays, origin: origin ?? "\(name) weights")
    }

    /// Fails when the layer has weights of its own (a layer that should have none).
    func noWeights() throws {
        if let first = try weights.arrays(.own).first { throw ImportError.extraWeight(file: file, path: first.path) }
    }

    mutating func note(_ text: String) {
        if !notes.contains(text) { notes.append(text) }
    }
}
