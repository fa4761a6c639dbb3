import Conformance
import Foundation
@testable import RNNModelFile
import RNNEngine
import Testing
import _TestSupport

/// A model file's parts, read and written from the byte layout in docs/model-format.md (this is
/// an independent implementation of it: preamble fields, CRC-32s, 64-byte alignment), so that
/// tests can make files that are wrong in one chosen way only.
struct RawModelFile {
    var magic: [UInt8]
    var version: UInt32
    var flags: UInt32
    var description: [UInt8]
    var data: [UInt8]

    init(_ bytes: [UInt8]) {
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) -> Int { Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }) }
        magic = Array(bytes[0..<8])
        version = u32(8)
        flags = u32(12)
        let h = u64(16), d = u64(24)
        description = Array(bytes[40..<(40 + h)])
        let dataOffset = (40 + h + 63) / 64 * 64
        data = Array(bytes[dataOffset..<(dataOffset + d)])
    }

    var text: String {
        get { String(decoding: description, as: UTF8.self) }
        set { description = Array(newValue.utf8) }
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// The file, with correct checksums and sizes unless they are given.
    func bytes(descriptionLength: UInt64? = nil, dataLength: UInt64? = nil, descriptionCRC: UInt32? = nil, dataCRC: UInt32? = nil) -> [UInt8] {
        var out = magic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put(version)
        put(flags)
        put(descriptionLength ?? UInt64(description.count))
        put(dataLength ?? UInt64(data.count))
        put(descriptionCRC ?? Self.crc32(description))
        put(dataCRC ?? Self.crc32(data))
        out += description
        out += [UInt8](repeating: 0, count: (out.count + 63) / 64 * 64 - out.count)
        return out + data
    }
}

/// Hostile and broken model files get what hostile HDF5 files get: an error naming the file and
/// what is wrong, never a crash, never an allocation the file's size does not bound.
@Suite("Model file: hostile files")
struct HostileModelFileTests {
    static let name = "hostile.rnn"

    /// A valid file: the `seed_bidi_last` fixture's model (a Bidirectional LSTM).
    static let valid: [UInt8] = {
        let fixture = try! Fixture.read(path: TestPaths.fixture("seed_bidi_last").path)
        return try! ModelFile.encode(try! fixture.loadModel().model, metadata: ["source": "model.keras"])
    }()

    func refused(_ bytes: [UInt8], _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ModelFile(bytes: bytes, name: Self.name)
            Issue.record("accepted a hostile file (expected: \(parts))", sourceLocation: sourceLocation)
        } catch let error as ModelFileError {
            let message = error.errorDescription ?? ""
            #expect(message.hasPrefix(Self.name + ": "), "the message names the file: \(message)", sourceLocation: sourceLocation)
            for part in parts {
                #expect(message.contains(part), "«\(message)» lacks «\(part)»", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("not a ModelFileError: \(error)", sourceLocation: sourceLocation)
        }
    }

    func edited(_ edit: (inout RawModelFile) -> Void) -> [UInt8] {
        var raw = RawModelFile(Self.valid)
        edit(&raw)
        return raw.bytes()
    }

    /// The description with `old` replaced by `new` once (it must occur).
    func replacing(_ old: String, with new: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        edited { raw in
            let text = raw.text
            #expect(text.contains(old), "the description holds «\(old)»", sourceLocation: sourceLocation)
            if let r = text.range(of: old) { raw.text = text.replacingCharacters(in: r, with: new) }
        }
    }

    @Test("the valid file is read, and the test's own writer reproduces it")
    func validFile() throws {
        #expect(RawModelFile(Self.valid).bytes() == Self.valid)
        let file = try ModelFile(bytes: Self.valid, name: Self.name)
        #expect(file.metadata["source"] == "model.keras")
        #expect(file.version == 1)
    }

    // MARK: The container

    @Test("empty, truncated, wrong signature")
    func truncated() {
        refused([], ["the file is empty"])
        refused(Array(Self.valid.prefix(5)), ["shorter than the 40-byte preamble", "truncated"])
        refused(Array(Self.valid.prefix(30)), ["shorter than the 40-byte preamble"])
        refused(Array(Self.valid.prefix(100)), ["declares a model description of", "truncated"])
        refused(Array(Self.valid.dropLast(7)), ["bytes of data", "truncated"])
        var magic = Self.valid
        magic[1] = UInt8(ascii: "X")
        refused(magic, ["not an rnncheck model file", "89 52 4E 4E 0D 0A 1A 0A"])
        refused(Array("PK\u{3}\u{4} not a model".utf8), ["not an rnncheck model file"])
    }

    @Test("another format version, reserved flags")
    func version() {
        for v: UInt32 in [0, 2, 99, .max] {
            refused(edited { $0.version = v }, ["format version \(v)", "this reader reads version 1"])
        }
        refused(edited { $0.flags = 1 }, ["sets flags 0x1", "must be 0"])
    }

    @Test("sizes the file does not hold, bytes after the data, padding that is not zero")
    func sizes() {
        let raw = RawModelFile(Self.valid)
        refused(raw.bytes(descriptionLength: .max), ["declares a model description of 18446744073709551615 bytes"])
        refused(raw.bytes(descriptionLength: UInt64(raw.description.count + 1_000_000)), ["declares a model description of"])
        refused(raw.bytes(dataLength: 1 << 62), ["declares 4611686018427387904 bytes of data"])
        refused(raw.bytes(dataLength: .max), ["bytes of data"])
        refused(raw.bytes(dataLength: UInt64(raw.data.count - 1)), ["nothing may follow"])
        refused(Self.valid + [0], ["1 bytes after the data; nothing may follow"])
        var padded = Self.valid
        let end = 40 + raw.description.count
        if end % 64 != 0 {
            padded[end] = 1
            // the checksums do not cover the padding: it is checked on its own
            refused(padded, ["in the padding between the model description and the data, is not zero"])
        }
    }

    @Test("corrupt description or data (CRC-32)")
    func checksums() {
        var bytes = Self.valid
        bytes[45] ^= 0x20
        refused(bytes, ["the model description is corrupt (CRC-32"])
        bytes = Self.valid
        bytes[bytes.count - 3] ^= 0x01
        refused(bytes, ["the weight data is corrupt (CRC-32"])
        let raw = RawModelFile(Self.valid)
        refused(raw.bytes(dataCRC: RawModelFile.crc32(raw.data) ^ 1), ["the weight data is corrupt"])
    }

    // MARK: The description

    @Test("not JSON, or JSON a reader could read two ways")
    func badJSON() {
        refused(edited { $0.text = "{" }, ["not valid JSON at byte 1"])
        refused(edited { $0.text = "" }, ["not valid JSON at byte 0"])
        refused(edited { $0.text = "[1, 2" }, ["not valid JSON"])
        refused(edited { $0.text += " x" }, ["text after the end"])
        refused(replacing("\"shape\":[", with: "\"shape\":[NaN,"), ["not valid JSON", "no NaN"])
        refused(replacing("\"shape\":[", with: "\"shape\":[Infinity,"), ["not valid JSON"])
        refused(replacing("\"shape\":[", with: "\"shape\":[01,"), ["not valid JSON", "leading zero"])
        refused(replacing("{\"metadata\":{", with: "{\"metadata\":{\"source\":\"a\","), ["\"source\" appears twice"])
        refused(replacing("{\"metadata\":{", with: "{\"metadata\":{\"x\":\"\u{1}\","), ["control character"])
        refused(edited { $0.description = Array($0.description.prefix(10)) + [0xFF, 0xFE] + Array($0.description.dropFirst(10)) }, ["not valid"])
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        refused(replacing("{\"metadata\":{", with: "{\"metadata\":{\"x\":\(deep),"), ["nested more than 256 deep"])
    }

    @Test("keys and layer types this reader does not know")
    func unknownKeys() {
        refused(replacing("{\"metadata\":", with: "{\"future\":1,\"metadata\":"), ["(top level)", "unknown key 'future'"])
        refused(replacing("\"type\":\"BidirectionalLayer\"", with: "\"type\":\"FancyLayer\""), ["unknown layer type 'FancyLayer'", "model.nodes[1].layer.type"])
        refused(replacing("\"return_sequences\":false", with: "\"return_sequences\":false,\"stateful\":true"), ["unknown key 'stateful'"])
        refused(replacing("\"activation\":\"tanh\"", with: "\"activation\":\"swish_v2\""), ["unknown activation 'swish_v2'"])
        refused(replacing("\"merge_mode\":\"concat\"", with: "\"merge_mode\":\"xor\""), ["'xor' is not one of"])
        refused(replacing("\"return_sequences\":false", with: "\"return_sequences\":0"), ["must be true or false, found a number"])
    }

    @Test("weights that do not fit the layer")
    func weights() {
        // 4 units instead of 3: the forward kernel (5, 4·3) no longer fits (5, 4·4)
        let units = "\"units\":3"
        refused(replacing(units, with: "\"units\":4"), ["forward.cell.kernel", "has shape (5, 12), the layer needs (5, 16)"])
        refused(replacing(units, with: "\"units\":0"), ["must be a whole number from 1 to"])
        refused(replacing(units, with: "\"units\":-3"), ["must be a whole number from 1 to"])
        refused(replacing(units, with: "\"units\":3.0"), ["found 3.0"])
        refused(replacing(units, with: "\"units\":1e400"), ["found 1e400"])
        refused(replacing(units, with: "\"units\":\"3\""), ["found a string"])
        refused(replacing(units, with: "\"units\":99999999999999999999999"), ["must be a whole number"])
        refused(replacing("{\"tensor\":0}", with: "{\"tensor\":99}"), ["must be a whole number from 0 to"])
        refused(replacing("{\"tensor\":0}", with: "{\"tensor\":1}"), ["tensor 1 has shape"])
        refused(replacing("{\"tensor\":0}", with: "0"), ["must be a weight, {\"tensor\": index}"])
    }

    @Test("a tensor table that does not describe the data")
    func tensorTable() {
        refused(replacing("\"dtype\":\"float32\"", with: "\"dtype\":\"float16\""), ["'float16' is not one of 'float32', 'float64'"])
        // Tensor 0, (5, 12), read as float64 takes 480 bytes, so tensor 1 cannot start at 256.
        refused(replacing("\"dtype\":\"float32\"", with: "\"dtype\":\"float64\""), ["tensors[1].offset", "(here 512)"])
        refused(replacing("\"shape\":[5,12]", with: "\"shape\":[1000000000000,1000000000000]"), ["needs more bytes than the"])
        refused(replacing("\"shape\":[5,12]", with: "\"shape\":[1099511627776,1099511627776,1099511627776]"), ["needs more bytes than the"])
        refused(replacing("\"shape\":[5,12]", with: "\"shape\":[5.5,12]"), ["must be a whole number", "found 5.5"])
        refused(replacing("\"shape\":[5,12]", with: "\"shape\":[-5,-12]"), ["must be a whole number"])
        // (5, 20) float32 ends at 400, so the next tensor belongs at 448, not 256.
        refused(replacing("\"shape\":[5,12]", with: "\"shape\":[5,20]"), ["tensors[1].offset", "each at the next multiple of 64", "(here 448)"])
        refused(replacing("\"offset\":0", with: "\"offset\":64"), ["tensors[0].offset"])
        // An empty tensor put first: the layout still holds (it ends at 0), but every index now
        // names the tensor before the one the layer was written with.
        refused(replacing("\"tensors\":[", with: "\"tensors\":[{\"dtype\":\"float32\",\"shape\":[0],\"offset\":0},"),
                ["forward.cell.kernel", "tensor 0 has shape (0,), the layer needs (5, 12)"])
        // A tensor no layer reads: an empty one at the end of the table.
        refused(edited { raw in
            let end = (raw.data.count + 63) / 64 * 64
            raw.data += [UInt8](repeating: 0, count: end - raw.data.count)
            raw.text = raw.text.replacingOccurrences(of: "],\"model\":", with: ",{\"dtype\":\"float32\",\"shape\":[0],\"offset\":\(end)}],\"model\":")
        }, ["no layer uses this tensor"])
        refused(edited { $0.data += [0, 0, 0, 0] }, ["bytes no tensor holds"])
    }

    @Test("a graph that does not hold together")
    func graph() {
        refused(replacing("\"inputs\":[[0,0]]", with: "\"inputs\":[[1,0]]"), ["must be a whole number from 0 to 0"])
        refused(replacing("\"inputs\":[[0,0]]", with: "\"inputs\":[[0,1]]"), ["reads output 1 of node 0"])
        refused(replacing("\"masks\":[{\"carried\":0}]", with: "\"masks\":[{\"carried\":1}]"), ["must be a whole number from 0 to 0"])
        refused(replacing("\"masks\":[{\"carried\":0}]", with: "\"masks\":[]"), ["holds 0 mask sources for 1 input(s)"])
        refused(replacing("\"inputs\":[0],\"outputs\"", with: "\"inputs\":[1],\"outputs\""), ["is not an InputLayer"])
        refused(replacing("\"inputs\":[0],\"outputs\"", with: "\"inputs\":[0,0],\"outputs\""), ["names an input node twice"])
        refused(replacing("\"outputs\":[{\"node\":1,\"output\":0", with: "\"outputs\":[{\"node\":1,\"output\":9"), ["node 1 ('bi') has 5 output(s)"])
        refused(edited { raw in raw.text = raw.text.replacingOccurrences(of: #"\{"node":1,"output":[0-9],"name":"[^"]*"\},?"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: ",]}}", with: "]}}") }, ["a model needs at least one output"])
    }

    @Test("options a layer's computation cannot take")
    func badOptions() throws {
        // The Bidirectional's backward layer must mirror the forward one.
        refused(replacing("\"go_backwards\":true", with: "\"go_backwards\":false"), ["must mirror the forward one"])
        // A custom model with layers whose options the engine would trap on, each made wrong.
        let model = try Model<Double>(name: "m", nodes: [
            Node(name: "in", className: "InputLayer", layer: InputLayer<Double>(shape: [4, 3])),
            Node(name: "perm", className: "Permute", layer: PermuteLayer<Double>(dims: [2, 1]), inputs: [TensorRef(node: 0)]),
            Node(name: "pool", className: "MaxPooling1D", layer: PoolingLayer<Double>(mode: .max, poolSize: [2], strides: [1], padding: .valid),
                 inputs: [TensorRef(node: 1)]),
            Node(name: "up", className: "UpSampling1D", layer: StepsLayer<Double>(.repeatEach(2)), inputs: [TensorRef(node: 2)]),
            Node(name: "sq", className: "Squeeze", layer: ReshapeOp<Double>(.squeeze(axes: [])), inputs: [TensorRef(node: 3)]),
            Node(name: "add", className: "Add", layer: BinaryOp<Double>(.add, .input(0), .constant(1, .integer)), inputs: [TensorRef(node: 4)]),
        ], inputs: [0], outputs: [ModelOutput(ref: TensorRef(node: 5), name: "add")])
        var raw = RawModelFile(try ModelFile.encode(model))
        let text = raw.text
        func refusedEdit(_ old: String, _ new: String, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(text.contains(old), "the description holds «\(old)»", sourceLocation: sourceLocation)
            raw.text = text.replacingOccurrences(of: old, with: new)
            refused(raw.bytes(), parts, sourceLocation: sourceLocation)
        }
        refusedEdit("\"dims\":[2,1]", "\"dims\":[3,1]", ["must be a permutation of 1, 2, ..., n, found [3, 1]"])
        refusedEdit("\"dims\":[2,1]", "\"dims\":[]", ["must be a permutation"])
        refusedEdit("\"strides\":[1]", "\"strides\":[0]", ["strides[0]", "must be a whole number from 1 to"])
        refusedEdit("\"strides\":[1]", "\"strides\":[1,1]", ["must hold 1 numbers, holds 2"])
        refusedEdit("\"sizes\":[2]", "\"sizes\":[0]", ["must be a whole number from 1 to"])
        refusedEdit("\"operation\":\"squeeze\",\"axes\":[]", "\"operation\":\"squeeze\",\"axes\":[-1]", ["must be a whole number from 1 to 64"])
        refusedEdit("\"operation\":\"squeeze\",\"axes\":[]", "\"operation\":\"squeeze\",\"axes\":[2,1]", ["must be increasing"])
        refusedEdit("\"lhs\":{\"input\":0}", "\"lhs\":{\"input\":1}", ["lhs.input", "must be a whole number from 0 to 0"])
        refusedEdit("\"lhs\":{\"input\":0}", "\"lhs\":{\"constant\":2,\"kind\":\"float\"}", ["needs at least one operand that is an input tensor"])
        refusedEdit("\"constant\":1.0", "\"constant\":\"0x3FF0000000000000\"", ["must be written as a JSON number"])
        refusedEdit("\"constant\":1.0", "\"constant\":1e999", ["outside float64's range"])
        // Shapes: the pooling window is larger than its input once the permutation changes.
        refusedEdit("\"pool_size\":[2]", "\"pool_size\":[5]", ["layer 'pool' (MaxPooling1D)", "larger than its input"])
        // Infinities are written as their bits and read back.
        raw.text = text.replacingOccurrences(of: "\"constant\":1.0", with: "\"constant\":\"0x7FF0000000000000\"")
        let file = try ModelFile(bytes: raw.bytes(), name: Self.name)
        guard case .constant(let c, _)? = (file.model.nodes[5].layer as? BinaryOp<Double>)?.rhs else {
            Issue.record("no constant")
            return
        }
        #expect(c == .infinity)
    }
}
