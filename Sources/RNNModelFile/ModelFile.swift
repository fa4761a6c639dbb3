import Foundation
import RNNEngine

/// An rnncheck model file (`.rnn`, format described in docs/model-format.md): an engine model
/// with its weights, in one file that needs no C library to read — what an app ships.
///
/// ```swift
/// import RNNEngine
/// import RNNModelFile
///
/// let file = try ModelFile(contentsOf: Bundle.main.url(forResource: "model", withExtension: "rnn")!)
/// let model = file.model.converted(to: Float.self)          // float32, as Keras computes
/// let outputs = try model.predict([Tensor(shape: [1, 20, 8], scalars: features)])
/// ```
///
/// `rnncheck export model.keras -o model.rnn` writes one from a Keras file; `ModelFile.encode`
/// writes one from any engine model. Reading checks everything a file says before the model
/// exists — signature, version, sizes, checksums, every option and weight shape — and refuses
/// what it cannot trust with a `ModelFileError` that names the file and the value.
public struct ModelFile: Sendable {
    /// The latest format version this module reads and writes; it reads every version from 1,
    /// and writes the lowest one that holds the model (docs/model-format.md, Compatibility).
    public static let formatVersion: UInt32 = 1
    /// The file name extension (`model.rnn`).
    public static let fileExtension = "rnn"

    /// The model, with its weights as stored: float32 weights are exact in float64, as the Keras
    /// loader gives them. `model.converted(to: Float.self)` computes in float32 as Keras does.
    public var model: Model<Double>
    /// What the writer recorded about where the model came from (`source`, `keras_version`,
    /// `producer`, ...). Informational only: nothing in it changes what the model computes.
    public var metadata: [String: String]
    /// Each node's output shapes without the batch axis (nil: any size), worked out on reading.
    public var outputShapes: [[SymbolicShape]]
    /// For each top-level node, the tensors it reads (`tensor 3: float32 (16, 64)`).
    public var tensorSources: [String: [String]]
    /// The format version the file was written in.
    public var version: UInt32

    /// Whether `bytes` start with the model file signature.
    public static func hasSignature(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: Container.magic)
    }

    // MARK: - Reading

    /// Reads a model file from disk.
    ///
    /// - Parameters:
    ///   - url: a file URL.
    ///   - maxBytes: a larger file is refused before it is read (default 1 GiB).
    ///   - customLayers: custom layer types the file may hold, beyond the engine's.
    public init(contentsOf url: URL, maxBytes: Int = 1 << 30, customLayers: [any ArchivableLayer<Double>.Type] = []) throws {
        let name = url.isFileURL ? url.path : url.absoluteString
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        } catch {
            throw ModelFileError.unreadable(file: name, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw ModelFileError.unreadable(file: name, reason: "is not a regular file")
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > maxBytes {
            throw ModelFileError.unreadable(file: name, reason: "is \(size) bytes, over the \(maxBytes)-byte limit")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw ModelFileError.unreadable(file: name, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard data.count <= maxBytes else { throw ModelFileError.unreadable(file: name, reason: "is over the \(maxBytes)-byte limit") }
        try self.init(bytes: [UInt8](data), name: name, customLayers: customLayers)
    }

    /// Reads a model file from its bytes; `name` names it in errors.
    public init(bytes: [UInt8], name: String, customLayers: [any ArchivableLayer<Double>.Type] = []) throws {
        let parts = try Container.split(bytes, file: name, versions: 1...Self.formatVersion)
        let json: JSON
        do {
            json = try JSONReader.parse(Array(parts.description))
        } catch JSONReader.Failure.syntax(let message, let offset) {
            throw ModelFileError.unreadable(file: name, reason: "the model description is not valid JSON at byte \(offset) of it: \(message)")
        }
        let registry: [String: any ArchivableLayer<Double>.Type]
        do {
            registry = try LayerTypes.registry(adding: customLayers)
        } catch let error as ModelFileError {
            throw ModelFileError.unreadable(file: name, reason: error.errorDescription ?? "\(error)")
        }
        // The top level: {"metadata", "tensors", "model"}.
        var head = try LayerDecoder(context: DecodingContext(file: name, bytes: [], dataOffset: 0, entries: [], registry: registry,
                                                             version: parts.version),
                                    path: "(top level)", json: json, inputCount: 0)
        let metadata = try Self.metadata(&head)
        let entries = try Self.tensorTable(&head, dataLength: parts.dataLength)
        let context = DecodingContext(file: name, bytes: bytes, dataOffset: parts.dataOffset, entries: entries, registry: registry,
                                      version: parts.version)
        let model = try ModelCoding.decode(try head.raw("model"), context: context, path: "model")
        try head.finish()
        if let unused = context.used.firstIndex(of: false) {
            throw ModelFileError.invalid(file: name, path: "tensors[\(unused)]", message: "no layer uses this tensor (a file holds only the weights its layers read)")
        }
        self.model = model
        self.metadata = metadata
        self.outputShapes = try ModelCoding.shapes(of: model, file: name, path: "model")
        self.tensorSources = context.sources
        self.version = parts.version
    }

    static func metadata(_ d: inout LayerDecoder) throws -> [String: String] {
        guard case .object(let members) = try d.raw("metadata") else { throw d.fail("must be an object of strings", at: "metadata") }
        guard members.count <= 1024 else { throw d.fail("holds more than 1024 entries", at: "metadata") }
        var out: [String: String] = [:]
        for m in members {
            guard case .string(let s) = m.value else { throw d.fail("must be a string, found \(m.value.typeName)", at: "metadata.\(m.key)") }
            out[m.key] = s
        }
        return out
    }

    /// The tensor table: each entry's type and shape, and an offset that must be exactly where
    /// the previous tensor ends, rounded up to a multiple of 64; the last one ends the data.
    static func tensorTable(_ d: inout LayerDecoder, dataLength: Int) throws -> [TensorEntry] {
        var next = 0
        let entries: [TensorEntry] = try d.decode("tensors", objects: 1 << 20) { t in
            let type = try t.decode("dtype", oneOf: [StoredType.float32, .float64]) { $0.rawValue }
            let shape = try t.decode("shape", each: 0...(1 << 40))
            guard shape.count <= 16 else { throw t.fail("has \(shape.count) axes, more than 16", at: "shape") }
            guard let count = Shapes.count(shape), count <= dataLength / type.size else {
                throw t.fail("a \(type.rawValue) tensor of shape \(LayerDecoder.describe(shape)) needs more bytes than the \(dataLength) bytes of data", at: "shape")
            }
            let offset = try t.decode("offset", in: 0...Int(Int64.max))
            guard let expected = Container.aligned(next), offset == expected else {
                throw t.fail("is \(offset); tensors follow each other in table order, each at the next multiple of 64 after the one before (here \(Container.aligned(next) ?? -1))", at: "offset")
            }
            guard offset + count * type.size <= dataLength else {
                throw t.fail("a tensor of \(count * type.size) bytes at \(offset) ends past the \(dataLength) bytes of data", at: "offset")
            }
            next = offset + count * type.size
            return TensorEntry(type: type, shape: shape, offset: offset, count: count)
        }
        guard next == dataLength else {
            throw d.fail("the tensors end at byte \(next) of the data, which is \(dataLength) bytes long (bytes no tensor holds)", at: "tensors")
        }
        return entries
    }

    // MARK: - Writing

    /// The bytes of a model file holding `model`.
    ///
    /// Each weight is stored in float32 when every one of its values is exactly a float32 number
    /// (always, for a model read from a Keras file) and in float64 otherwise, so that reading the
    /// file back gives the same bits. Identical weights (a layer called twice) are stored once.
    ///
    /// - Parameters:
    ///   - metadata: strings recorded with the model (`source`, `keras_version`, ...).
    ///   - customLayers: custom layer types the model holds (each must conform to `ArchivableLayer`).
    /// - Throws: `ModelFileError.notArchivable` naming the node, for a layer type with no file form.
    public static func encode<S: EngineScalar>(
        _ model: Model<S>, metadata: [String: String] = [:], customLayers: [any ArchivableLayer<Double>.Type] = []
    ) throws -> [UInt8] {
        let context = EncodingContext(registry: try LayerTypes.registry(adding: customLayers))
        let body = try ModelCoding.encode(model, context: context, path: "model")
        let meta = JSON.object(metadata.keys.sorted().map { .init(key: $0, value: .string(metadata[$0]!)) })
        let description = JSON.object([.init(key: "metadata", value: meta), .init(key: "tensors", value: context.table),
                                       .init(key: "model", value: body)])
        return Container.assemble(version: context.version, description: description.bytes, data: context.data)
    }

    /// Writes `model` as `encode` does, then reads the bytes back and checks that writing what
    /// was read gives the same bytes: nothing the model holds was lost on the way.
    public static func encodeVerified<S: EngineScalar>(
        _ model: Model<S>, metadata: [String: String] = [:], customLayers: [any ArchivableLayer<Double>.Type] = []
    ) throws -> [UInt8] {
        let bytes = try encode(model, metadata: metadata, customLayers: customLayers)
        let back = try ModelFile(bytes: bytes, name: "(the file just written)", customLayers: customLayers)
        guard try encode(back.model, metadata: back.metadata, customLayers: customLayers) == bytes else {
            throw ModelFileError.notArchivable(path: "model '\(model.name)'", reason: "the file read back differs from the model written (a layer type's encode and init(from:) disagree)")
        }
        return bytes
    }
}
