import RNNEngine

extension GraphBuilder {
    /// A Keras 3 functional model: layers with `inbound_nodes` of `{"args", "kwargs"}`.
    mutating func functional(_ top: JSONValue) throws -> Model<Double> {
        let config = try top["config"]
        let modelName = try config.optional("name")?.string() ?? "functional"
        let entries = try config["layers"].array()

        struct Pending {
            var entry: Int
            var call: Int
            var node: JSONValue
        }
        var keys: [Int: String] = [:]
        var names: [String: Int] = [:]
        var pending: [Pending] = []
        for (index, entry) in entries.enumerated() {
            let name = try entry.string("name")
            guard names[name] == nil else { throw entry.fail("two layers are named '\(name)'") }
            names[name] = index
            if try !Self.isOpNode(entry) { keys[index] = nextKey(try entry.string("class_name")) }
            let inbound = try entry.optional("inbound_nodes")?.array() ?? []
            if try entry.string("class_name") == "InputLayer" {
                pending.append(Pending(entry: index, call: 0, node: entry))
            } else {
                for (call, node) in inbound.enumerated() { pending.append(Pending(entry: index, call: call, node: node)) }
            }
        }

        var produced: [String: Int] = [:]  // "layer#call" -> engine node
        var builtOps: [Int: LayerFactory.Built] = [:]

        func ref(_ tensor: JSONValue) throws -> TensorRef? {
            guard let history = try tensor.optional("config")?.optional("keras_history") else {
                throw tensor.fail("expected a Keras tensor with keras_history")
            }
            let h = try history.array()
            guard h.count == 3 else { throw history.fail("keras_history must be [layer, node, tensor]") }
            let layer = try h[0].string()
            guard names[layer] != nil else { throw history.fail("refers to layer '\(layer)', which the model does not have") }
            guard let node = produced["\(layer)#\(try h[1].int())"] else { return nil }
            return TensorRef(node: node, output: try h[2].int())
        }
        func isTensor(_ v: JSONValue) throws -> Bool {
            if case .object = v.storage, try v.optional("class_name")?.string() == "__keras_tensor__" { return true }
            return false
        }

        var progress = true
        while !pending.isEmpty && progress {
            progress = false
            var remaining: [Pending] = []
            for item in pending {
                let entry = entries[item.entry]
                let className = try entry.string("class_name")
                let name = try entry.string("name")
                let layerConfig = try entry["config"]
                if className == "InputLayer" {
                    let shape = try Self.inputShape(layerConfig, file: file)
                    produced["\(name)#0"] = add(Node(name: name, className: className, operation: .input(shape: shape)),
                                                shapes: [shape], weights: [])
                    progress = true
                    continue
                }
                var inputRefs: [TensorRef] = []
                var constants: [JSONValue] = []
                var ready = true
                var stateRefs: [TensorRef] = []
                var maskSource: MaskSource = .none
                if case .array = item.node.storage {
                    // Keras 2: [["x", 0, 0, {}], ["h0", 0, 0, {}], ...]; masks flow implicitly, and
                    // the tensors after the first are a recurrent layer's initial states.
                    maskSource = .implicit
                    let takesStates = LayerFactory.recurrentClasses.contains(className)
                        || className == "Bidirectional" || className == "RNN"
                    for (position, entryRef) in try item.node.array().enumerated() {
                        let parts = try entryRef.array()
                        guard parts.count >= 3 else { throw entryRef.fail("expected [layer, node, tensor, kwargs]") }
                        let layer = try parts[0].string()
                        guard names[layer] != nil else { throw entryRef.fail("refers to layer '\(layer)', which the model does not have") }
                        if parts.count > 3, case .object = parts[3].storage {
                            // tf-keras writes {"initial_state": null, "constants": null} for a
                            // Bidirectional given initial states: the states are the entries after
                            // the first, and a null argument is no argument
                            for key in parts[3].keys where key != "training" {
                                guard try parts[3][key].isNull else {
                                    throw ImportError.unsupported(file: file, layer: name, what: "call argument '\(key)'")
                                }
                            }
                        }
                        guard let node = produced["\(layer)#\(try parts[1].int())"] else { ready = false; continue }
                        let r = TensorRef(node: node, output: try parts[2].int())
                        if takesStates && position > 0 { stateRefs.append(r) } else { inputRefs.append(r) }
                    }
                } else {
                let args = try item.node["args"].array()
                let kwargs = try item.node.optional("kwargs")
                // Positional tensors: a tensor, or a list of tensors (merge layers).
                for arg in args {
                    let list = try isTensor(arg) ? [arg] : ((try? arg.array()) ?? [arg])
                    for v in list {
                        if try isTensor(v) {
                            if let r = try ref(v) { inputRefs.append(r) } else { ready = false }
                        } else {
                            constants.append(v)
                        }
                    }
                }
                if let kwargs {
                    for key in kwargs.keys {
                        let value = try kwargs[key]
                        switch key {
                        case "training":
                            continue
                        case "initial_state":
                            guard !value.isNull else { continue }
                            let list = try isTensor(value) ? [value] : try value.array()
                            for v in list {
                                if let r = try ref(v) { stateRefs.append(r) } else { ready = false }
                            }
                        case "mask":
                            guard !value.isNull else { continue }
                            let list = try isTensor(value) ? [value] : try value.array().filter { !$0.isNull }
                            if let m = list.first {
                                if let r = try ref(m) { maskSource = .explicit(r) } else { ready = false }
                            }
                        default:
                            throw ImportError.unsupported(file: file, layer: name, what: "call argument '\(key)'")
                        }
                    }
                }
                }
                guard ready else {
                    remaining.append(item)
                    continue
                }
                let inputShapes = inputRefs.map { shapes[$0.node][$0.output] }
                let operation: LayerOperation<Double>
                var outputShapes: [SymbolicShape]
                var weightPaths: [String] = []
                if try Self.isOpNode(entry) {
                    (operation, outputShapes) = try opNode(className: className, name: name, config: layerConfig,
                                                           constants: constants, inputShapes: inputShapes)
                } else {
                    guard constants.isEmpty else {
                        throw ImportError.unsupported(file: file, layer: name, what: "non-tensor call arguments")
                    }
                    let built: LayerFactory.Built
                    if let earlier = builtOps[item.entry] {
                        built = earlier
                    } else {
                        built = try buildLayer(className: className, name: name, config: layerConfig,
                                               inputShapes: inputShapes, key: keys[item.entry]!)
                        builtOps[item.entry] = built
                        weightPaths = built.weightPaths
                    }
                    operation = built.operation
                    outputShapes = built.outputShapes
                }
                let nodeName = item.call == 0 ? name : "\(name)#\(item.call)"
                produced["\(name)#\(item.call)"] = add(
                    Node(name: nodeName, className: className, operation: operation, inputs: inputRefs,
                         initialState: stateRefs, maskSource: maskSource),
                    shapes: outputShapes, weights: weightPaths)
                progress = true
            }
            pending = remaining
        }
        if let stuck = pending.first {
            throw ImportError.config(file: file, path: entries[stuck.entry].path,
                message: "layer '\(try entries[stuck.entry].string("name"))' waits for tensors that no layer produces (a cycle or a missing layer)")
        }

        func triples(_ key: String) throws -> [TensorRef] {
            // A triple [layer, node, tensor], or lists of them nested as Keras's outputs are
            // (StackedRNNCells states): flattened in order, as keras.tree.flatten does.
            func flatten(_ v: JSONValue) throws -> [JSONValue] {
                let items = try v.array()
                if let first = items.first, case .string = first.storage { return [v] }
                return try items.flatMap(flatten)
            }
            let list = try flatten(try config[key] as JSONValue)
            return try list.map { t in
                let parts = try t.array()
                guard parts.count == 3 else { throw t.fail("expected [layer, node, tensor]") }
                let layer = try parts[0].string()
                guard let node = produced["\(layer)#\(try parts[1].int())"] else {
                    throw t.fail("refers to layer '\(layer)', which the model does not have")
                }
                return TensorRef(node: node, output: try parts[2].int())
            }
        }
        let inputs = try triples("input_layers").map(\.node)
        let outputs = try triples("output_layers").map { ModelOutput(ref: $0, name: Self.outputName(node: nodes[$0.node], output: $0.output)) }
        return try Model(name: modelName, nodes: nodes, inputs: inputs, outputs: outputs)
    }

    /// The mask op nodes Keras 3 writes into functional configs.
    func opNode(
        className: String, name: String, config: JSONValue, constants: [JSONValue], inputShapes: [SymbolicShape]
    ) throws -> (LayerOperation<Double>, [SymbolicShape]) {
        guard inputShapes.count == 1 else {
            throw ImportError.unsupported(file: file, layer: name, what: "op \(className) with \(inputShapes.count) tensor inputs")
        }
        switch className {
        case "NotEqual":
            guard constants.count == 1 else {
                throw ImportError.unsupported(file: file, layer: name, what: "NotEqual without one constant")
            }
            return (.notEqual(try constants[0].double()), inputShapes)
        case "Cast":
            let dtype = try config.optional("dtype")?.string() ?? ""
            switch dtype {
            case "bool": return (.notEqual(0), inputShapes)
            case "float32", "float64": return (.identity, inputShapes)
            default: throw ImportError.unsupported(file: file, layer: name, what: "Cast to '\(dtype)'")
            }
        case "Any":
            let axis = try config.optional("axis")?.int() ?? -1
            let keepdims = try config.bool("keepdims", default: false)
            var shape = inputShapes[0]
            let full = shape.count + 1
            let a = axis < 0 ? axis + full : axis
            guard a >= 1 && a < full else {
                throw ImportError.unsupported(file: file, layer: name, what: "Any over axis \(axis)")
            }
            if keepdims { shape[a - 1] = 1 } else { shape.remove(at: a - 1) }
            return (.any(axis: axis, keepdims: keepdims), [shape])
        default:
            throw ImportError.unsupported(file: file, layer: name, what: "op node '\(className)'")
        }
    }
}
