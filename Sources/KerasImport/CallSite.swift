import RNNEngine

/// One tensor a call refers to: `[layer, node index, tensor index]` (Keras's `keras_history`).
struct TensorSpec: Hashable, CustomStringConvertible {
    var layer: String
    var node: Int
    var tensor: Int
    /// Where it was written in the config, for errors.
    var path: String
    /// The shape Keras 3 records with the tensor (without the batch axis), if any.
    var recordedShape: SymbolicShape? = nil

    static func == (a: TensorSpec, b: TensorSpec) -> Bool { a.layer == b.layer && a.node == b.node && a.tensor == b.tensor }
    func hash(into h: inout Hasher) {
        h.combine(layer)
        h.combine(node)
        h.combine(tensor)
    }

    var description: String { "['\(layer)', \(node), \(tensor)]" }
    /// The call that produces it.
    var producer: CallKey { CallKey(layer: layer, call: node) }
}

/// One call of one layer: its name and which of its calls (Keras's node index).
struct CallKey: Hashable, CustomStringConvertible {
    var layer: String
    var call: Int
    var description: String { call == 0 ? "'\(layer)'" : "'\(layer)' (call \(call))" }
}

/// An argument of a call as the config records it.
indirect enum CallValue {
    case tensor(TensorSpec)
    case list([CallValue])
    case constant(JSONValue)
    case null

    /// Every tensor inside, in order.
    var tensors: [TensorSpec] {
        switch self {
        case .tensor(let t): return [t]
        case .list(let items): return items.flatMap(\.tensors)
        case .constant, .null: return []
        }
    }

    /// Whether this holds tensors only (a tensor, or a non-empty list of tensors and nulls),
    /// which is how Keras 3's `CallSpec` tells tensor arguments from options.
    var isTensorArgument: Bool {
        switch self {
        case .tensor: return true
        case .list(let items):
            return !items.isEmpty && items.contains { !$0.tensors.isEmpty }
                && items.allSatisfy { if case .constant = $0 { return false } else { return $0.isTensorArgumentOrNull } }
        case .constant, .null: return false
        }
    }

    private var isTensorArgumentOrNull: Bool {
        if case .null = self { return true }
        return isTensorArgument
    }

    /// A tensor, null, or a list of those (what a dict of a call's tensors may hold).
    var isTensorOrNull: Bool {
        switch self {
        case .tensor, .null: return true
        case .list(let items): return items.allSatisfy(\.isTensorOrNull)
        case .constant: return false
        }
    }
}

/// A layer call as written in a config, in either serialized form, parsed once.
struct CallSite {
    var args: [CallValue]
    var kwargs: [(name: String, value: CallValue)]
    /// The config path of the node, for errors.
    var path: String

    /// Every tensor the call reads.
    var tensors: [TensorSpec] { args.flatMap(\.tensors) + kwargs.flatMap(\.value.tensors) }

    /// Keras 3: `{"args": [...], "kwargs": {...}}`, tensors as `{"class_name": "__keras_tensor__",
    /// "config": {"keras_history": [layer, node, tensor]}}`.
    static func keras3(_ node: JSONValue) throws -> CallSite {
        guard case .object = node.storage else {
            throw node.fail("expected a call node {\"args\": [...], \"kwargs\": {...}}, found \(node.typeName)")
        }
        let args = try node["args"].array().map(keras3Value)
        var kwargs: [(String, CallValue)] = []
        if let k = try node.optional("kwargs") {
            for key in k.keys { kwargs.append((key, try keras3Value(try k[key]))) }
        }
        return CallSite(args: args, kwargs: kwargs, path: node.path)
    }

    static func keras3Value(_ v: JSONValue) throws -> CallValue {
        switch v.storage {
        case .null: return .null
        case .array: return .list(try v.array().map(keras3Value))
        case .object:
            if try v.optional("class_name")?.string() == "__keras_tensor__" {
                let history = try v["config"]["keras_history"]
                let h = try history.array()
                guard h.count == 3 else { throw history.fail("keras_history must be [layer, node, tensor], found \(h.count) items") }
                var spec = TensorSpec(layer: try h[0].string(), node: try h[1].int(), tensor: try h[2].int(), path: history.path)
                if let shape = try v["config"].optional("shape")?.array(), !shape.isEmpty {
                    spec.recordedShape = try shape.dropFirst().map { $0.isNull ? nil : try $0.int() }
                }
                return .tensor(spec)
            }
            // A dict of tensors (a model with dict inputs called as a layer, and its mask
            // argument): keras.tree.flatten takes the values in sorted key order.
            if !v.has("class_name") {
                let items = try v.keys.sorted().map { try keras3Value(try v[$0]) }
                if !items.isEmpty, items.allSatisfy(\.isTensorOrNull) { return .list(items) }
            }
            return .constant(v)
        default: return .constant(v)
        }
    }

    /// Keras 2: a list of `[layer, node, tensor, kwargs]`, one per tensor of the (flattened)
    /// first argument; the kwargs are repeated on each and may hold tensors as
    /// `[layer, node, tensor]`.
    static func keras2(_ node: JSONValue, layerNames: Set<String>, skipFirstNode: Set<String> = []) throws -> CallSite {
        // tf.keras's op layers keep the structure of their first argument: a single tensor is
        // one entry `[layer, node, tensor, kwargs]` rather than a list of them.
        var entries: [JSONValue]
        if case .object = node.storage {
            // A dict argument (a model with dict inputs called as a layer): the node is a dict of
            // entries, flattened in sorted key order as tf.nest.flatten does.
            entries = try node.keys.sorted().map { try node[$0] }
        } else {
            entries = try node.array()
            if let first = entries.first, case .string = first.storage { entries = [node] }
        }
        var tensors: [CallValue] = []
        var kwargs: [(String, CallValue)]?
        for entry in entries {
            let parts = try entry.array()
            guard parts.count == 3 || parts.count == 4 else {
                throw entry.fail("expected [layer, node, tensor, kwargs], found a list of \(parts.count)")
            }
            let layer = try parts[0].string()
            if layer == "_CONSTANT_VALUE" {
                // A constant first argument: ['_CONSTANT_VALUE', -1, value, kwargs].
                tensors.append(try keras2Value(parts[2], layerNames: layerNames))
            } else {
                let call = try parts[1].int() - (skipFirstNode.contains(layer) ? 1 : 0)
                tensors.append(.tensor(TensorSpec(layer: layer, node: call, tensor: try parts[2].int(), path: entry.path)))
            }
            // tf.keras's functional.process_node keeps the kwargs of the last entry (each entry
            // repeats them; an entry of three items has none).
            var own: [(String, CallValue)] = []
            if parts.count == 4 {
                let k = parts[3]
                guard case .object = k.storage else { throw k.fail("expected the call's keyword arguments, found \(k.typeName)") }
                for key in k.keys { own.append((key, try keras2Value(try k[key], layerNames: layerNames))) }
            }
            kwargs = own
        }
        guard !tensors.isEmpty else { throw node.fail("a call with no input tensors") }
        return CallSite(args: [tensors.count == 1 ? tensors[0] : .list(tensors)], kwargs: kwargs ?? [], path: node.path)
    }

    /// A Keras 2 keyword argument: `[layer, node, tensor]` naming a layer of the model is a tensor.
    static func keras2Value(_ v: JSONValue, layerNames: Set<String>) throws -> CallValue {
        switch v.storage {
        case .null: return .null
        case .array(let items):
            if items.count == 3, case .string(let name) = items[0], layerNames.contains(name),
               case .number = items[1], case .number = items[2] {
                let parts = try v.array()
                return .tensor(TensorSpec(layer: name, node: try parts[1].int(), tensor: try parts[2].int(), path: v.path))
            }
            return .list(try v.array().map { try keras2Value($0, layerNames: layerNames) })
        default: return .constant(v)
        }
    }
}

/// The parameters of a Keras layer's `call()`, as far as an importer needs them.
struct CallSignature: Sendable {
    /// Every parameter name, in order (Keras binds positional arguments to these).
    var parameters: [String]
    /// The parameters whose tensors become the node's inputs, in this order.
    var inputs: [String]
    /// The parameter holding `initial_state`, if the layer takes one.
    var initialState: String?
    /// Parameters accepted and meaningless at inference.
    var ignored: Set<String> = ["training"]

    /// `call(inputs, training=None)`: one tensor (or a list of tensors), no mask argument.
    static let plain = CallSignature(parameters: ["inputs", "training"], inputs: ["inputs"])
    /// `call(inputs, mask=None, training=None)`.
    static let masked = CallSignature(parameters: ["inputs", "mask", "training"], inputs: ["inputs"])

    var hasMaskParameter: Bool { parameters.contains("mask") }
}

/// A call bound to a layer's signature: which value each parameter got.
struct BoundCall {
    var values: [String: CallValue]
    /// Parameters given, in signature order.
    var given: [String]

    func value(_ name: String) -> CallValue? { values[name] }
}
