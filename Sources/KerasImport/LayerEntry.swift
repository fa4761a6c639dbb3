import RNNEngine

/// How one Keras class is imported: the parameters of its `call()` and how its config and
/// weights become an engine layer. Every class rnncheck reads has exactly one entry, in one of
/// the family tables that `LayerRegistry` joins.
struct LayerEntry: Sendable {
    /// The Keras `call()` parameters (for binding arguments and passing masks as Keras does).
    var signature: CallSignature
    /// Decodes the config (refusing unknown keys by name), reads the weights, builds the layer.
    let build: @Sendable (inout LayerBuild) throws -> any Layer<Double>
    /// Adapts the built layer to one call's options (`return_attention_scores=True`); a shared
    /// layer is built once and adapted for each of its calls.
    let specialize: (@Sendable (any Layer<Double>, LayerBuild) throws -> any Layer<Double>)?

    init(_ signature: CallSignature = .plain,
         specialize: (@Sendable (any Layer<Double>, LayerBuild) throws -> any Layer<Double>)? = nil,
         build: @escaping @Sendable (inout LayerBuild) throws -> any Layer<Double>) {
        self.signature = signature
        self.build = build
        self.specialize = specialize
    }
}

/// Every class rnncheck reads: Keras class name → its one entry.
enum LayerRegistry {
    /// Layers (and models used as layers), by `class_name`.
    static let layers: [String: LayerEntry] = join([
        RecurrentImport.entries, CoreImport.entries, MergeImport.entries, ShapeImport.entries, PoolingImport.entries,
        NormalizationImport.entries, ActivationsImport.entries, WrappersImport.entries, ConvolutionImport.entries,
        AttentionImport.entries, ConvLSTMImport.entries, SpatialImport.entries,
    ])

    /// Keras 3 op nodes (`module` `keras.src.ops.*`), by `class_name`.
    static let ops: [String: LayerEntry] = OpsImport.entries

    /// What the registry knows of one layer of a config.
    enum Lookup {
        case found(LayerEntry)
        /// Not implemented; the text names it (`layer class 'Conv4D'`).
        case unsupported(String)
        /// Never run, for a reason the text gives (`Lambda`, an unregistered custom class).
        case refused(String)
    }

    /// The entry for one layer of a config: an application's custom implementation, the class's
    /// entry, or for tf.keras's op layers the function they wrap.
    static func entry(_ layer: JSONValue, className: String, config: JSONValue, isOp: Bool, custom: [String: CustomLayer]) throws -> Lookup {
        if isOp { return ops[className].map(Lookup.found) ?? .unsupported("op '\(className)'") }
        // Keras 3 names a registered class in `registered_name` ("package>Class"); tf.keras in `class_name`.
        let registered = try layer.optional("registered_name")?.string() ?? className
        if let implementation = custom[registered] ?? custom[className] { return .found(implementation.entry(name: registered)) }
        switch className {
        case "TFOpLambda", "SlicingOpLambda":
            let function = try config.string("function")
            for key in config.keys where !OpsImport.tfLayerKeys.contains(key) {
                throw ImportError.unsupported(file: config.file, layer: try config.optional("name")?.string() ?? className, what: "option '\(key)' of \(className)")
            }
            return OpsImport.tfFunctions[function].map(Lookup.found) ?? .unsupported("\(className) function 'tf.\(function)'")
        case "Lambda":
            return .refused("""
                it is a Lambda layer, whose config holds Python bytecode that runs only inside Python; rnncheck never \
                runs or decodes it. Write the function with keras.ops calls or built-in layers (Keras saves those as \
                nodes rnncheck reads), save the model again and compare that one.
                """)
        default:
            if let found = layers[className] { return .found(found) }
            // Keras 3 marks a custom class with `module: null` and a registered name; tf.keras
            // writes the registered name ("package>Class") as the class name.
            let module = try layer.optional("module"), registeredName = try layer.optional("registered_name")
            let keras3Custom = layer.has("module") && module == nil && registeredName != nil
            if registered.contains(">") || keras3Custom {
                return .refused("""
                    it is the custom layer class '\(registered)' (registered with register_keras_serializable), whose \
                    computation is Python code the file does not hold. Rewrite it with built-in layers and keras.ops, \
                    or, from Swift, pass an implementation for '\(registered)' in KerasModelLoader.load(customLayers:).
                    """)
            }
            return .unsupported("layer class '\(className)'")
        }
    }

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
    /// For each input, the call parameter it was passed as.
    var inputParameters: [String] = []
    /// The application's custom layer implementations (for models used as layers).
    var customLayers: [String: CustomLayer] = [:]
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
