import RNNEngine

/// The Keras 3 op nodes (`module` `keras.src.ops.*`) rnncheck reads.
enum OpsImport {
    static let entries: [String: LayerEntry] = [
        "NotEqual": LayerEntry(CallSignature(parameters: ["x1", "x2"], inputs: ["x1", "x2"])) { b in
            let constants = b.call.constants
            guard b.inputShapes.count == 1, constants.count == 1 else {
                throw b.reader.unsupported("op NotEqual other than between a tensor and a number")
            }
            return NotEqualOp<Double>(value: try constants[0].double())
        },
        "Cast": LayerEntry(CallSignature(parameters: ["x"], inputs: ["x"])) { b in
            let dtype = try b.config.optional("dtype")?.string() ?? ""
            switch dtype {
            case "bool": return CastOp<Double>(to: .boolean)
            case "float16", "bfloat16":
                throw b.reader.unsupported("Cast to '\(dtype)'")
            case let d where d.hasPrefix("float"): return CastOp<Double>(to: .float)
            case let d where d.hasPrefix("int") || d.hasPrefix("uint"): return CastOp<Double>(to: .integer)
            default: throw b.reader.unsupported("Cast to '\(dtype)'")
            }
        },
        "Any": LayerEntry(CallSignature(parameters: ["x"], inputs: ["x"])) { b in
            AnyOp<Double>(axis: try b.config.optional("axis")?.int() ?? -1, keepdims: try b.config.bool("keepdims", default: false))
        },
    ]
}

extension BoundCall {
    /// The constant arguments, in signature order.
    var constants: [JSONValue] {
        given.compactMap { if case .constant(let v)? = values[$0] { return v } else { return nil } }
    }
}
