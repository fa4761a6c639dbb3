import RNNEngine

/// Builds an engine graph from a Keras model config (Keras 3 `config.json`, `model.to_json()`,
/// or a Keras 2 `model_config`), binding every layer to its weights.
struct GraphBuilder {
    let file: String
    let store: WeightStore
    var factory: LayerFactory

    var nodes: [Node<Double>] = []
    var shapes: [[SymbolicShape]] = []
    var weightSources: [String: [String]] = [:]
    /// Per class, how many weight keys have been handed out (`lstm`, `lstm_1`, ...).
    var keyCounts: [String: Int] = [:]

    init(file: String, store: WeightStore, kerasMajor: Int) {
        self.file = file
        self.store = store
        self.factory = LayerFactory(file: file, kerasMajor: kerasMajor)
    }

    /// Keras's `naming.to_snake_case`.
    static func snakeCase(_ name: String) -> String {
        var s = String(name.unicodeScalars.filter { CharacterSetPredicate.isWord($0) })
        s = CharacterSetPredicate.replaceCamel(s)
        return s.lowercased()
    }

    /// The weight key of the next layer of class `className`.
    mutating func nextKey(_ className: String) -> String {
        let base = Self.snakeCase(className)
        let n = keyCounts[base, default: 0]
        keyCounts[base] = n + 1
        return n == 0 ? base : "\(base)_\(n)"
    }

    static let opModules: Set<String> = ["keras.src.ops.numpy", "keras.src.ops.core", "keras.src.ops.nn", "keras.src.ops.math"]

    static func isOpNode(_ entry: JSONValue) throws -> Bool {
        if let module = try entry.optional("module")?.string(), module.hasPrefix("keras.src.ops") { return true }
        return false
    }

    mutating func add(_ node: Node<Double>, shapes outputShapes: [SymbolicShape], weights: [String]) -> Int {
        nodes.append(node)
        shapes.append(outputShapes)
        if !weights.isEmpty { weightSources[node.name] = weights }
        return nodes.count - 1
    }

    static func inputShape(_ config: JSONValue, file: String) throws -> SymbolicShape {
        let shapeValue = try config.optional("batch_shape") ?? config.optional("batch_input_shape")
        guard let shapeValue else {
            throw config.fail("InputLayer has neither batch_shape nor batch_input_shape")
        }
        let dims = try shapeValue.array()
        guard !dims.isEmpty else { throw shapeValue.fail("an input needs a batch axis") }
        return try dims.dropFirst().map { $0.isNull ? nil : try $0.int() }
    }

    // MARK: Sequential

    mutating func sequential(_ top: JSONValue) throws -> Model<Double> {
        let config = try top["config"]
        let modelName = try config.optional("name")?.string() ?? "sequential"
        let layers = try config["layers"].array()
        var current: Int
        var startIndex = 0
        if let first = layers.first, try first.string("class_name") == "InputLayer" {
            let inputConfig = try first["config"]
            let shape = try Self.inputShape(inputConfig, file: file)
            current = add(Node(name: try inputConfig.optional("name")?.string() ?? "input", className: "InputLayer",
                               operation: .input(shape: shape)), shapes: [shape], weights: [])
            startIndex = 1
        } else if let first = layers.first {
            let firstConfig = try first["config"]
            var shape: SymbolicShape
            if firstConfig.has("batch_input_shape") || firstConfig.has("batch_shape") {
                shape = try Self.inputShape(firstConfig, file: file)
            } else if let build = try first.optional("build_config"), let s = try build.optional("input_shape") {
                shape = try s.array().dropFirst().map { $0.isNull ? nil : try $0.int() }
            } else {
                throw firstConfig.fail("the model has no InputLayer and its first layer records no input shape")
            }
            current = add(Node(name: "input", className: "InputLayer", operation: .input(shape: shape)), shapes: [shape], weights: [])
        } else {
            throw config.fail("a Sequential model with no layers")
        }
        let inputNode = current
        for entry in layers[startIndex...] {
            let className = try entry.string("class_name")
            let layerConfig = try entry["config"]
            let name = try layerConfig.optional("name")?.string() ?? className
            let key = nextKey(className)
            let built = try buildLayer(className: className, name: name, config: layerConfig,
                                       inputShapes: [shapes[current][0]], key: key)
            current = add(Node(name: name, className: className, operation: built.operation,
                               inputs: [TensorRef(node: current)], maskSource: .implicit),
                          shapes: built.outputShapes, weights: built.weightPaths)
            guard built.operation.outputCount == 1 else {
                throw ImportError.config(file: file, path: layerConfig.path,
                    message: "layer '\(name)' returns \(built.operation.outputCount) tensors, which a Sequential model cannot pass on")
            }
        }
        let outputs = [ModelOutput(ref: TensorRef(node: current), name: Self.outputName(node: nodes[current], output: 0))]
        return try Model(name: modelName, nodes: nodes, inputs: [inputNode], outputs: outputs)
    }

    mutating func buildLayer(
        className: String, name: String, config: JSONValue, inputShapes: [SymbolicShape], key: String
    ) throws -> LayerFactory.Built {
        let weights = store.layer(key: key, name: name)
        return try factory.build(className: className, name: name, config: config, inputShapes: inputShapes, weights: weights)
    }

    /// `"<layer>/<what>"`, the name reports give a model output.
    static func outputName(node: Node<Double>, output: Int) -> String {
        var what = "output"
        switch node.operation {
        case .recurrent(let r) where output > 0:
            what = "state_" + r.cell.stateNames[output - 1]
        case .bidirectional(let b):
            let seq = b.mergeMode == nil ? 2 : 1
            if output < seq {
                what = b.mergeMode == nil ? (output == 0 ? "forward_output" : "backward_output") : "output"
            } else {
                let k = output - seq
                let fCount = b.forward.cell.stateCount
                what = k < fCount ? "forward_" + b.forward.cell.stateNames[k] : "backward_" + b.backward.cell.stateNames[k - fCount]
            }
        default:
            what = output == 0 ? "output" : "output_\(output)"
        }
        return "\(node.name)/\(what)"
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
