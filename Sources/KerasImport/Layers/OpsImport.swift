import RNNEngine

/// Raw ops in functional graphs: Keras 3 op nodes (`module` `keras.src.ops.*`, by class name)
/// and tf.keras `TFOpLambda` / `SlicingOpLambda` layers (by the `function` they wrap). Both
/// become the engine's op layers (`Sources/RNNEngine/Layers/Ops.swift`).
enum OpsImport {
    // MARK: Keras 3 op nodes

    static let binary: [String: BinaryFunction] = [
        "Add": .add, "Subtract": .subtract, "Multiply": .multiply, "Divide": .divide, "TrueDivide": .divide,
        "Power": .power, "Maximum": .maximum, "Minimum": .minimum, "Equal": .equal, "NotEqual": .notEqual,
        "Greater": .greater, "GreaterEqual": .greaterEqual, "Less": .less, "LessEqual": .lessEqual,
        "LogicalAnd": .logicalAnd, "LogicalOr": .logicalOr,
    ]
    static let unary: [String: UnaryFunction] = [
        "Absolute": .abs, "Abs": .abs, "Square": .square, "Sqrt": .sqrt, "Exp": .exp, "Log": .log, "Tanh": .tanh,
        "Sigmoid": .sigmoid, "Relu": .relu, "Negative": .negative, "LogicalNot": .logicalNot,
    ]
    static let reductions: [String: ReduceFunction] = ["Mean": .mean, "Sum": .sum, "Max": .max, "Min": .min, "Any": .any, "All": .all]

    static let x = CallSignature(parameters: ["x"], inputs: ["x"])
    static let x1x2 = CallSignature(parameters: ["x1", "x2"], inputs: ["x1", "x2"])

    static let entries: [String: LayerEntry] = {
        var table: [String: LayerEntry] = [:]
        for (name, f) in binary {
            table[name] = LayerEntry(x1x2) { b in
                try b.reader.checkKeys(["name"])
                return try binaryOp(&b, f, "x1", "x2")
            }
        }
        for (name, f) in unary {
            table[name] = LayerEntry(x) { b in
                try b.reader.checkKeys(["name"])
                return UnaryOp<Double>(f)
            }
        }
        for (name, f) in reductions {
            table[name] = LayerEntry(x) { b in
                try b.reader.checkKeys(["name", "axis", "keepdims", "initial"])
                if try b.config.optional("initial") != nil { throw b.reader.unsupported("op \(name) with 'initial'") }
                return try b.checked(ReduceOp<Double>(f, axes: try b.reader.optionalAxes("axis"), keepdims: try b.reader.bool("keepdims", default: false)),
                                     "option 'axis'")
            }
        }
        table["Softmax"] = LayerEntry(x) { try softmax(&$0, logarithm: false) }
        table["LogSoftmax"] = LayerEntry(x) { try softmax(&$0, logarithm: true) }
        table["Concatenate"] = LayerEntry(CallSignature(parameters: ["xs"], inputs: ["xs"])) { b in
            try b.reader.checkKeys(["name", "axis"])
            return try b.checked(JoinOp<Double>(axis: try b.config.optional("axis")?.int() ?? 0, stack: false), "option 'axis'")
        }
        table["Stack"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "axis"])
            return try b.checked(JoinOp<Double>(axis: try b.config.optional("axis")?.int() ?? 0, stack: true), "option 'axis'")
        }
        table["ExpandDims"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "axis"])
            return try b.checked(ReshapeOp<Double>(.expandDims(axis: try b.config["axis"].int())), "option 'axis'")
        }
        table["Squeeze"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "axis"])
            return try squeeze(&b, axes: try b.reader.optionalAxes("axis"), "option 'axis'")
        }
        table["Reshape"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "newshape"])
            return try b.checked(ReshapeOp<Double>(.reshape(try b.reader.ints(try b.config["newshape"]))), "option 'newshape'")
        }
        table["Transpose"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "axes"])
            return try transpose(&b, perm: try b.config.optional("axes").map { try b.reader.ints($0) }, "option 'axes'")
        }
        table["Matmul"] = LayerEntry(x1x2) { b in
            try b.reader.checkKeys(["name"])
            return try matmul(&b, transposeA: false, transposeB: false)
        }
        table["GetItem"] = LayerEntry(CallSignature(parameters: ["x", "key"], inputs: ["x"])) { b in
            try b.reader.checkKeys(["name"])
            guard let key = b.call.values["key"] else { throw b.reader.unsupported("GetItem without a key") }
            return try b.checked(GetItemOp<Double>(key: try indexKey(key, b: b)), "argument 'key'")
        }
        table["Cast"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "dtype"])
            return CastOp<Double>(to: try dtype(b, try b.config["dtype"]))
        }
        // Attention's compute_mask returns ops.convert_to_tensor(query_mask): the node feeding a
        // later layer's recorded mask.
        table["ConvertToTensor"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "dtype", "sparse", "ragged"])
            for key in ["sparse", "ragged"] where try b.config.optional(key)?.bool() == true {
                throw b.reader.unsupported("convert_to_tensor with \(key)=True")
            }
            if let d = try b.config.optional("dtype") { return CastOp<Double>(to: try dtype(b, d)) }
            return IdentityLayer<Double>(maskRule: .drop)
        }
        table["Where"] = LayerEntry(CallSignature(parameters: ["condition", "x1", "x2"], inputs: ["condition", "x1", "x2"])) { b in
            try b.reader.checkKeys(["name"])
            return try whereOp(&b, "condition", "x1", "x2")
        }
        for (name, value) in [("ZerosLike", 0.0), ("OnesLike", 1.0)] {
            table[name] = LayerEntry(x) { b in
                try b.reader.checkKeys(["name", "dtype"])
                return FillLikeOp<Double>(value: value, kind: try b.config.optional("dtype").map { try dtype(b, $0) })
            }
        }
        table["Clip"] = LayerEntry(x) { b in
            try b.reader.checkKeys(["name", "x_min", "x_max"])
            return ClipOp<Double>(low: try b.config["x_min"].double(), high: try b.config["x_max"].double())
        }
        return table
    }()

    // MARK: tf.keras TFOpLambda and SlicingOpLambda

    /// tf.keras's op layers, by the `function` in their config (`math.reduce_mean`, ...).
    static let tfFunctions: [String: LayerEntry] = {
        var table: [String: LayerEntry] = [:]
        let xy = CallSignature(parameters: ["x", "y", "name"], inputs: ["x", "y"], ignored: ["name"])
        let tfBinary: [String: BinaryFunction] = [
            "math.add": .add, "__operators__.add": .add, "math.subtract": .subtract, "math.multiply": .multiply,
            "math.truediv": .divide, "math.divide": .divide, "math.pow": .power, "math.maximum": .maximum,
            "math.minimum": .minimum, "math.equal": .equal, "math.not_equal": .notEqual, "math.greater": .greater,
            "math.greater_equal": .greaterEqual, "math.less": .less, "math.less_equal": .lessEqual,
            "math.logical_and": .logicalAnd, "math.logical_or": .logicalOr,
        ]
        for (name, f) in tfBinary { table[name] = LayerEntry(xy) { b in try binaryOp(&b, f, "x", "y") } }
        let tfUnary: [String: (UnaryFunction, String)] = [
            "math.abs": (.abs, "x"), "math.square": (.square, "x"), "math.sqrt": (.sqrt, "x"), "math.exp": (.exp, "x"),
            "math.log": (.log, "x"), "math.tanh": (.tanh, "x"), "math.sigmoid": (.sigmoid, "x"), "nn.relu": (.relu, "features"),
            "math.negative": (.negative, "x"), "math.logical_not": (.logicalNot, "x"),
        ]
        for (name, (f, p)) in tfUnary {
            table[name] = LayerEntry(CallSignature(parameters: [p, "name"], inputs: [p], ignored: ["name"])) { _ in UnaryOp<Double>(f) }
        }
        let tfReductions: [String: ReduceFunction] = [
            "math.reduce_mean": .mean, "math.reduce_sum": .sum, "math.reduce_max": .max, "math.reduce_min": .min,
            "math.reduce_any": .any, "math.reduce_all": .all,
        ]
        for (name, f) in tfReductions {
            table[name] = LayerEntry(CallSignature(parameters: ["input_tensor", "axis", "keepdims", "name"], inputs: ["input_tensor"], ignored: ["name"])) { b in
                try b.checked(ReduceOp<Double>(f, axes: try b.callAxes("axis"), keepdims: try b.callBool("keepdims", default: false)), "argument 'axis'")
            }
        }
        for (name, stack) in [("concat", false), ("stack", true)] {
            table[name] = LayerEntry(CallSignature(parameters: ["values", "axis", "name"], inputs: ["values"], ignored: ["name"])) { b in
                try b.checked(JoinOp<Double>(axis: try b.callInt("axis") ?? 0, stack: stack), "argument 'axis'")
            }
        }
        table["expand_dims"] = LayerEntry(CallSignature(parameters: ["input", "axis", "name"], inputs: ["input"], ignored: ["name"])) { b in
            guard let axis = try b.callInt("axis") else { throw b.reader.unsupported("expand_dims without an axis") }
            return try b.checked(ReshapeOp<Double>(.expandDims(axis: axis)), "argument 'axis'")
        }
        for name in ["compat.v1.squeeze", "squeeze"] {
            table[name] = LayerEntry(CallSignature(parameters: ["input", "axis", "name", "squeeze_dims"], inputs: ["input"], ignored: ["name"])) { b in
                try squeeze(&b, axes: try b.callAxes("axis") ?? b.callAxes("squeeze_dims"), "argument 'axis'")
            }
        }
        for name in ["compat.v1.transpose", "transpose"] {
            table[name] = LayerEntry(CallSignature(parameters: ["a", "perm", "name", "conjugate"], inputs: ["a"], ignored: ["name", "conjugate"])) { b in
                try transpose(&b, perm: try b.callAxes("perm"), "argument 'perm'")
            }
        }
        // `matrix_transpose(a, name, conjugate)` swaps the last two axes (TensorFlow's
        // array_ops.matrix_transpose: perm = range(ndims - 2) + [ndims - 1, ndims - 2]).
        table["linalg.matrix_transpose"] = LayerEntry(CallSignature(parameters: ["a", "name", "conjugate"], inputs: ["a"], ignored: ["name", "conjugate"])) { b in
            let rank = try b.input().count + 1
            guard rank >= 3 else { throw b.reader.unsupported("matrix_transpose of a tensor with fewer than 2 axes besides the batch") }
            return try transpose(&b, perm: Array(0..<(rank - 2)) + [rank - 1, rank - 2], "argument 'a'")
        }
        table["reshape"] = LayerEntry(CallSignature(parameters: ["tensor", "shape", "name"], inputs: ["tensor"], ignored: ["name"])) { b in
            guard let shape = try b.callAxes("shape") else { throw b.reader.unsupported("reshape without a shape") }
            return try b.checked(ReshapeOp<Double>(.reshape(shape)), "argument 'shape'")
        }
        table["linalg.matmul"] = LayerEntry(CallSignature(
            parameters: ["a", "b", "transpose_a", "transpose_b", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse", "output_type", "name"],
            inputs: ["a", "b"], ignored: ["name", "output_type", "a_is_sparse", "b_is_sparse"])) { b in
            try matmul(&b, transposeA: try b.callBool("transpose_a", default: false) || b.callBool("adjoint_a", default: false),
                       transposeB: try b.callBool("transpose_b", default: false) || b.callBool("adjoint_b", default: false))
        }
        for (name, log) in [("nn.softmax", false), ("nn.log_softmax", true), ("math.softmax", false), ("math.log_softmax", true)] {
            table[name] = LayerEntry(CallSignature(parameters: ["logits", "axis", "name"], inputs: ["logits"], ignored: ["name"])) { b in
                try b.checked(SoftmaxOp<Double>(axis: try b.callInt("axis") ?? -1, logarithm: log), "argument 'axis'")
            }
        }
        table["cast"] = LayerEntry(CallSignature(parameters: ["x", "dtype", "name"], inputs: ["x"], ignored: ["name"])) { b in
            guard case .constant(let d)? = b.call.values["dtype"] else { throw b.reader.unsupported("cast without a dtype") }
            return CastOp<Double>(to: try dtype(b, d))
        }
        table["where"] = LayerEntry(CallSignature(parameters: ["condition", "x", "y", "name"], inputs: ["condition", "x", "y"], ignored: ["name"])) { b in
            try whereOp(&b, "condition", "x", "y")
        }
        table["clip_by_value"] = LayerEntry(CallSignature(parameters: ["t", "clip_value_min", "clip_value_max", "name"], inputs: ["t"], ignored: ["name"])) { b in
            guard case .constant(let lo)? = b.call.values["clip_value_min"], case .constant(let hi)? = b.call.values["clip_value_max"] else {
                throw b.reader.unsupported("clip_by_value with tensor bounds")
            }
            return ClipOp<Double>(low: try lo.double(), high: try hi.double())
        }
        table["__operators__.getitem"] = LayerEntry(CallSignature(parameters: ["tensor", "slice_spec", "var"], inputs: ["tensor"])) { b in
            guard let key = b.call.values["slice_spec"] else { throw b.reader.unsupported("getitem without a slice_spec") }
            return try b.checked(GetItemOp<Double>(key: try indexKey(key, b: b)), "argument 'slice_spec'")
        }
        return table
    }()

    /// The keys a TFOpLambda layer's own config may hold.
    static let tfLayerKeys: Set<String> = ["name", "trainable", "dtype", "function"]

    // MARK: Shared builders

    static func binaryOp(_ b: inout LayerBuild, _ f: BinaryFunction, _ left: String, _ right: String) throws -> any Layer<Double> {
        guard let l = try b.operand(left), let r = try b.operand(right) else {
            throw b.reader.unsupported("op \(f.rawValue) without two operands")
        }
        return BinaryOp<Double>(f, l, r)
    }

    static func whereOp(_ b: inout LayerBuild, _ c: String, _ x: String, _ y: String) throws -> any Layer<Double> {
        guard let condition = try b.operand(c), let a = try b.operand(x), let v = try b.operand(y) else {
            throw b.reader.unsupported("where with one argument (it returns indices)")
        }
        return WhereOp<Double>(condition: condition, x: a, y: v)
    }

    static func softmax(_ b: inout LayerBuild, logarithm: Bool) throws -> any Layer<Double> {
        try b.reader.checkKeys(["name", "axis"])
        guard let axes = try b.reader.optionalAxes("axis"), axes.count == 1 else {
            throw b.reader.unsupported("\(logarithm ? "log_softmax" : "softmax") over several axes")
        }
        return try b.checked(SoftmaxOp<Double>(axis: axes[0], logarithm: logarithm), "option 'axis'")
    }

    /// `squeeze` of the given axes, or of every axis of extent 1 the input's shape records.
    static func squeeze(_ b: inout LayerBuild, axes: [Int]?, _ what: String) throws -> any Layer<Double> {
        let full: [Int?] = [nil] + (try b.input())
        guard let axes else {
            // Keras and TensorFlow drop every axis of extent 1 they know of; the batch is unknown.
            return ReshapeOp<Double>(.squeeze(axes: full.indices.filter { full[$0] == 1 }))
        }
        guard let resolved = OpsImport.resolve(axes, rank: full.count) else {
            throw b.invalid(what, "axis \(axes) is out of range for an input of rank \(full.count)")
        }
        guard !resolved.contains(0) else { throw b.reader.unsupported("squeeze of the batch axis") }
        return try b.checked(ReshapeOp<Double>(.squeeze(axes: resolved)), what)
    }

    /// Keras axes resolved against a rank, sorted, each once; nil if any is out of range.
    static func resolve(_ axes: [Int], rank: Int) -> [Int]? {
        var out: [Int] = []
        for a in axes {
            guard let r = Shapes.axis(a, rank: rank) else { return nil }
            if !out.contains(r) { out.append(r) }
        }
        return out.sorted()
    }

    /// `transpose` with `perm` (nil: every axis reversed, as NumPy and TensorFlow do).
    static func transpose(_ b: inout LayerBuild, perm: [Int]?, _ what: String) throws -> any Layer<Double> {
        let rank = try b.input().count + 1
        let p = perm ?? Array((0..<rank).reversed())
        let op = try b.checked(ReshapeOp<Double>(.transpose(p)), what)
        guard p.first == 0 else { throw b.reader.unsupported("a transpose that moves the batch axis (axes \(p))") }
        return op
    }

    static func matmul(_ b: inout LayerBuild, transposeA: Bool, transposeB: Bool) throws -> any Layer<Double> {
        guard b.inputShapes.count == 2 else { throw b.reader.unsupported("matmul with a constant operand") }
        return MatmulOp<Double>(transposeA: transposeA, transposeB: transposeB)
    }

    static func dtype(_ b: LayerBuild, _ value: JSONValue) throws -> ElementKind {
        let name: String
        if case .string(let s) = value.storage { name = s } else { name = try value["config"].string("name") }
        switch name {
        case "bool": return .boolean
        case "float32", "float64": return .float
        case let d where d.hasPrefix("int") || d.hasPrefix("uint"): return .integer
        default: throw b.reader.unsupported("cast to '\(name)'")
        }
    }

    /// A NumPy index as Keras 3 (`__slice__` / `__ellipsis__` objects) or tf.keras
    /// (`{"start", "stop", "step"}`, `{"class_name": "__ellipsis__"}`) serializes it.
    static func indexKey(_ key: CallValue, b: LayerBuild) throws -> [IndexItem] {
        let items: [CallValue]
        if case .list(let list) = key { items = list } else { items = [key] }
        return try items.map { item in
            switch item {
            case .null: return .newAxis
            case .constant(let v):
                if case .number = v.storage { return .index(try v.int()) }
                guard case .object = v.storage else { throw b.reader.unsupported("index item \(v.typeName)") }
                let kind = try v.optional("class_name")?.string()
                if kind == "__ellipsis__" { return .ellipsis }
                let slice = kind == "__slice__" ? try v["config"] : v
                func bound(_ k: String) throws -> Int? { try slice.optional(k)?.int() }
                return .slice(start: try bound("start"), stop: try bound("stop"), step: try bound("step"))
            case .tensor, .list:
                throw b.reader.unsupported("an index that is a tensor or a list (advanced indexing)")
            }
        }
    }
}

extension LayerBuild {
    /// `op` once its output shapes for the node's inputs are known to exist, so that a bad axis,
    /// shape or index is reported now, naming the option or argument (`what`) that holds it.
    func checked(_ op: any Layer<Double>, _ what: String) throws -> any Layer<Double> {
        do {
            _ = try op.outputShapes(for: inputShapes)
        } catch let error as EngineError {
            throw invalid(what, error.errorDescription ?? "\(error)")
        }
        return op
    }

    /// A config error about one option or call argument of this layer.
    func invalid(_ what: String, _ message: String) -> ImportError {
        .config(file: file, path: config.path, message: "layer '\(name)' (\(className)): \(what): \(message)")
    }

    /// A call argument as an op operand: one of the node's inputs, or a number.
    func operand(_ parameter: String) throws -> Operand<Double>? {
        switch call.values[parameter] {
        case .tensor?:
            guard let k = inputParameters.firstIndex(of: parameter) else { return nil }
            return .input(k)
        case .constant(let v)?:
            if case .bool(let flag) = v.storage { return .constant(flag ? 1 : 0, .boolean) }
            let n = try v.double()
            return .constant(n, n == n.rounded() ? .integer : .float)
        case .list?: throw reader.unsupported("a list as the '\(parameter)' argument of an op")
        case .null?, nil: return nil
        }
    }

    /// A whole-number call argument (tf.keras passes op options as keyword arguments).
    func callInt(_ parameter: String) throws -> Int? {
        guard case .constant(let v)? = call.values[parameter] else { return nil }
        return try v.int()
    }

    func callBool(_ parameter: String, default fallback: Bool) throws -> Bool {
        guard case .constant(let v)? = call.values[parameter] else { return fallback }
        return try v.bool()
    }

    /// An axis or a list of axes given as a call argument.
    func callAxes(_ parameter: String) throws -> [Int]? {
        switch call.values[parameter] {
        case .constant(let v)?: return [try v.int()]
        case .list(let items)?:
            return try items.map { item in
                guard case .constant(let v) = item else { throw reader.unsupported("a tensor in '\(parameter)'") }
                return try v.int()
            }
        case .tensor?: throw reader.unsupported("a tensor as '\(parameter)'")
        case .null?, nil: return nil
        }
    }
}

extension LayerConfigReader {
    /// `axis` that may be missing or null (every axis), one axis, or a list.
    func optionalAxes(_ key: String) throws -> [Int]? {
        guard let value = try config.optional(key) else { return nil }
        return try ints(value)
    }

    /// One whole number or a list of them.
    func ints(_ value: JSONValue) throws -> [Int] {
        if case .array = value.storage { return try value.array().map { try $0.int() } }
        return [try value.int()]
    }
}
