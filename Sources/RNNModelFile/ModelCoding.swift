import RNNEngine

/// A model graph in the description: `{"name", "nodes": [...], "inputs": [...], "outputs": [...]}`,
/// each node `{"name", "class_name", "inputs", "initial_state", "masks", "previous_masks", "layer"}`.
enum ModelCoding {
    /// The most nodes a model (or a model inside it) may have.
    static let maxNodes = 1 << 20

    static func encode<S: EngineScalar>(_ model: Model<S>, context: EncodingContext, path: String) throws -> JSON {
        var e = LayerEncoder(context: context, path: path)
        e.encode("name", model.name)
        var nodes: [JSON] = []
        for (k, node) in model.nodes.enumerated() {
            var n = LayerEncoder(context: context, path: "\(path).nodes[\(k)]")
            n.encode("name", node.name)
            n.encode("class_name", node.className)
            n.put("inputs", .array(node.inputs.map(ref)))
            n.put("initial_state", .array(node.initialState.map(ref)))
            n.put("masks", .array(node.masks.map(mask)))
            n.put("previous_masks", .array(node.previousMasks.map(mask)))
            n.put("layer", try LayerEncoder.layer(node.layer, context: context, path: "\(path).nodes[\(k)].layer (node '\(node.name)', \(node.className))"))
            nodes.append(n.json)
        }
        e.put("nodes", .array(nodes))
        e.encode("inputs", model.inputs)
        e.put("outputs", .array(model.outputs.map { o in
            .object([.init(key: "node", value: .number(String(o.ref.node))), .init(key: "output", value: .number(String(o.ref.output))),
                     .init(key: "name", value: .string(o.name))])
        }))
        return e.json
    }

    static func ref(_ r: TensorRef) -> JSON { .array([.number(String(r.node)), .number(String(r.output))]) }

    static func mask(_ m: MaskSource) -> JSON {
        switch m {
        case .none: return .string("none")
        case .carried(let k): return .object([.init(key: "carried", value: .number(String(k)))])
        case .tensor(let r): return .object([.init(key: "from", value: ref(r))])
        }
    }

    static func decode(_ json: JSON, context: DecodingContext, path: String) throws -> Model<Double> {
        context.modelDepth += 1
        defer { context.modelDepth -= 1 }
        var d = try LayerDecoder(context: context, path: path, json: json, inputCount: 0)
        guard context.modelDepth <= DecodingContext.maxModelDepth else {
            throw d.fail("models nested more than \(DecodingContext.maxModelDepth) deep")
        }
        let name = try d.decode("name", as: String.self)
        let limit = maxNodes
        var count = 0
        let nodes: [Node<Double>] = try d.decode("nodes", objects: limit) { n in
            defer { count += 1 }
            let nodeName = try n.decode("name", as: String.self)
            let className = try n.decode("class_name", as: String.self)
            let inputs = try refs(&n, "inputs", before: count)
            let initialState = try refs(&n, "initial_state", before: count)
            let masks = try maskSources(&n, "masks", before: count, inputs: inputs.count)
            let previous = try maskSources(&n, "previous_masks", before: count, inputs: inputs.count)
            if context.modelDepth == 1 { context.node = nodeName }
            let layer = try LayerDecoder.layer(try n.raw("layer"), context: context, path: "\(n.path).layer", inputCount: inputs.count)
            return Node(name: nodeName, className: className, layer: layer, inputs: inputs, initialState: initialState,
                        masks: masks, previousMasks: previous)
        }
        guard !nodes.isEmpty else { throw d.fail("a model needs at least one node", at: "nodes") }
        let inputs = try d.decode("inputs", each: 0...(nodes.count - 1))
        for (k, i) in inputs.enumerated() where !(nodes[i].layer is InputLayer<Double>) {
            throw d.fail("node \(i) ('\(nodes[i].name)') is not an InputLayer", at: "inputs[\(k)]")
        }
        guard Set(inputs).count == inputs.count else { throw d.fail("names an input node twice", at: "inputs") }
        let outputs: [ModelOutput] = try d.decode("outputs", objects: limit) { o in
            let node = try o.decode("node", in: 0...(nodes.count - 1))
            let output = try o.decode("output", in: 0...(1 << 16))
            guard output < nodes[node].layer.outputCount else {
                throw o.fail("node \(node) ('\(nodes[node].name)') has \(nodes[node].layer.outputCount) output(s)", at: "output")
            }
            return ModelOutput(ref: TensorRef(node: node, output: output), name: try o.decode("name", as: String.self))
        }
        guard !outputs.isEmpty else { throw d.fail("a model needs at least one output", at: "outputs") }
        // Every reference is checked above and again by the engine; each node's outputs must
        // also exist for the tensors it reads.
        for (k, node) in nodes.enumerated() {
            for r in node.inputs + node.initialState where r.output >= nodes[r.node].layer.outputCount {
                throw d.fail("reads output \(r.output) of node \(r.node) ('\(nodes[r.node].name)'), which has \(nodes[r.node].layer.outputCount)", at: "nodes[\(k)]")
            }
            for case .tensor(let r) in node.masks + node.previousMasks where r.output >= nodes[r.node].layer.outputCount {
                throw d.fail("takes a mask from output \(r.output) of node \(r.node) ('\(nodes[r.node].name)'), which has \(nodes[r.node].layer.outputCount)", at: "nodes[\(k)]")
            }
        }
        try d.finish()
        do {
            return try Model(name: name, nodes: nodes, inputs: inputs, outputs: outputs)
        } catch let error as EngineError {
            throw d.fail(error.errorDescription ?? "\(error)")
        }
    }

    static func refs(_ n: inout LayerDecoder, _ key: String, before limit: Int) throws -> [TensorRef] {
        guard case .array(let items) = try n.raw(key) else { throw n.fail("must be a list of [node, output] pairs", at: key) }
        guard items.count <= 1 << 16 else { throw n.fail("holds more than 65536 tensors", at: key) }
        return try items.enumerated().map { k, item in try ref(item, n, at: "\(key)[\(k)]", before: limit) }
    }

    static func ref(_ json: JSON, _ n: LayerDecoder, at key: String, before limit: Int) throws -> TensorRef {
        guard case .array(let pair) = json, pair.count == 2 else { throw n.fail("must be a [node, output] pair", at: key) }
        guard limit > 0 else { throw n.fail("refers to a node, but no node comes before this one", at: key) }
        let node = try n.int(pair[0], at: "\(key)[0]", in: 0...(limit - 1))
        let output = try n.int(pair[1], at: "\(key)[1]", in: 0...(1 << 16))
        return TensorRef(node: node, output: output)
    }

    static func maskSources(_ n: inout LayerDecoder, _ key: String, before limit: Int, inputs: Int) throws -> [MaskSource] {
        guard case .array(let items) = try n.raw(key) else { throw n.fail("must be a list, one mask source per input", at: key) }
        guard items.count == inputs else { throw n.fail("holds \(items.count) mask sources for \(inputs) input(s)", at: key) }
        return try items.enumerated().map { k, item in
            let at = "\(key)[\(k)]"
            switch item {
            case .string("none"): return .none
            case .object(let m) where m.count == 1 && m[0].key == "carried":
                guard inputs > 0 else { throw n.fail("a carried mask needs an input", at: at) }
                return .carried(try n.int(m[0].value, at: "\(at).carried", in: 0...(inputs - 1)))
            case .object(let m) where m.count == 1 && m[0].key == "from":
                return .tensor(try ref(m[0].value, n, at: "\(at).from", before: limit))
            default:
                throw n.fail("must be \"none\", {\"carried\": input} or {\"from\": [node, output]}", at: at)
            }
        }
    }

    /// Each node's output shapes (without the batch axis), worked out from the input layers'
    /// shapes through every layer's `outputShapes`, as the Keras importer does: a layer whose
    /// options do not fit its inputs is refused here, before anything runs.
    static func shapes(of model: Model<Double>, file: String, path: String) throws -> [[SymbolicShape]] {
        var shapes: [[SymbolicShape]] = []
        for (k, node) in model.nodes.enumerated() {
            let out: [SymbolicShape]
            if let input = node.layer as? InputLayer<Double> {
                out = [input.shape]
            } else {
                do {
                    out = try node.layer.outputShapes(for: node.inputs.map { shapes[$0.node][$0.output] })
                } catch let error as EngineError {
                    throw ModelFileError.invalid(file: file, path: "\(path).nodes[\(k)]",
                                                 message: "layer '\(node.name)' (\(node.className)): " + (error.errorDescription ?? "\(error)"))
                }
            }
            guard out.count == node.layer.outputCount else {
                throw ModelFileError.invalid(file: file, path: "\(path).nodes[\(k)]",
                                             message: "layer '\(node.name)' gives \(out.count) output shape(s) for \(node.layer.outputCount) output(s)")
            }
            shapes.append(out)
        }
        return shapes
    }
}
