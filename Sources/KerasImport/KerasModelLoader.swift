import Foundation
import CSystem
import HDF5
import RNNModelFile
import RNNEngine
import ZIPFoundation

/// A Keras model read from a file, with an account of where everything came from.
public struct LoadedModel: Sendable {
    /// The model with its weights as stored (float32 weights are exact in float64).
    public var model: Model<Double>
    /// What kind of file it was.
    public var format: KerasFileFormat
    /// `keras_version` from the file's metadata, when it records one.
    public var kerasVersion: String?
    /// For each layer, the weight paths read, in order.
    public var weightSources: [String: [String]]
    /// Semantics chosen where Keras versions differ, and parts of the file that were ignored.
    public var notes: [String]
    /// Each node's output shapes without the batch axis (nil: any size), as the config implies.
    public var outputShapes: [[SymbolicShape]] = []
    /// With `lenient` loading: every unsupported layer or option found (the model cannot run).
    public var problems: [String] = []
}

/// The file formats rnncheck reads.
public enum KerasFileFormat: String, Sendable {
    /// A Keras 3 `.keras` zip archive: `config.json`, `metadata.json`, `model.weights.h5`.
    case kerasArchive = "Keras 3 .keras archive"
    /// A Keras 3 `.weights.h5` file plus a separate config.
    case keras3Weights = "Keras 3 .weights.h5"
    /// A Keras 2 / tf.keras full-model `.h5` (or Keras 3's legacy `.h5` save).
    case legacyFullModel = "Keras 2 / tf.keras full-model .h5"
    /// A Keras 2 / tf.keras weights-only `.h5` plus a separate config.
    case legacyWeights = "Keras 2 / tf.keras weights-only .h5"
    /// rnncheck's own model file (`rnncheck export`, docs/model-format.md).
    case rnncheckModel = "rnncheck model file (.rnn)"
}

/// Reads Keras model files into engine models.
///
/// For a model ready to run in float32 in one call, use `Model<Float>(kerasFile:)`
/// (``RNNEngine/Model/init(kerasFile:configPath:customLayers:)``); the loader also returns what
/// the file recorded beside the model.
public enum KerasModelLoader {
    /// Loads a model file from disk, with its weights in float64 (exact for Keras's float32
    /// weights): `loaded.model.converted(to: Float.self)` computes in float32 as Keras does.
    ///
    /// - Parameters:
    ///   - path: a `.keras` archive, or a `.weights.h5` file (then `configPath` is required).
    ///   - configPath: a JSON model config (`config.json` from a `.keras` archive, or `model.to_json()`).
    ///   - lenient: record unsupported layers in `problems` instead of failing on the first (for
    ///     `inspect`; such a model cannot run).
    ///   - customLayers: implementations of custom layer classes, by registered name (`"demo>Scale"`).
    public static func load(
        path: String, configPath: String? = nil, lenient: Bool = false, customLayers: [String: CustomLayer] = [:]
    ) throws -> LoadedModel {
        let bytes = try readFile(path)
        var config: (Data, String)?
        if let configPath {
            config = (Data(try readFile(configPath)), configPath)
        }
        return try load(bytes: bytes, name: path, config: config, lenient: lenient, customLayers: customLayers)
    }

    /// Loads a model from the bytes of a Keras file (for fixtures, which embed the file).
    public static func load(
        bytes: [UInt8], name: String, config: (data: Data, name: String)? = nil, lenient: Bool = false,
        customLayers: [String: CustomLayer] = [:]
    ) throws -> LoadedModel {
        if ModelFile.hasSignature(bytes) {
            if config != nil {
                throw ImportError.unreadable(file: name, reason: "an rnncheck model file carries its own model; do not pass --config")
            }
            return try loadModelFile(bytes: bytes, name: name)
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            if config != nil {
                throw ImportError.unreadable(file: name, reason: "a .keras archive carries its own config; do not pass --config")
            }
            return try loadArchive(bytes: bytes, name: name, lenient: lenient, customLayers: customLayers)
        }
        if bytes.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            let file = try HDF5.File.open(image: bytes, name: name)
            let root = try file.root
            if try root.kind(of: "layers") == .group {
                guard let config else {
                    throw ImportError.unreadable(file: name, reason: "a Keras 3 .weights.h5 file holds no model config; pass the model's config.json with --config")
                }
                let json = try JSONValue(parsing: config.data, file: config.name, rootName: "config")
                return try build(configJSON: json, store: Keras3WeightStore(file: name, root: root), weightsRoot: root,
                                 weightsName: name, format: .keras3Weights, kerasVersion: nil, lenient: lenient, customLayers: customLayers)
            }
            if try root.hasAttribute("model_config") {
                var extraNotes: [String] = []
                if try root.kind(of: "optimizer_weights") != .missing { extraNotes.append("ignored /optimizer_weights (optimizer state)") }
                if try root.hasAttribute("training_config") { extraNotes.append("ignored @training_config") }
                if config != nil {
                    throw ImportError.unreadable(file: name, reason: "a full-model .h5 carries its own model_config; do not pass --config")
                }
                guard let text = try root.attribute("model_config").stringValue else {
                    throw ImportError.unreadable(file: name, reason: "@model_config is not a string")
                }
                guard try root.kind(of: "model_weights") == .group else {
                    throw ImportError.unreadable(file: name, reason: "no /model_weights group")
                }
                let weightsRoot = try root.group("model_weights")
                let version = try kerasVersion(of: root) ?? kerasVersion(of: weightsRoot)
                let json = try JSONValue(parsing: Data(text.utf8), file: "\(name)@model_config", rootName: "model_config")
                let store = try Keras2WeightStore(file: name, root: weightsRoot, rootPath: "/model_weights")
                var loaded = try build(configJSON: json, store: store, weightsRoot: weightsRoot, weightsName: name,
                                       format: .legacyFullModel, kerasVersion: version, lenient: lenient, customLayers: customLayers)
                loaded.notes += extraNotes
                return loaded
            }
            if try root.hasAttribute("layer_names") {
                guard let config else {
                    throw ImportError.unreadable(file: name, reason: "a weights-only .h5 file holds no model config; pass the model's JSON (model.to_json()) with --config")
                }
                let json = try JSONValue(parsing: config.data, file: config.name, rootName: "config")
                let store = try Keras2WeightStore(file: name, root: root, rootPath: "")
                return try build(configJSON: json, store: store, weightsRoot: root, weightsName: name,
                                 format: .legacyWeights, kerasVersion: try kerasVersion(of: root), lenient: lenient, customLayers: customLayers)
            }
            throw ImportError.unreadable(file: name, reason: "an HDF5 file, but not one Keras wrote (no 'layers' group, no 'model_config' or 'layer_names' attribute)")
        }
        if bytes.isEmpty {
            throw ImportError.unreadable(file: name, reason: "the file is empty")
        }
        throw ImportError.unreadable(file: name, reason: "not a Keras model file (neither a .keras zip archive nor an HDF5 file, nor an rnncheck .rnn model file)")
    }

    /// An rnncheck model file (`rnncheck export`): the engine model as exported, with the Keras
    /// semantics chosen then. Custom layers cannot be in one read here.
    static func loadModelFile(bytes: [UInt8], name: String) throws -> LoadedModel {
        let file = try ModelFile(bytes: bytes, name: name)
        var notes = ["rnncheck model file, format version \(file.version)"]
        let origin = ["source", "source_format", "keras_version", "producer"].compactMap { key in file.metadata[key].map { "\(key) \($0)" } }
        if !origin.isEmpty { notes.append("exported from: " + origin.joined(separator: ", ")) }
        return LoadedModel(model: file.model, format: .rnncheckModel, kerasVersion: file.metadata["keras_version"],
                           weightSources: file.tensorSources, notes: notes, outputShapes: file.outputShapes)
    }

    /// The bytes of a regular file, refused before reading when it is anything else (a FIFO would
    /// block for ever, a device could be endless) or larger than `HDF5Library.maxReadBytes`.
    static func readFile(_ path: String) throws -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ImportError.unreadable(file: path, reason: "no such file") }
            throw ImportError.unreadable(file: path, reason: "cannot be read (\(String(cString: strerror(code))))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw ImportError.unreadable(file: path, reason: "is a directory, not a model file")
        case S_IFIFO: throw ImportError.unreadable(file: path, reason: "is a FIFO (named pipe), not a regular file; rnncheck reads model files only")
        case S_IFCHR, S_IFBLK: throw ImportError.unreadable(file: path, reason: "is a device, not a regular file; rnncheck reads model files only")
        default: throw ImportError.unreadable(file: path, reason: "is not a regular file")
        }
        let limit = HDF5Library.maxReadBytes
        guard Int(info.st_size) <= limit else {
            throw ImportError.unreadable(file: path, reason: "is \(info.st_size) bytes, over the \(limit)-byte read limit (--max-read-bytes)")
        }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw ImportError.unreadable(file: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress! + done, raw.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw ImportError.unreadable(file: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
            }
            guard n > 0 else { throw ImportError.unreadable(file: path, reason: "became shorter while it was read") }
            done += n
        }
        return bytes
    }

    static func loadArchive(bytes: [UInt8], name: String, lenient: Bool = false, customLayers: [String: CustomLayer] = [:]) throws -> LoadedModel {
        // The archive's copy and the extracted weights member are gone before the weights are
        // read (libhdf5 holds its own image of the member), so they and the float64 weights are
        // never all in memory at once.
        let weightsName = "\(name)!model.weights.h5"
        let (json, kerasVersion, file) = try openArchive(bytes: bytes, name: name, weightsName: weightsName)
        let root = try file.root
        return try build(configJSON: json, store: Keras3WeightStore(file: weightsName, root: root), weightsRoot: root,
                         weightsName: weightsName, format: .kerasArchive, kerasVersion: kerasVersion, lenient: lenient, customLayers: customLayers)
    }

    /// A `.keras` archive's config, Keras version and weights file (the member opened as
    /// `weightsName`).
    static func openArchive(bytes: [UInt8], name: String, weightsName: String) throws -> (config: JSONValue, kerasVersion: String?, weights: HDF5.File) {
        try ZipPrecheck.validate(bytes, file: name)
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw ImportError.unreadable(file: name, reason: "not a readable zip archive (\(error))")
        }
        /// A member's bytes. JSON members are bounded by the config size limit, and a member that
        /// must be HDF5 is refused as soon as its first bytes show it is not, before the rest is
        /// inflated; every member is bounded by `HDF5Library.maxReadBytes` as it inflates.
        func member(_ memberName: String, json: Bool = false) throws -> Data? {
            guard let entry = archive[memberName] else { return nil }
            guard entry.type == .file else {
                throw ImportError.unreadable(file: name, reason: "archive member \(memberName) is not a file")
            }
            let limit = json ? min(HDF5Library.maxReadBytes, StrictJSONParser.maxBytes) : HDF5Library.maxReadBytes
            guard entry.uncompressedSize <= UInt64(limit) else {
                throw ImportError.unreadable(file: name, reason: "archive member \(memberName) claims \(entry.uncompressedSize) bytes, over the \(limit)-byte read limit\(json ? " for a JSON document" : "")")
            }
            let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
            let mustBeHDF5 = memberName.hasSuffix(".h5")
            var data = Data(capacity: Int(entry.uncompressedSize))
            // The checksum by zlib as the chunks arrive (ZIPFoundation's own goes a byte at a time).
            var checksum: UInt = 0
            do {
                _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
                    checksum = chunk.withUnsafeBytes { csystem_crc32(checksum, $0.baseAddress, UInt32($0.count)) }
                    data.append(chunk)
                    if data.count > Int(entry.uncompressedSize) {
                        throw ImportError.unreadable(file: name, reason: "archive member \(memberName) holds more data than its header says")
                    }
                    if mustBeHDF5, data.count >= signature.count, data.count - chunk.count < signature.count,
                       !data.prefix(signature.count).elementsEqual(signature) {
                        throw ImportError.unreadable(file: name, reason: "archive member \(memberName) is not an HDF5 file (no HDF5 signature at its start, where Keras writes one)")
                    }
                }
            } catch let error as ImportError {
                throw error
            } catch {
                throw ImportError.unreadable(file: name, reason: "archive member \(memberName) cannot be extracted (\(error))")
            }
            guard checksum == UInt(entry.checksum) else {
                throw ImportError.unreadable(file: name, reason: "archive member \(memberName) is corrupt (CRC-32 \(String(checksum, radix: 16)) differs from the recorded \(String(entry.checksum, radix: 16)))")
            }
            return data
        }
        guard let configData = try member("config.json", json: true) else {
            throw ImportError.unreadable(file: name, reason: "the archive has no config.json member")
        }
        let json = try JSONValue(parsing: configData, file: "\(name)!config.json", rootName: "config")
        var metadata: JSONValue?
        if let bytes = try member("metadata.json", json: true) {
            metadata = try JSONValue(parsing: bytes, file: "\(name)!metadata.json", rootName: "metadata")
        }
        let kerasVersion = try kerasVersion(metadata: metadata, config: json)
        guard let weightsData = try member("model.weights.h5") else {
            throw ImportError.unreadable(file: name, reason: "the archive has no model.weights.h5 member")
        }
        return (json, kerasVersion, try HDF5.File.open(image: weightsData, name: weightsName))
    }

    /// The Keras version that wrote an archive: `metadata.json`'s `keras_version`. A config that
    /// records a version of its own (as `model.to_json()` does) must agree with it.
    static func kerasVersion(metadata: JSONValue?, config: JSONValue) throws -> String? {
        let recorded = try metadata?.optional("keras_version")?.string()
        for holder in [config, try config.optional("config")].compactMap({ $0 }) {
            guard let own = try holder.optional("keras_version") else { continue }
            let version = try own.string()
            if let recorded, recorded != version {
                throw own.fail("keras_version '\(version)' contradicts metadata.json's keras_version '\(recorded)'; the two version records must agree, because the version chooses Keras 2 or Keras 3 semantics")
            }
            if recorded == nil { return version }
        }
        return recorded
    }

    /// `@keras_version` of an HDF5 group. On a full-model file's root, the version recorded in
    /// `@model_config` and on `/model_weights` must agree with it.
    static func kerasVersion(of holder: AttributeHolder) throws -> String? {
        guard try holder.hasAttribute("keras_version") else { return nil }
        guard let version = try holder.attribute("keras_version").stringValue else {
            throw ImportError.unreadable(file: holder.file.path, reason: "\(holder.objectPath == "/" ? "" : holder.objectPath)@keras_version is not a string")
        }
        if let group = holder as? Group, group.objectPath == "/" {
            if try group.kind(of: "model_weights") == .group {
                let weights = try group.group("model_weights")
                if try weights.hasAttribute("keras_version"), let other = try weights.attribute("keras_version").stringValue, other != version {
                    throw ImportError.unreadable(file: holder.file.path, reason: "/model_weights@keras_version '\(other)' contradicts @keras_version '\(version)'; the version records must agree, because the version chooses Keras 2 or Keras 3 semantics")
                }
            }
            if try group.hasAttribute("model_config"), let text = try group.attribute("model_config").stringValue {
                let config = try JSONValue(parsing: Data(text.utf8), file: "\(holder.file.path)@model_config", rootName: "model_config")
                if let own = try config.optional("keras_version"), try own.string() != version {
                    throw own.fail("keras_version '\(try own.string())' contradicts @keras_version '\(version)'; the version records must agree, because the version chooses Keras 2 or Keras 3 semantics")
                }
            }
        }
        return version
    }

    static func build(
        configJSON: JSONValue, store: WeightStore, weightsRoot: Group, weightsName: String, format: KerasFileFormat,
        kerasVersion: String?, lenient: Bool = false, customLayers: [String: CustomLayer] = [:]
    ) throws -> LoadedModel {
        // hard_sigmoid and a few defaults differ between Keras 2 and 3: the file's version decides.
        let major = kerasVersion.flatMap { Int($0.split(separator: ".").first ?? "") } ?? (store.usesKeys ? 3 : 2)
        var builder = GraphBuilder(file: configJSON.file, store: store, kerasMajor: major, lenient: lenient)
        builder.customLayers = customLayers
        var top = configJSON
        // tf.keras may wrap the model config: {"class_name": ..., "config": ...} is the model itself.
        if !top.has("class_name"), let inner = try top.optional("config") { top = inner }
        let className = try top.string("class_name")
        let model: Model<Double>
        switch className {
        case "Sequential":
            model = try builder.sequential(try top["config"])
        case "Functional", "Model":
            model = try builder.functional(try top["config"])
        default:
            throw ImportError.unsupported(file: configJSON.file, layer: "(model)", what: "model class '\(className)'")
        }
        do {
            try store.checkAllConsumed()
        } catch let error as ImportError where lenient && !builder.problems.isEmpty {
            builder.problems.append((error.errorDescription ?? "\(error)") + " (unsupported layers' weights are not read)")
        }
        var notes = builder.notes
        notes.insert("\(format.rawValue), written by Keras \(kerasVersion ?? "(version not recorded)"); Keras \(major) semantics", at: 0)
        if store.usesKeys {
            for child in try weightsRoot.childNames() where child != "layers" {
                if child == "vars", try weightsRoot.kind(of: "vars") == .group, try weightsRoot.group("vars").childNames().isEmpty {
                    continue
                }
                notes.append("ignored /\(child) in \(weightsName) (\(child == "optimizer" ? "optimizer state" : "not model weights"))")
            }
        }
        return LoadedModel(model: model, format: format, kerasVersion: kerasVersion, weightSources: builder.weightSources,
                           notes: notes, outputShapes: builder.shapes, problems: builder.problems)
    }
}
