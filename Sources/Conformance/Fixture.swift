import Foundation
import HDF5
import KerasImport
import RNNEngine

/// A conformance fixture (format version 1, see `fixtures/README.md`): a model as Keras saved
/// it, inputs, Keras's outputs, optional tolerances and provenance, in one HDF5 file.
public struct Fixture: Sendable {
    public var path: String
    public var name: String
    public var description: String
    /// The bytes of the model file Keras wrote, and the name it was saved under.
    public var modelBytes: [UInt8]
    public var modelFilename: String
    /// The model config, for formats that keep it apart from the weights (`/model/config`).
    public var modelConfig: String?
    public var reference: ReferenceData
    /// Keras's float64 outputs, every layer's outputs, stored tolerances and provenance.
    public var extras: ReferenceExtras

    /// Keras's float64 run of the same model, when the fixture has one.
    public var referenceFloat64: [Tensor<Double>]? { extras.float64 }
    /// Tolerance overrides stored in the fixture (`/tolerances`), and why.
    public var toleranceOverride: (atol: Double?, rtol: Double?, reason: String?) { extras.toleranceOverride }
    public var provenance: [String: String] { extras.provenance }

    public static let formatVersion: Int64 = 1

    public static func read(path: String) throws -> Fixture {
        let file = try HDF5.File.open(path)
        let root = try file.root
        guard try root.hasAttribute("rnncheck_fixture") else {
            throw ConformanceError.unusable(file: path, object: "/", reason: "not an rnncheck fixture (no @rnncheck_fixture attribute; use `rnncheck compare` for plain reference files)")
        }
        let version = try root.attribute("rnncheck_fixture").intValue
        guard version == formatVersion else {
            throw ConformanceError.unusable(file: path, object: "/@rnncheck_fixture", reason: "format version \(version.map(String.init) ?? "?") is not \(formatVersion)")
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = try root.hasAttribute("name") ? (try root.attribute("name").stringValue ?? stem) : stem
        let description = try root.hasAttribute("description") ? (try root.attribute("description").stringValue ?? "") : ""
        guard try root.kind(of: "model/file") == .dataset else {
            throw ConformanceError.unusable(file: path, object: "/model/file", reason: "missing dataset (the bytes of the Keras model file)")
        }
        let modelGroup = try root.group("model")
        let modelDataset = try modelGroup.dataset("file")
        guard modelDataset.elementType == .uint8 || modelDataset.elementType == .int8 else {
            throw ConformanceError.unusable(file: path, object: "/model/file", reason: "holds \(modelDataset.elementType), expected uint8 bytes")
        }
        let bytes = try modelDataset.read(as: UInt8.self)
        let filename = try modelGroup.hasAttribute("filename") ? (try modelGroup.attribute("filename").stringValue ?? "model.keras") : "model.keras"
        var config: String?
        if try modelGroup.kind(of: "config") == .dataset {
            config = try modelGroup.dataset("config").readStrings().first
        }
        let reference = try ReferenceData.read(from: root, file: path)
        let extras = try ReferenceExtras.read(root: root, file: path, outputCount: reference.outputs.count)
        return Fixture(path: path, name: name, description: description, modelBytes: bytes, modelFilename: filename,
                       modelConfig: config, reference: reference, extras: extras)
    }

    /// The largest tolerance a fixture may store (atol and rtol alike): see `StoredTolerance.ceiling`.
    public static let toleranceCeiling = StoredTolerance.ceiling

    /// Loads the embedded model exactly as `rnncheck compare` loads a file from disk.
    public func loadModel() throws -> LoadedModel {
        let name = "\(path)!/model/file (\(modelFilename))"
        if let modelConfig {
            return try KerasModelLoader.load(bytes: modelBytes, name: name,
                                             config: (Data(modelConfig.utf8), "\(path)!/model/config"))
        }
        return try KerasModelLoader.load(bytes: modelBytes, name: name)
    }
}
