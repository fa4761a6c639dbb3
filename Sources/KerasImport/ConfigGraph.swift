import RNNEngine

/// Builds an engine graph from a Keras model config (Keras 3 `config.json`, `model.to_json()`,
/// or a Keras 2 `model_config`), binding every layer to its weights.
///
/// Both Sequential and functional models become calls (`CallSite`) ordered by their data
/// dependencies in time linear in the size of the graph; each call goes through the one
/// `LayerRegistry` entry of its class.
struct GraphBuilder {
    let file: String
    let store: WeightSource
    let kerasMajor: Int
    /// When set, an unsupported layer does not stop the import: it is recorded in `problems`
    /// and stands in the graph as a placeholder, so that `inspect` can show the whole model.
    let lenient: Bool
    /// Implementations of custom layer classes, by registered name.
    var customLayers: [String: CustomLayer] = [:]

    var nodes: [Node<Double>] = []
    var shapes: [[SymbolicShape]] = []
    var weightSources: [String: [String]] = [:]
    var notes: [String] = []
    var problems: [String] = []
    /// Per class, how many weight keys have been handed out (`lstm`, `lstm_1`, ...).
    var keyCounts: [String: Int] = [:]

    init(file: String, store: WeightSource, kerasMajor: Int, lenient: Bool = false) {
        self.file = file
        self.store = store
        self.kerasMajor = kerasMajor
        self.lenient = lenient
    }

    var semantics: KerasSemantics { kerasMajor >= 3 ? .keras3 : .keras2 }

    /// Keras's `naming.to_snake_case`.
    static func snakeCase(_ name: String) -> String {
        var s = String(name.unicodeScalars.filter { CharacterSetPredicate.isWord($0) })
        s = CharacterSetPredicate.replaceCamel(s)
        return s.lowercased()
    }

    /// Classes Keras exports under another name than their Python class, whose name the weight
    /// keys come from.
    static let pythonClassNames = ["GroupQueryAttention": "GroupedQueryAttention"]

    /// The weight key of the next layer of class `className`.
    mutating func nextKey(_ className: String) -> String {
        let base = Self.snakeCase(Self.pythonClassNames[className] ?? className)
        let n = keyCounts[base, default: 0]
        keyCounts[base] = n + 1
        return n == 0 ? base : "\(base)_\(n)"
    }

    /// Whether Keras 2 numbers this layer's calls from 1 (a nested functional model, or a
    /// Sequential that starts with its InputLayer).
    static func skipsFirstNode(_ entry: JSONValue) throws -> Bool {
        switch try entry.string("class_name") {
        case "Functional", "Model": return true
        case "Sequential":
            let layers = try entry["config"].optional("layers")?.array() ?? []
            return try layers.first?.string("class_name") == "InputLayer"
        default: return false
        }
    }

    /// Whether a call node is in Keras 2's form: a list of `[layer, node, tensor, kwargs]`, or
    /// for a dict argument a dict of them (Keras 3 writes `{"args": ..., "kwargs": ...}`).
    static func isKeras2Node(_ node: JSONValue) -> Bool {
        switch node.storage {
        case .array: return true
        case .object: return !node.has("args")
        default: return false
        }
    }

    static func isOpNode(_ entry: JSONValue) throws -> Bool {
        if let module = try entry.optional("module")?.string(), module.hasPrefix("keras.src.ops") { return true }
        return false
    }

    static func inputShape(_ config: JSONValue) throws -> SymbolicShape {
        let shapeValue = try config.optional("batch_shape") ?? config.optional("batch_input_shape")
        guard let shapeValue else {
            throw config.fail("InputLayer has neither batch_shape nor batch_input_shape")
        }
        let dims = try shapeValue.array()
        guard !dims.isEmpty else { throw shapeValue.fail("an input needs a batch axis") }
        return try dims.dropFirst().map { d -> Int? in
            if d.isNull { return nil }
            let n = try d.int()
            guard n >= 0 && n <= 1 << 31 else { throw d.fail("an input extent must be from 0 to 2^31, got \(n)") }
            return n
        }
    }

    /// How an `InputLayer` types its values (`dtype` int32 / int64 ids are integers).
    static func inputKind(_ config: JSONValue) throws -> ElementKind {
        guard let dtype = try config.optional("dtype") else { return .float }
        let name: String
        if case .string(let s) = dtype.storage { name = s } else { name = try dtype["config"].string("name") }
        if name == "bool" { return .boolean }
        return name.hasPrefix("int") || name.hasPrefix("uint") ? .integer : .float
    }

    mutating func addInput(name: String, config: JSONValue) throws -> Int {
        let shape = try Self.inputShape(config)
        nodes.append(Node(name: name, className: "InputLayer", layer: InputLayer<Double>(shape: shape, kind: try Self.inputKind(config))))
        shapes.append([shape])
        return nodes.count - 1
    }

    // MARK: Sequential

    mutating func sequential(_ config: JSONValue) throws -> Model<Double> {
        let modelName = try config.optional("name")?.string() ?? "sequential"
        let layers = try config["layers"].array()
        var current: Int
        var startIndex = 0
        if let first = layers.first, try first.string("class_name") == "InputLayer" {
            let inputConfig = try first["config"]
            current = try addInput(name: try inputConfig.optional("name")?.string() ?? "input", config: inputConfig)
            startIndex = 1
        } else if let first = layers.first {
            let firstConfig = try first["config"]
            if firstConfig.has("batch_input_shape") || firstConfig.has("batch_shape") {
                current = try addInput(name: "input", config: firstConfig)
            } else if let build = try first.optional("build_config"), let s = try build.optional("input_shape") {
                let shape: SymbolicShape = try s.array().dropFirst().map { $0.isNull ? nil : try $0.int() }
                nodes.append(Node(name: "input", className: "InputLayer", layer: InputLayer<Double>(shape: shape)))
                shapes.append([shape])
                current = nodes.count - 1
            } else {
                throw firstConfig.fail("the model has no InputLayer and its first layer records no input shape")
            }
        } else {
            throw config.fail("a Sequential model with no layers")
        }
        let inputNode = current
        for entry in layers[startIndex...] {
            let className = try entry.string("class_name")
            let layerConfig = try entry["config"]
            let name = try layerConfig.optional("name")?.string() ?? className
            let site = CallSite(args: [.tensor(TensorSpec(layer: "", node: 0, tensor: 0, path: entry.path))], kwargs: [], path: entry.path)
            var cache: LayerEntryCache = [:]
            current = try addCall(entry: entry, className: className, name: name, call: 0, site: site, key: nextKey(className),
                                  cache: &cache) { _ in TensorRef(node: current) }
            guard nodes[current].layer.outputCount == 1 else {
                throw ImportError.config(file: file, path: layerConfig.path,
                    message: "layer '\(name)' returns \(nodes[current].layer.outputCount) tensors, which a Sequential model cannot pass on")
            }
        }
        let outputs = [ModelOutput(ref: TensorRef(node: current), name: outputName(TensorRef(node: current)))]
        return try Model(name: modelName, nodes: nodes, inputs: [inputNode], outputs: outputs)
    }

    // MARK: Functional

    /// A functional model: layers with `inbound_nodes` (Keras 3 `{"args", "kwargs"}` or Keras 2
    /// nested lists), built in dependency order.
    mutating func functional(_ config: JSONValue) throws -> Model<Double> {
        let modelName = try config.optional("name")?.string() ?? "functional"
        let entries = try config["layers"].array()

        struct Pending {
            var entry: Int
            var call: Int
            var site: CallSite?
        }
        var names: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let name = try entry.string("name")
            guard names[name] == nil else { throw entry.fail("two layers are named '\(name)'") }
            names[name] = index
        }
        let layerNames = Set(names.keys)
        // Keras 2 numbers a nested model's calls from 1: its call 0 is its own construction,
        // which the config leaves out (tf.keras `_should_skip_first_node`).
        var skipFirstNode = Set<String>()
        let keras2Form = try entries.contains { e in
            guard let first = try e.optional("inbound_nodes")?.array().first else { return false }
            return Self.isKeras2Node(first)
        }
        // Keras 3 does so only in input_layers / output_layers, and only for functional models
        // (`functional_from_config.get_tensor`); in node arguments it counts from 0.
        var ioSkipFirstNode = Set<String>()
        if keras2Form {
            for entry in entries where try Self.skipsFirstNode(entry) { skipFirstNode.insert(try entry.string("name")) }
            ioSkipFirstNode = skipFirstNode
        } else {
            for entry in entries where ["Functional", "Model"].contains(try entry.string("class_name")) {
                ioSkipFirstNode.insert(try entry.string("name"))
            }
        }
        var keys: [Int: String] = [:]
        var pending: [Pending] = []
        var callCounts = [Int](repeating: 0, count: entries.count)
        for (index, entry) in entries.enumerated() {
            let className = try entry.string("class_name")
            if try !Self.isOpNode(entry) { keys[index] = nextKey(className) }
            if className == "InputLayer" {
                pending.append(Pending(entry: index, call: 0, site: nil))
                callCounts[index] = 1
                continue
            }
            let inbound = try entry.optional("inbound_nodes")?.array() ?? []
            callCounts[index] = inbound.count
            for (call, node) in inbound.enumerated() {
                let site: CallSite
                if Self.isKeras2Node(node) {
                    site = try CallSite.keras2(node, layerNames: layerNames, skipFirstNode: skipFirstNode)
                } else {
                    site = try CallSite.keras3(node)
                }
                pending.append(Pending(entry: index, call: call, site: site))
            }
        }

        // Kahn's algorithm over calls, always taking the ready call that comes first in the
        // config (so a config already in order is built in its own order).
        var position: [CallKey: Int] = [:]
        for (p, item) in pending.enumerated() {
            position[CallKey(layer: try entries[item.entry].string("name"), call: item.call)] = p
        }
        var waiting = [Int](repeating: 0, count: pending.count)
        var consumers = [[Int]](repeating: [], count: pending.count)
        for (p, item) in pending.enumerated() {
            var producers = Set<Int>()
            for spec in item.site?.tensors ?? [] {
                guard let index = names[spec.layer] else {
                    throw ImportError.config(file: file, path: spec.path, message: "refers to layer '\(spec.layer)', which model '\(modelName)' does not have")
                }
                guard spec.node >= 0 && spec.node < callCounts[index], let producer = position[spec.producer] else {
                    throw ImportError.config(file: file, path: spec.path,
                        message: "refers to call \(spec.node) of layer '\(spec.layer)', which is called \(callCounts[index]) time(s)")
                }
                producers.insert(producer)
            }
            waiting[p] = producers.count
            for q in producers { consumers[q].append(p) }
        }
        var ready = MinHeap(pending.indices.filter { waiting[$0] == 0 })
        var produced: [CallKey: Int] = [:]  // call -> engine node
        var cache: LayerEntryCache = [:]
        var done = 0
        while let p = ready.pop() {
            done += 1
            let item = pending[p]
            let entry = entries[item.entry]
            let className = try entry.string("class_name")
            let name = try entry.string("name")
            let callKey = CallKey(layer: name, call: item.call)
            guard let site = item.site else {
                produced[callKey] = try addInput(name: name, config: try entry["config"])
                for c in consumers[p] { waiting[c] -= 1; if waiting[c] == 0 { ready.push(c) } }
                continue
            }
            let nodeName = item.call == 0 ? name : "\(name)#\(item.call)"
            produced[callKey] = try addCall(
                entry: entry, className: className, name: nodeName, call: item.call, site: site, key: keys[item.entry] ?? "",
                cache: &cache, entryIndex: item.entry
            ) { spec in TensorRef(node: produced[spec.producer]!, output: spec.tensor) }
            for c in consumers[p] { waiting[c] -= 1; if waiting[c] == 0 { ready.push(c) } }
        }
        if done < pending.count, let stuck = pending.indices.first(where: { waiting[$0] > 0 }) {
            throw ImportError.config(file: file, path: entries[pending[stuck].entry].path,
                message: "layer '\(try entries[pending[stuck].entry].string("name"))' waits for tensors that no layer of model '\(modelName)' produces (a cycle in the graph)")
        }

        func references(_ key: String) throws -> [TensorRef] {
            // A triple [layer, node, tensor], or lists of them nested as Keras's outputs are
            // (StackedRNNCells states): flattened in order, as keras.tree.flatten does.
            func flatten(_ v: JSONValue) throws -> [JSONValue] {
                // A dict (Keras 3 dict inputs and outputs) flattens in sorted key order, as keras.tree does.
                if case .object = v.storage { return try v.keys.sorted().flatMap { try flatten(try v[$0]) } }
                let items = try v.array()
                if let first = items.first, case .string = first.storage { return [v] }
                return try items.flatMap(flatten)
            }
            return try flatten(try config[key] as JSONValue).map { t in
                let parts = try t.array()
                guard parts.count == 3 else { throw t.fail("expected [layer, node, tensor]") }
                let layer = try parts[0].string()
                let call = try parts[1].int() - (ioSkipFirstNode.contains(layer) ? 1 : 0)
                guard let node = produced[CallKey(layer: layer, call: call)] else {
                    throw t.fail("refers to layer '\(layer)' call \(try parts[1].int()), which model '\(modelName)' does not have")
                }
                let output = try parts[2].int()
                guard output >= 0 && output < nodes[node].layer.outputCount else {
                    throw t.fail("refers to output \(output) of layer '\(layer)', which has \(nodes[node].layer.outputCount) output(s)")
                }
                return TensorRef(node: node, output: output)
            }
        }
        let inputs = try references("input_layers")
        for r in inputs where !(nodes[r.node].layer is InputLayer<Double>) {
            throw ImportError.config(file: file, path: "\(config.path).input_layers", message: "model input '\(nodes[r.node].name)' is not an InputLayer")
        }
        let outputs = try references("output_layers").map { ModelOutput(ref: $0, name: outputName($0)) }
        return try Model(name: modelName, nodes: nodes, inputs: inputs.map(\.node), outputs: outputs)
    }

    /// `"<layer>/<what>"`, the name reports give a model output.
    func outputName(_ ref: TensorRef) -> String {
        "\(nodes[ref.node].name.split(separator: "#").first.map(String.init) ?? nodes[ref.node].name)/\(nodes[ref.node].layer.outputName(ref.output))"
    }

    // MARK: One call

    typealias LayerEntryCache = [Int: any Layer<Double>]

    /// Adds the node of one call: binds the call to the class's signature, works out its inputs,
    /// initial states and masks, builds the layer (once per layer: later calls share it) and
    /// checks its shapes. Returns the node's index.
    mutating func addCall(
        entry: JSONValue, className: String, name: String, call: Int, site: CallSite, key: String,
        cache: inout LayerEntryCache, entryIndex: Int = -1, resolve: (TensorSpec) throws -> TensorRef
    ) throws -> Int {
        let isOp = try Self.isOpNode(entry)
        let layerName = name.split(separator: "#").first.map(String.init) ?? name
        // Every index from the config is checked before use.
        var refs: [TensorSpec: TensorRef] = [:]
        for spec in site.tensors {
            let ref = try resolve(spec)
            let count = nodes[ref.node].layer.outputCount
            guard ref.output >= 0 && ref.output < count else {
                throw ImportError.config(file: file, path: spec.path,
                    message: "refers to output \(spec.tensor) of layer '\(spec.layer)', which has \(count) output(s)")
            }
            refs[spec] = ref
        }
        let resolve: (TensorSpec) throws -> TensorRef = { refs[$0]! }
        let layerConfig = try entry["config"]
        let registered: LayerEntry
        switch try LayerRegistry.entry(entry, className: className, config: layerConfig, isOp: isOp, custom: customLayers) {
        case .found(let e): registered = e
        case .unsupported(let what):
            return try placeholder(name: name, className: className, site: site, resolve: resolve,
                                   error: .unsupported(file: file, layer: layerName, what: what))
        case .refused(let reason):
            return try placeholder(name: name, className: className, site: site, resolve: resolve,
                                   error: .refused(file: file, layer: layerName, reason: reason))
        }
        let bound = try bind(site, to: registered.signature, layer: layerName, op: isOp)
        // The node's tensor inputs, and which signature parameter each came from.
        var inputs: [TensorRef] = []
        var owners: [String] = []
        var states: [TensorRef] = []
        for parameter in registered.signature.inputs {
            guard let value = bound.values[parameter] else { continue }
            var tensors = try value.tensors.map(resolve)
            if parameter == registered.signature.inputs.first, registered.signature.initialState != nil,
               case .list = value, tensors.count > 1 {
                // Keras 2 flattens `[sequences] + initial_state` into the first argument.
                states = Array(tensors.dropFirst())
                tensors = [tensors[0]]
            }
            inputs += tensors
            owners += Array(repeating: parameter, count: tensors.count)
        }
        if let parameter = registered.signature.initialState, let value = bound.values[parameter] {
            guard states.isEmpty else { throw ImportError.unsupported(file: file, layer: layerName, what: "initial states given twice") }
            states = try value.tensors.map(resolve)
        }
        let (masks, previous) = isOp
            ? (inputs.map { _ in MaskSource.none }, inputs.map { _ in MaskSource.none })
            : try maskPlan(bound, signature: registered.signature, owners: owners, layer: layerName, resolve: resolve)
        var inputShapes = inputs.map { shapes[$0.node][$0.output] }
        // After an unsupported layer, Keras 3's recorded shapes let the rest be checked.
        var unknown = false
        for (k, ref) in inputs.enumerated() where nodes[ref.node].layer is UnsupportedLayer<Double> {
            if let spec = refs.first(where: { $0.value == ref })?.key, let shape = spec.recordedShape {
                inputShapes[k] = shape
            } else {
                unknown = true
            }
        }
        if lenient, unknown || states.contains(where: { nodes[$0.node].layer is UnsupportedLayer<Double> }) {
            // Cannot be checked without its input; it is not itself a problem.
            nodes.append(Node(name: name, className: className,
                              layer: UnsupportedLayer<Double>(className: className, reason: "not checked: an input comes from an unsupported layer"),
                              inputs: inputs, masks: inputs.map { _ in .none }))
            shapes.append([[]])
            return nodes.count - 1
        }

        var layer: any Layer<Double>
        var build = LayerBuild(
            reader: LayerConfigReader(file: file, kerasMajor: kerasMajor, layer: layerName, config: layerConfig),
            className: className, inputShapes: inputShapes, call: bound,
            weights: isOp ? NoWeights() : store.layer(key: key, name: layerName))
        build.inputParameters = owners
        build.customLayers = customLayers
        if let earlier = cache[entryIndex], entryIndex >= 0 {
            layer = earlier
        } else {
            do {
                layer = try registered.build(&build)
            } catch var error as ImportError {
                // A malformed option is reported at its JSON path (`config.layers[7].config.axis`);
                // say which layer that is, by name.
                if case .config(let file, let path, let message) = error, !message.hasPrefix("layer '") {
                    error = .config(file: file, path: path, message: "layer '\(layerName)' (\(className)): \(message)")
                }
                guard lenient else { throw error }
                return try placeholder(name: name, className: className, site: site, resolve: resolve, error: error)
            }
            for note in build.notes where !notes.contains(note) { notes.append(note) }
            if !build.weightPaths.isEmpty { weightSources[name] = build.weightPaths }
            if entryIndex >= 0 { cache[entryIndex] = layer }
        }
        if let specialize = registered.specialize {
            do {
                layer = try specialize(layer, build)
            } catch let error as ImportError where lenient {
                return try placeholder(name: name, className: className, site: site, resolve: resolve, error: error)
            }
        }
        let outputShapes: [SymbolicShape]
        do {
            outputShapes = try layer.outputShapes(for: inputShapes)
        } catch let error as EngineError {
            throw ImportError.config(file: file, path: layerConfig.path,
                                     message: "layer '\(layerName)' (\(className)): " + (error.errorDescription ?? "\(error)"))
        }
        nodes.append(Node(name: name, className: className, layer: layer, inputs: inputs, initialState: states,
                          masks: masks, previousMasks: previous))
        shapes.append(outputShapes)
        return nodes.count - 1
    }

    /// Binds a call's arguments to a signature as Python does: positional arguments in order,
    /// keyword arguments by name; `training` and null keyword arguments count for nothing.
    func bind(_ site: CallSite, to signature: CallSignature, layer: String, op: Bool) throws -> BoundCall {
        var values: [String: CallValue] = [:]
        guard site.args.count <= signature.parameters.count else {
            throw ImportError.unsupported(file: file, layer: layer, what: "a call with \(site.args.count) positional arguments")
        }
        for (parameter, value) in zip(signature.parameters, site.args) { values[parameter] = value }
        for (key, value) in site.kwargs {
            if signature.ignored.contains(key) { continue }
            if case .null = value { continue }
            guard signature.parameters.contains(key) else {
                throw ImportError.unsupported(file: file, layer: layer, what: "call argument '\(key)'")
            }
            guard values[key] == nil else {
                throw ImportError.config(file: file, path: site.path, message: "layer '\(layer)': call argument '\(key)' is given twice")
            }
            values[key] = value
        }
        for parameter in signature.ignored { values[parameter] = nil }
        if !op, case .constant? = values["constants"] {
            throw ImportError.unsupported(file: file, layer: layer, what: "call argument 'constants'")
        }
        return BoundCall(values: values, given: signature.parameters.filter { values[$0] != nil })
    }

    /// Which mask each input's call receives and which `compute_mask` sees, as Keras decides it.
    ///
    /// Keras 3 (`Layer.__call__`, step 6): with exactly one tensor argument, a `mask` parameter
    /// left empty gets that argument's masks; with several, each parameter `<name>_mask` left
    /// empty gets argument `<name>`'s; `compute_mask` sees the `mask` argument, else the first
    /// argument's masks. Keras 2 (`base_layer.__call__`): an empty `mask` gets the masks of the
    /// first argument, and `compute_mask` sees the same.
    func maskPlan(
        _ call: BoundCall, signature: CallSignature, owners: [String], layer: String, resolve: (TensorSpec) throws -> TensorRef
    ) throws -> ([MaskSource], [MaskSource]) {
        let first = signature.parameters.first
        /// The mask value given for a parameter's inputs, aligned with them.
        func explicit(_ value: CallValue, onto parameter: String) throws -> [Int: MaskSource] {
            let indices = owners.indices.filter { owners[$0] == parameter }
            var items: [CallValue]
            if case .list(let list) = value, indices.count > 1 || (indices.count == 1 && list.count == 1) {
                items = list
            } else {
                items = [value]
            }
            guard items.count == indices.count else {
                throw ImportError.unsupported(file: file, layer: layer,
                    what: "a mask argument with \(items.count) mask(s) for \(indices.count) input(s)")
            }
            var out: [Int: MaskSource] = [:]
            for (k, item) in zip(indices, items) {
                switch item {
                case .null: out[k] = MaskSource.none
                case .tensor(let spec): out[k] = .tensor(try resolve(spec))
                case .list, .constant:
                    throw ImportError.unsupported(file: file, layer: layer, what: "a mask argument that is not a tensor")
                }
            }
            return out
        }
        func carried(_ parameter: String?) -> [Int: MaskSource] {
            var out: [Int: MaskSource] = [:]
            for k in owners.indices where owners[k] == parameter { out[k] = .carried(k) }
            return out
        }
        func aligned(_ map: [Int: MaskSource]) -> [MaskSource] { owners.indices.map { map[$0] ?? MaskSource.none } }

        switch semantics {
        case .keras2:
            var masks = carried(first)
            if let given = call.values["mask"] { masks = try explicit(given, onto: first ?? "") }
            let callMasks = signature.hasMaskParameter ? aligned(masks) : aligned([:])
            return (callMasks, aligned(masks))
        case .keras3:
            let tensorArguments = call.given.filter { call.values[$0]?.isTensorArgument == true }
            var callMasks: [Int: MaskSource] = [:]
            var maskArgument: [Int: MaskSource]?
            if let given = call.values["mask"] {
                let target = tensorArguments.first { $0 != "mask" } ?? first ?? ""
                maskArgument = try explicit(given, onto: target)
            } else if tensorArguments.count == 1, signature.hasMaskParameter {
                maskArgument = carried(tensorArguments[0])
            }
            if let maskArgument { callMasks.merge(maskArgument) { a, _ in a } }
            for owner in signature.inputs where signature.parameters.contains(owner + "_mask") {
                let parameter = owner + "_mask"
                if let given = call.values[parameter] {
                    callMasks.merge(try explicit(given, onto: owner)) { a, _ in a }
                } else if tensorArguments.count > 1, tensorArguments.contains(owner) {
                    callMasks.merge(carried(owner)) { a, _ in a }
                }
            }
            let previous = maskArgument ?? carried(first)
            return (aligned(callMasks), aligned(previous))
        }
    }

    /// In lenient mode, records an unsupported layer and puts a placeholder in its place, whose
    /// outputs have the shapes the config records (Keras 3) or unknown shapes.
    mutating func placeholder(
        name: String, className: String, site: CallSite, resolve: (TensorSpec) throws -> TensorRef, error: ImportError
    ) throws -> Int {
        guard lenient else { throw error }
        problems.append(error.errorDescription ?? "\(error)")
        let inputs = try site.tensors.map(resolve)
        nodes.append(Node(name: name, className: className, layer: UnsupportedLayer(className: className, reason: error.errorDescription ?? ""),
                          inputs: inputs, masks: inputs.map { _ in .none }))
        shapes.append([[]])
        return nodes.count - 1
    }
}

/// Stands for a layer rnncheck cannot run, so that `inspect` can show the rest of the model.
struct UnsupportedLayer<Scalar: EngineScalar>: Layer {
    var className: String
    var reason: String

    var maskRule: MaskRule { .drop }
    var outputCount: Int { 1 }

    func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        throw EngineError.invalidInput("its input comes from '\(className)', which is not supported")
    }

    func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        throw EngineError.invalidInput(reason)
    }

    func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { UnsupportedLayer<T>(className: className, reason: reason) }

    var summary: String { reason }
}

/// A binary min-heap of indices.
struct MinHeap {
    private var items: [Int] = []

    init(_ initial: [Int]) {
        for i in initial { push(i) }
    }

    mutating func push(_ x: Int) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent] > items[i] else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let (l, r) = (2 * i + 1, 2 * i + 2)
                var smallest = i
                if l < items.count && items[l] < items[smallest] { smallest = l }
                if r < items.count && items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}

/// Character helpers for `snakeCase`, written out to match Python's `re` exactly.
enum CharacterSetPredicate {
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || s.properties.numericType != nil
    }

    static func isUpper(_ c: Character) -> Bool { c.isUppercase }
    static func isLower(_ c: Character) -> Bool { c.isLowercase }

    /// `re.sub("(.)([A-Z][a-z]+)", r"\1_\2", s)` then `re.sub("([a-z])([A-Z])", r"\1_\2", s)`.
    static func replaceCamel(_ input: String) -> String {
        var chars = Array(input)
        // Pass 1: before every uppercase letter that starts a run of lowercase letters, and
        // is not the first character, insert "_" (scanning left to right without overlaps).
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            if i + 2 <= chars.count, i + 1 < chars.count, isUpper(chars[i + 1]),
               i + 2 < chars.count, isLower(chars[i + 2]) {
                // match (.)([A-Z][a-z]+) at i
                var j = i + 2
                while j < chars.count, isLower(chars[j]) { j += 1 }
                out.append(chars[i])
                out.append("_")
                out.append(contentsOf: chars[(i + 1)..<j])
                i = j
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        chars = out
        out = []
        i = 0
        while i < chars.count {
            out.append(chars[i])
            if i + 1 < chars.count, isLower(chars[i]), isUpper(chars[i + 1]) {
                out.append("_")
                out.append(chars[i + 1])
                i += 2
            } else {
                i += 1
            }
        }
        return String(out)
    }
}
