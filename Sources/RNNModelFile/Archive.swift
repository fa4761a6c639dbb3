import RNNEngine

/// A layer type that a model file can hold: it writes its options and weights into the model
/// description and reads them back, checking every value it reads.
///
/// Each engine layer type conforms in `Sources/RNNModelFile/Layers/<Family>+Archive.swift`, and
/// `LayerTypes.builtIn` lists them by `typeName`. A custom layer (one an app supplies to
/// `KerasModelLoader` as a `CustomLayer`) can be written and read too, by conforming and being
/// passed to `ModelFile.encode` / `ModelFile(bytes:customLayers:)`.
///
/// `init(from:)` must refuse anything the layer's computation cannot take — a size that
/// disagrees with a weight, an axis list that is not a permutation, a stride of 0 — with
/// `decoder.fail`, never trap: the file may be hostile. Every key `encode` writes must be read
/// (the decoder refuses keys left unread), and an option the layer does not have is refused by
/// name.
public protocol ArchivableLayer<Scalar>: Layer {
    /// The layer's name in the file (`"DenseLayer"`): the Swift type name for engine layers.
    static var typeName: String { get }
    /// Writes the layer's options and weights (everything that changes what it computes).
    func encode(to encoder: inout LayerEncoder) throws
    /// Reads a layer that `encode(to:)` wrote, checking every value.
    init(from decoder: inout LayerDecoder) throws
    /// The first format version that holds this type (a type added later raises the version of
    /// the files that use it, and only theirs). Default: 1.
    static var formatVersion: UInt32 { get }
}

extension ArchivableLayer {
    public static var formatVersion: UInt32 { 1 }
}

/// The layer types a reader knows, by the name the file gives them.
public enum LayerTypes {
    /// Every engine layer type (one line per type; `RNNModelFileTests` checks that every public
    /// engine `Layer` type is here).
    public static let builtIn: [any ArchivableLayer<Double>.Type] = [
        // Input.swift, Recurrent.swift
        InputLayer<Double>.self, RecurrentLayer<Double>.self, BidirectionalLayer<Double>.self,
        // Core.swift
        DenseLayer<Double>.self, EmbeddingLayer<Double>.self, MaskingLayer<Double>.self, IdentityLayer<Double>.self,
        ActivationLayer<Double>.self,
        // Merge.swift
        MergeLayer<Double>.self, ConcatenateLayer<Double>.self, DotLayer<Double>.self,
        // Shape.swift
        FlattenLayer<Double>.self, ReshapeLayer<Double>.self, PermuteLayer<Double>.self, RepeatVectorLayer<Double>.self,
        StepsLayer<Double>.self,
        // Pooling.swift
        PoolingLayer<Double>.self, GlobalPoolingLayer<Double>.self,
        // Normalization.swift
        LayerNormalizationLayer<Double>.self, BatchNormalizationLayer<Double>.self, NormalizationLayer<Double>.self,
        UnitNormalizationLayer<Double>.self,
        // Activations.swift
        ReLULayer<Double>.self, PReLULayer<Double>.self, ELULayer<Double>.self, SoftmaxLayer<Double>.self,
        // Ops.swift
        UnaryOp<Double>.self, BinaryOp<Double>.self, WhereOp<Double>.self, ClipOp<Double>.self, ReduceOp<Double>.self,
        SoftmaxOp<Double>.self, JoinOp<Double>.self, ReshapeOp<Double>.self, MatmulOp<Double>.self, GetItemOp<Double>.self,
        CastOp<Double>.self, FillLikeOp<Double>.self,
        // Convolution.swift, ConvLSTM.swift, Spatial.swift
        ConvolutionLayer<Double>.self, SeparableConvolutionLayer<Double>.self, TransposedConvolutionLayer<Double>.self,
        ConvLSTMLayer<Double>.self, SequenceBidirectionalLayer<Double>.self, SpatialResizeLayer<Double>.self,
        // Attention.swift
        DenseAttentionLayer<Double>.self, MultiHeadAttentionLayer<Double>.self,
        // Wrappers.swift
        TimeDistributedLayer<Double>.self, ModelLayer<Double>.self,
    ]

    /// The built-in types and `custom`, by name; a custom type may not take a built-in name or
    /// another custom type's.
    static func registry(adding custom: [any ArchivableLayer<Double>.Type]) throws -> [String: any ArchivableLayer<Double>.Type] {
        var table: [String: any ArchivableLayer<Double>.Type] = [:]
        for type in builtIn + custom {
            guard table[type.typeName] == nil else {
                throw ModelFileError.notArchivable(path: "layer type \(type)", reason: "its typeName '\(type.typeName)' is already taken by \(table[type.typeName]!)")
            }
            table[type.typeName] = type
        }
        return table
    }
}

// MARK: - Tensors

/// How a tensor's elements are stored: little-endian IEEE 754.
enum StoredType: String, Sendable {
    case float32, float64

    var size: Int { self == .float32 ? 4 : 8 }
}

/// One entry of the description's `tensors` table.
struct TensorEntry: Sendable {
    var type: StoredType
    var shape: [Int]
    /// Offset from the start of the data.
    var offset: Int
    var count: Int

    var byteCount: Int { count * type.size }
}

/// What an encoder collects: the tensor table and the data, each distinct tensor once.
final class EncodingContext {
    var entries: [TensorEntry] = []
    var data: [UInt8] = []
    /// The lowest format version that holds every layer type written so far.
    var version: UInt32 = 1
    private var known: [Key: Int] = [:]
    let registry: [String: any ArchivableLayer<Double>.Type]

    struct Key: Hashable {
        var type: StoredType
        var shape: [Int]
        var bytes: [UInt8]
    }

    init(registry: [String: any ArchivableLayer<Double>.Type]) { self.registry = registry }

    /// The index of a tensor holding `values` with `shape`: float32 when every value is exactly
    /// a float32 number (bit for bit), float64 otherwise. Identical tensors are stored once.
    func add<S: EngineScalar>(_ values: [S], shape: [Int]) -> Int {
        var bytes: [UInt8] = []
        let type: StoredType
        if let floats = values as? [Float] {
            type = .float32
            bytes.reserveCapacity(floats.count * 4)
            for f in floats { Container.append(f.bitPattern, to: &bytes) }
        } else {
            let doubles = values as? [Double] ?? values.map { Double($0) }
            if doubles.allSatisfy({ Double(Float($0)).bitPattern == $0.bitPattern }) {
                type = .float32
                bytes.reserveCapacity(doubles.count * 4)
                for d in doubles { Container.append(Float(d).bitPattern, to: &bytes) }
            } else {
                type = .float64
                bytes.reserveCapacity(doubles.count * 8)
                for d in doubles { Container.append(d.bitPattern, to: &bytes) }
            }
        }
        let key = Key(type: type, shape: shape, bytes: bytes)
        if let index = known[key] { return index }
        let offset = Container.aligned(data.count)!
        data += [UInt8](repeating: 0, count: offset - data.count)
        data += bytes
        entries.append(TensorEntry(type: type, shape: shape, offset: offset, count: values.count))
        known[key] = entries.count - 1
        return entries.count - 1
    }

    var table: JSON {
        .array(entries.map { e in
            .object([.init(key: "dtype", value: .string(e.type.rawValue)),
                     .init(key: "shape", value: .array(e.shape.map { .number(String($0)) })),
                     .init(key: "offset", value: .number(String(e.offset)))])
        })
    }
}

/// What a decoder reads from: the file's tensors, decoded once each, and which were used.
final class DecodingContext {
    let file: String
    let bytes: [UInt8]
    let dataOffset: Int
    let entries: [TensorEntry]
    let registry: [String: any ArchivableLayer<Double>.Type]
    /// The file's format version.
    let version: UInt32
    private var cache: [Int: [Double]] = [:]
    private(set) var used: [Bool]
    /// The top-level node being read, and the tensors each one read (for `inspect`).
    var node: String?
    var sources: [String: [String]] = [:]
    /// How many model descriptions enclose the one being read.
    var modelDepth = 0
    static let maxModelDepth = 32

    init(file: String, bytes: [UInt8], dataOffset: Int, entries: [TensorEntry], registry: [String: any ArchivableLayer<Double>.Type],
         version: UInt32) {
        self.version = version
        self.file = file
        self.bytes = bytes
        self.dataOffset = dataOffset
        self.entries = entries
        self.registry = registry
        used = Array(repeating: false, count: entries.count)
    }

    func values(_ index: Int) -> [Double] {
        used[index] = true
        if let cached = cache[index] { return cached }
        let e = entries[index]
        var out = [Double](repeating: 0, count: e.count)
        let base = dataOffset + e.offset
        bytes.withUnsafeBytes { raw in
            switch e.type {
            case .float32:
                for k in 0..<e.count {
                    out[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * k, as: UInt32.self))))
                }
            case .float64:
                for k in 0..<e.count {
                    out[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * k, as: UInt64.self)))
                }
            }
        }
        cache[index] = out
        return out
    }

    func note(_ index: Int) {
        guard let node, modelDepth == 1 else { return }
        let e = entries[index]
        sources[node, default: []].append("tensor \(index): \(e.type.rawValue) (\(e.shape.map(String.init).joined(separator: ", "))\(e.shape.count == 1 ? "," : ""))")
    }
}

// MARK: - Encoder

/// Writes one object of the model description (a layer, or a part of one): options as JSON
/// values, weights into the tensor table.
public struct LayerEncoder {
    let context: EncodingContext
    /// Where this object is, for messages (`model.nodes[3].layer`).
    public let path: String
    var members: [JSON.Member] = []

    init(context: EncodingContext, path: String) {
        self.context = context
        self.path = path
    }

    var json: JSON { .object(members) }

    mutating func put(_ key: String, _ value: JSON) {
        precondition(!members.contains { $0.key == key }, "\(path): key '\(key)' written twice")
        members.append(.init(key: key, value: value))
    }

    public mutating func encode(_ key: String, _ value: Int) { put(key, .number(String(value))) }
    public mutating func encode(_ key: String, _ value: Int?) { put(key, value.map { .number(String($0)) } ?? .null) }
    public mutating func encode(_ key: String, _ value: Bool) { put(key, .bool(value)) }
    public mutating func encode(_ key: String, _ value: String) { put(key, .string(value)) }
    public mutating func encode(_ key: String, _ values: [Int]) { put(key, .array(values.map { .number(String($0)) })) }
    public mutating func encode(_ key: String, _ values: [Int]?) {
        put(key, values.map { .array($0.map { .number(String($0)) }) } ?? .null)
    }

    /// A shape without the batch axis; unknown extents are null.
    public mutating func encode(_ key: String, shape: SymbolicShape) { put(key, Self.shape(shape)) }

    static func shape(_ shape: SymbolicShape) -> JSON { .array(shape.map { $0.map { .number(String($0)) } ?? .null }) }

    /// A real number, exactly: finite values as the shortest decimal that reads back to the same
    /// float64, others (infinities, NaN) as the string `"0x"` + the 16 hex digits of their bits.
    public mutating func encode<S: EngineScalar>(_ key: String, real value: S) { put(key, Self.real(value)) }
    public mutating func encode<S: EngineScalar>(_ key: String, real value: S?) { put(key, value.map { Self.real($0) } ?? .null) }

    static func real<S: EngineScalar>(_ value: S) -> JSON {
        let d = value as? Double ?? Double(value)
        guard d.isFinite else {
            let digits = String(d.bitPattern, radix: 16, uppercase: true)
            return .string("0x" + String(repeating: "0", count: 16 - digits.count) + digits)
        }
        return .number(d.description)
    }

    /// A weight: its values go to the data, the description holds `{"tensor": index}`.
    public mutating func encode<S: EngineScalar>(_ key: String, tensor values: [S], shape: [Int]) throws {
        guard Shapes.count(shape) == values.count else {
            throw ModelFileError.notArchivable(path: "\(path).\(key)", reason: "\(values.count) values do not fill the shape \(shape)")
        }
        put(key, .object([.init(key: "tensor", value: .number(String(context.add(values, shape: shape))))]))
    }

    public mutating func encode<S: EngineScalar>(_ key: String, tensor values: [S]?, shape: [Int]) throws {
        guard let values else { return put(key, .null) }
        try encode(key, tensor: values, shape: shape)
    }

    /// A nested object written by `body` (a cell, a geometry).
    public mutating func encode(_ key: String, object body: (inout LayerEncoder) throws -> Void) rethrows {
        var inner = LayerEncoder(context: context, path: "\(path).\(key)")
        try body(&inner)
        put(key, inner.json)
    }

    /// A list of nested objects, one written by `body` per element.
    public mutating func encode<T>(_ key: String, objects items: [T], _ body: (T, inout LayerEncoder) throws -> Void) rethrows {
        var out: [JSON] = []
        for (k, item) in items.enumerated() {
            var inner = LayerEncoder(context: context, path: "\(path).\(key)[\(k)]")
            try body(item, &inner)
            out.append(inner.json)
        }
        put(key, .array(out))
    }

    /// A layer held by this one (a wrapped layer, a direction of a Bidirectional).
    public mutating func encode<S: EngineScalar>(_ key: String, layer: any Layer<S>) throws {
        put(key, try Self.layer(layer, context: context, path: "\(path).\(key)"))
    }

    static func layer<S: EngineScalar>(_ layer: any Layer<S>, context: EncodingContext, path: String) throws -> JSON {
        guard let archivable = layer as? any ArchivableLayer else {
            throw ModelFileError.notArchivable(
                path: path,
                reason: "its layer type \(type(of: layer)) has no file form (a custom layer must conform to ArchivableLayer)")
        }
        let name = type(of: archivable).typeName
        guard context.registry[name] != nil else {
            throw ModelFileError.notArchivable(
                path: path, reason: "its layer type '\(name)' is not registered (pass custom layer types in customLayers)")
        }
        context.version = max(context.version, type(of: archivable).formatVersion)
        var encoder = LayerEncoder(context: context, path: path)
        encoder.put("type", .string(name))
        try archivable.encode(to: &encoder)
        return encoder.json
    }

    /// A failure to write this object, naming it.
    public func fail(_ reason: String) -> ModelFileError { .notArchivable(path: path, reason: reason) }
}

// MARK: - Decoder

/// Reads one object of the model description, checking each value as it is read. Every method
/// throws a `ModelFileError` naming the file and the value's path; keys the layer does not read
/// are refused when it is done.
public struct LayerDecoder {
    let context: DecodingContext
    /// Where this object is (`model.nodes[3].layer.cell`).
    public let path: String
    /// How many tensors the node holding this layer passes it (an op's operands index them).
    public let inputCount: Int
    private let members: [String: JSON]
    private let order: [String]
    private var read: Set<String> = []

    init(context: DecodingContext, path: String, json: JSON, inputCount: Int) throws {
        guard case .object(let list) = json else {
            throw ModelFileError.invalid(file: context.file, path: path, message: "expected an object, found \(json.typeName)")
        }
        self.context = context
        self.path = path
        self.inputCount = inputCount
        var members: [String: JSON] = [:]
        for m in list { members[m.key] = m.value }
        self.members = members
        order = list.map(\.key)
    }

    /// The file being read.
    public var file: String { context.file }

    /// An error about this object, or about its value `key`.
    public func fail(_ message: String, at key: String? = nil) -> ModelFileError {
        .invalid(file: context.file, path: key.map { "\(path).\($0)" } ?? path, message: message)
    }

    /// Whether the object has `key` (read or not).
    public func has(_ key: String) -> Bool { members[key] != nil }

    mutating func value(_ key: String) throws -> JSON {
        guard let v = members[key] else { throw fail("missing key '\(key)'") }
        read.insert(key)
        return v
    }

    /// Refuses every key no read asked for (an option this reader does not know).
    func finish() throws {
        if let extra = order.first(where: { !read.contains($0) }) {
            throw fail("unknown key '\(extra)' (this reader does not know that option; a file that needs it must use a later format version)")
        }
    }

    // MARK: Plain values

    public mutating func decode(_ key: String, as _: Bool.Type = Bool.self) throws -> Bool {
        guard case .bool(let b) = try value(key) else { throw fail("must be true or false, found \(try value(key).typeName)", at: key) }
        return b
    }

    public mutating func decode(_ key: String, as _: String.Type = String.self) throws -> String {
        guard case .string(let s) = try value(key) else { throw fail("must be a string, found \(try value(key).typeName)", at: key) }
        return s
    }

    static func integer(_ json: JSON) -> Int? {
        guard case .number(let text) = json, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int(text)
    }

    /// A whole number within `range`.
    public mutating func decode(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        try int(try value(key), at: key, in: range)
    }

    func int(_ json: JSON, at key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let n = Self.integer(json), range.contains(n) else {
            let found: String
            if case .number(let text) = json { found = text } else { found = json.typeName }
            throw fail("must be a whole number from \(range.lowerBound) to \(range.upperBound), found \(found)", at: key)
        }
        return n
    }

    /// A whole number within `range`, or null.
    public mutating func decodeOptional(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        let v = try value(key)
        if v == .null { return nil }
        return try int(v, at: key, in: range)
    }

    /// A list of whole numbers, each within `range`, `count` of them when given.
    public mutating func decode(_ key: String, count: Int? = nil, each range: ClosedRange<Int>) throws -> [Int] {
        try ints(try value(key), at: key, count: count, each: range)
    }

    /// A list as `decode(_:count:each:)`, or null.
    public mutating func decodeOptional(_ key: String, count: Int? = nil, each range: ClosedRange<Int>) throws -> [Int]? {
        let v = try value(key)
        if v == .null { return nil }
        return try ints(v, at: key, count: count, each: range)
    }

    func ints(_ json: JSON, at key: String, count: Int?, each range: ClosedRange<Int>) throws -> [Int] {
        guard case .array(let items) = json else { throw fail("must be a list of whole numbers, found \(json.typeName)", at: key) }
        if let count, items.count != count { throw fail("must hold \(count) numbers, holds \(items.count)", at: key) }
        return try items.enumerated().map { k, item in try int(item, at: "\(key)[\(k)]", in: range) }
    }

    /// A shape without the batch axis: extents from 0 to 2^40, or null for unknown.
    public mutating func decodeShape(_ key: String) throws -> SymbolicShape {
        try shape(try value(key), at: key)
    }

    func shape(_ json: JSON, at key: String) throws -> SymbolicShape {
        guard case .array(let items) = json, items.count <= 64 else {
            throw fail("must be a list of at most 64 extents (whole numbers or null), found \(json.typeName)", at: key)
        }
        return try items.enumerated().map { k, item in item == .null ? nil : try int(item, at: "\(key)[\(k)]", in: 0...(1 << 40)) }
    }

    /// A real number: a JSON number (finite), or `"0x"` and 16 hex digits for an infinity or NaN.
    public mutating func decode<S: EngineScalar>(_ key: String, real _: S.Type = S.self) throws -> S {
        let d = try real(try value(key), at: key)
        return S.self == Double.self ? d as! S : S(d)
    }

    /// A real number, or null.
    public mutating func decodeOptional<S: EngineScalar>(_ key: String, real _: S.Type = S.self) throws -> S? {
        let v = try value(key)
        if v == .null { return nil }
        let d = try real(v, at: key)
        return S.self == Double.self ? d as! S : S(d)
    }

    func real(_ json: JSON, at key: String) throws -> Double {
        switch json {
        case .number(let text):
            guard let d = Double(text), d.isFinite else {
                throw fail("the number \(text) is outside float64's range (write an infinity as its bits, \"0x7FF0000000000000\")", at: key)
            }
            return d
        case .string(let s):
            let digits = s.dropFirst(2)
            guard s.hasPrefix("0x"), digits.count == 16, let bits = UInt64(digits, radix: 16) else {
                throw fail("must be a number, or \"0x\" and 16 hex digits for an infinity or NaN, found the string \"\(s)\"", at: key)
            }
            let d = Double(bitPattern: bits)
            guard !d.isFinite else { throw fail("\"\(s)\" is the finite number \(d), which must be written as a JSON number", at: key) }
            return d
        default:
            throw fail("must be a number, found \(json.typeName)", at: key)
        }
    }

    /// One of a closed set of names, each case's name given by `name` (the encoder's spelling,
    /// so the two cannot disagree).
    public mutating func decode<T>(_ key: String, oneOf cases: [T], name: (T) -> String) throws -> T {
        let s = try decode(key, as: String.self)
        guard let match = cases.first(where: { name($0) == s }) else {
            throw fail("'\(s)' is not one of \(cases.map { "'\(name($0))'" }.joined(separator: ", "))", at: key)
        }
        return match
    }

    // MARK: Weights

    /// A weight of exactly `shape` (`{"tensor": index}` into the tensor table), in `S`.
    public mutating func decode<S: EngineScalar>(_ key: String, tensorOf shape: [Int], as _: S.Type = S.self) throws -> [S] {
        try tensor(try value(key), at: key, shape: shape)
    }

    /// A weight of `shape`, or null.
    public mutating func decodeOptional<S: EngineScalar>(_ key: String, tensorOf shape: [Int], as _: S.Type = S.self) throws -> [S]? {
        let v = try value(key)
        if v == .null { return nil }
        return try tensor(v, at: key, shape: shape)
    }

    /// The shape a weight has in the tensor table (to read a weight whose extents the layer
    /// learns from it, as `PReLU`'s).
    public mutating func tensorShape(_ key: String) throws -> [Int] {
        context.entries[try tensorIndex(try value(key), at: key)].shape
    }

    func tensorIndex(_ json: JSON, at key: String) throws -> Int {
        guard case .object(let m) = json, m.count == 1, m[0].key == "tensor" else {
            throw fail("must be a weight, {\"tensor\": index}, found \(json.typeName)", at: key)
        }
        guard !context.entries.isEmpty else { throw fail("refers to a tensor, but the tensor table is empty", at: key) }
        return try int(m[0].value, at: "\(key).tensor", in: 0...(context.entries.count - 1))
    }

    func tensor<S: EngineScalar>(_ json: JSON, at key: String, shape: [Int]) throws -> [S] {
        let index = try tensorIndex(json, at: key)
        let entry = context.entries[index]
        guard entry.shape == shape else {
            throw fail("tensor \(index) has shape \(Self.describe(entry.shape)), the layer needs \(Self.describe(shape))", at: key)
        }
        context.note(index)
        let values = context.values(index)
        if S.self == Double.self { return values as! [S] }
        return values.map { S($0) }
    }

    static func describe(_ shape: [Int]) -> String { "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")") }

    // MARK: Nested objects and layers

    /// A nested object read by `body`; its unread keys are refused.
    public mutating func decode<T>(_ key: String, object body: (inout LayerDecoder) throws -> T) throws -> T {
        var inner = try LayerDecoder(context: context, path: "\(path).\(key)", json: try value(key), inputCount: inputCount)
        let result = try body(&inner)
        try inner.finish()
        return result
    }

    /// A list of nested objects, each read by `body`; at most `limit` of them.
    public mutating func decode<T>(_ key: String, objects limit: Int, _ body: (inout LayerDecoder) throws -> T) throws -> [T] {
        guard case .array(let items) = try value(key) else { throw fail("must be a list, found \(try value(key).typeName)", at: key) }
        guard items.count <= limit else { throw fail("holds \(items.count) items, more than \(limit)", at: key) }
        return try items.enumerated().map { k, item in
            var inner = try LayerDecoder(context: context, path: "\(path).\(key)[\(k)]", json: item, inputCount: inputCount)
            let result = try body(&inner)
            try inner.finish()
            return result
        }
    }

    /// The raw value of `key`, for a reader that takes several forms (an activation's name or object).
    mutating func raw(_ key: String) throws -> JSON { try value(key) }

    /// A layer of any registered type, called with `inputs` tensors, in `S`.
    public mutating func decode<S: EngineScalar>(_ key: String, layerWithInputs inputs: Int, as _: S.Type = S.self) throws -> any Layer<S> {
        let layer = try Self.layer(try value(key), context: context, path: "\(path).\(key)", inputCount: inputs)
        if let same = layer as? any Layer<S> { return same }
        return layer.converted(to: S.self)
    }

    /// A layer that must be of type `L` (a direction of a Bidirectional, a part of a convolution).
    public mutating func decode<L: ArchivableLayer>(_ key: String, layer _: L.Type, inputs: Int) throws -> L {
        var inner = try LayerDecoder(context: context, path: "\(path).\(key)", json: try value(key), inputCount: inputs)
        let name = try inner.decode("type", as: String.self)
        guard name == L.typeName else { throw inner.fail("must be a \(L.typeName), found '\(name)'", at: "type") }
        let layer = try L(from: &inner)
        try inner.finish()
        return layer
    }

    static func layer(_ json: JSON, context: DecodingContext, path: String, inputCount: Int) throws -> any Layer<Double> {
        var decoder = try LayerDecoder(context: context, path: path, json: json, inputCount: inputCount)
        let name = try decoder.decode("type", as: String.self)
        guard let type = context.registry[name] else {
            throw decoder.fail("unknown layer type '\(name)' (this reader knows \(context.registry.count) types; a custom layer's type must be passed in customLayers, a newer engine layer needs a newer reader)", at: "type")
        }
        guard type.formatVersion <= context.version else {
            throw decoder.fail("layer type '\(name)' needs format version \(type.formatVersion), the file is version \(context.version)", at: "type")
        }
        let layer = try type.init(from: &decoder)
        try decoder.finish()
        return layer
    }

    /// A model held by a layer (`ModelLayer`).
    public mutating func decodeModel(_ key: String) throws -> Model<Double> {
        try ModelCoding.decode(try value(key), context: context, path: "\(path).\(key)")
    }
}

extension LayerEncoder {
    /// A model held by a layer (`ModelLayer`).
    public mutating func encode<S: EngineScalar>(_ key: String, model: Model<S>) throws {
        put(key, try ModelCoding.encode(model, context: context, path: "\(path).\(key)"))
    }
}
