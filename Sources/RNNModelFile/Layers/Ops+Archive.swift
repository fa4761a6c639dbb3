import RNNEngine

/// An op's operand: `{"input": k}` (the node's input k) or `{"constant": x, "kind": "float"}`.
enum OperandCoding {
    static func encode<S: EngineScalar>(_ o: Operand<S>, _ e: inout LayerEncoder) {
        switch o {
        case .input(let k): e.encode("input", k)
        case .constant(let c, let kind):
            e.encode("constant", real: c)
            e.encode("kind", kind: kind)
        }
    }

    static func decode<S: EngineScalar>(_ d: inout LayerDecoder) throws -> Operand<S> {
        if d.has("input") {
            guard d.inputCount > 0 else { throw d.fail("the node has no inputs for this operand to name", at: "input") }
            return .input(try d.decode("input", in: 0...(d.inputCount - 1)))
        }
        return .constant(try d.decode("constant", real: S.self), try d.decodeKind("kind"))
    }
}

extension UnaryOp: ArchivableLayer {
    public static var typeName: String { "UnaryOp" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("function", Names.unary(function)) }

    public init(from d: inout LayerDecoder) throws {
        self.init(try d.decode("function", oneOf: UnaryFunction.allCases, name: Names.unary))
    }
}

extension BinaryOp: ArchivableLayer {
    public static var typeName: String { "BinaryOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("function", Names.binary(function))
        e.encode("lhs", object: { OperandCoding.encode(lhs, &$0) })
        e.encode("rhs", object: { OperandCoding.encode(rhs, &$0) })
    }

    public init(from d: inout LayerDecoder) throws {
        let function = try d.decode("function", oneOf: BinaryFunction.allCases, name: Names.binary)
        let lhs: Operand<Scalar> = try d.decode("lhs", object: { try OperandCoding.decode(&$0) })
        let rhs: Operand<Scalar> = try d.decode("rhs", object: { try OperandCoding.decode(&$0) })
        try Self.needsTensor([lhs, rhs], d)
        self.init(function, lhs, rhs)
    }

    /// An op's result takes its shape from a tensor operand: all constants is not an op.
    static func needsTensor(_ operands: [Operand<Scalar>], _ d: LayerDecoder) throws {
        guard operands.contains(where: { if case .input = $0 { return true } else { return false } }) else {
            throw d.fail("needs at least one operand that is an input tensor")
        }
    }
}

extension WhereOp: ArchivableLayer {
    public static var typeName: String { "WhereOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("condition", object: { OperandCoding.encode(condition, &$0) })
        e.encode("x", object: { OperandCoding.encode(x, &$0) })
        e.encode("y", object: { OperandCoding.encode(y, &$0) })
    }

    public init(from d: inout LayerDecoder) throws {
        let condition: Operand<Scalar> = try d.decode("condition", object: { try OperandCoding.decode(&$0) })
        let x: Operand<Scalar> = try d.decode("x", object: { try OperandCoding.decode(&$0) })
        let y: Operand<Scalar> = try d.decode("y", object: { try OperandCoding.decode(&$0) })
        try BinaryOp<Scalar>.needsTensor([condition, x, y], d)
        self.init(condition: condition, x: x, y: y)
    }
}

extension ClipOp: ArchivableLayer {
    public static var typeName: String { "ClipOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("low", real: low)
        e.encode("high", real: high)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(low: try d.decode("low", real: Scalar.self), high: try d.decode("high", real: Scalar.self))
    }
}

extension ReduceOp: ArchivableLayer {
    public static var typeName: String { "ReduceOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("function", Names.reduce(function))
        e.encode("axes", axes)
        e.encode("keepdims", keepdims)
    }

    public init(from d: inout LayerDecoder) throws {
        let function = try d.decode("function", oneOf: Names.allReductions, name: Names.reduce)
        let axes = try d.decodeOptional("axes", each: -Names.maxAxis...Names.maxAxis)
        if let axes, axes.count > Names.maxAxis { throw d.fail("names more than \(Names.maxAxis) axes", at: "axes") }
        self.init(function, axes: axes, keepdims: try d.decode("keepdims", as: Bool.self))
    }
}

extension SoftmaxOp: ArchivableLayer {
    public static var typeName: String { "SoftmaxOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axis", axis)
        e.encode("logarithm", logarithm)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(axis: try d.decode("axis", in: -Names.maxAxis...Names.maxAxis), logarithm: try d.decode("logarithm", as: Bool.self))
    }
}

extension JoinOp: ArchivableLayer {
    public static var typeName: String { "JoinOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("axis", axis)
        e.encode("stack", stack)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(axis: try d.decode("axis", in: -Names.maxAxis...Names.maxAxis), stack: try d.decode("stack", as: Bool.self))
    }
}

extension ReshapeOp: ArchivableLayer {
    public static var typeName: String { "ReshapeOp" }

    public func encode(to e: inout LayerEncoder) throws {
        switch kind {
        case .expandDims(let axis):
            e.encode("operation", "expand_dims")
            e.encode("axis", axis)
        case .squeeze(let axes):
            e.encode("operation", "squeeze")
            e.encode("axes", axes)
        case .reshape(let shape):
            e.encode("operation", "reshape")
            e.encode("shape", shape)
        case .transpose(let perm):
            e.encode("operation", "transpose")
            e.encode("permutation", perm)
        }
    }

    public init(from d: inout LayerDecoder) throws {
        switch try d.decode("operation", as: String.self) {
        case "expand_dims":
            self.init(.expandDims(axis: try d.decode("axis", in: -Names.maxAxis...Names.maxAxis)))
        case "squeeze":
            // Resolved axes, never the batch axis 0 (the engine indexes the input's shape with them).
            self.init(.squeeze(axes: try d.decodeResolvedAxes("axes", allowEmpty: true)))
        case "reshape":
            let shape = try d.decode("shape", each: -1...Names.maxWindow)
            guard shape.count <= Names.maxAxis else { throw d.fail("has more than \(Names.maxAxis) axes", at: "shape") }
            self.init(.reshape(shape))
        case "transpose":
            let perm = try d.decode("permutation", each: 0...Names.maxAxis)
            guard perm.first == 0, perm.sorted() == Array(0..<perm.count) else {
                throw d.fail("must be a permutation of 0, 1, ..., n that keeps the batch axis 0 first, found \(perm)", at: "permutation")
            }
            self.init(.transpose(perm))
        case let other:
            throw d.fail("'\(other)' is not one of 'expand_dims', 'squeeze', 'reshape', 'transpose'", at: "operation")
        }
    }
}

extension MatmulOp: ArchivableLayer {
    public static var typeName: String { "MatmulOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("transpose_a", transposeA)
        e.encode("transpose_b", transposeB)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(transposeA: try d.decode("transpose_a", as: Bool.self), transposeB: try d.decode("transpose_b", as: Bool.self))
    }
}

/// An index item: `{"slice": [start, stop, step]}` (each a whole number or null),
/// `{"index": i}`, `"new_axis"` or `"ellipsis"`.
extension GetItemOp: ArchivableLayer {
    public static var typeName: String { "GetItemOp" }

    static var bound: Int { 1 << 62 }

    public func encode(to e: inout LayerEncoder) throws {
        e.put("key", .array(key.map { item in
            switch item {
            case .slice(let start, let stop, let step):
                return .object([.init(key: "slice", value: .array([start, stop, step].map { $0.map { .number(String($0)) } ?? .null }))])
            case .index(let i): return .object([.init(key: "index", value: .number(String(i)))])
            case .newAxis: return .string("new_axis")
            case .ellipsis: return .string("ellipsis")
            }
        }))
    }

    public init(from d: inout LayerDecoder) throws {
        guard case .array(let items) = try d.raw("key"), items.count <= Names.maxAxis else {
            throw d.fail("must be a list of at most \(Names.maxAxis) index items", at: "key")
        }
        let key = try items.enumerated().map { k, item -> IndexItem in
            let at = "key[\(k)]"
            switch item {
            case .string("new_axis"): return .newAxis
            case .string("ellipsis"): return .ellipsis
            case .object(let m) where m.count == 1 && m[0].key == "index":
                return .index(try d.int(m[0].value, at: "\(at).index", in: -Self.bound...Self.bound))
            case .object(let m) where m.count == 1 && m[0].key == "slice":
                guard case .array(let parts) = m[0].value, parts.count == 3 else { throw d.fail("a slice is [start, stop, step]", at: at) }
                let values = try parts.enumerated().map { j, p in p == .null ? nil : try d.int(p, at: "\(at).slice[\(j)]", in: -Self.bound...Self.bound) }
                guard values[2] != 0 else { throw d.fail("a slice step cannot be 0", at: "\(at).slice[2]") }
                return .slice(start: values[0], stop: values[1], step: values[2])
            default:
                throw d.fail("must be {\"slice\": [start, stop, step]}, {\"index\": i}, \"new_axis\" or \"ellipsis\"", at: at)
            }
        }
        guard key.filter({ $0 == .ellipsis }).count <= 1 else { throw d.fail("holds two ellipses", at: "key") }
        self.init(key: key)
    }
}

extension CastOp: ArchivableLayer {
    public static var typeName: String { "CastOp" }

    public func encode(to e: inout LayerEncoder) throws { e.encode("kind", kind: kind) }

    public init(from d: inout LayerDecoder) throws { self.init(to: try d.decodeKind("kind")) }
}

extension FillLikeOp: ArchivableLayer {
    public static var typeName: String { "FillLikeOp" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("value", real: value)
        e.encode("kind", kind: kind)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(value: try d.decode("value", real: Scalar.self), kind: try d.decodeOptionalKind("kind"))
    }
}
