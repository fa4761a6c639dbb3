import Foundation
import HDF5

/// Sentences for the mistakes users make on day one: a reference written one dataset per batch
/// row, MODEL and REF given the other way round, a TensorFlow SavedModel folder as MODEL.
enum Hints {
    /// When a file's `input_*` / `output_*` datasets each look like one batch row of the
    /// model's single input or output (`row`: its shape without the batch axis), the sentence
    /// that says so and what to do; else "".
    static func rowsHint(kind: String, files: [[Int]], row: [Int?]?) -> String {
        guard files.count > 1, let row, let first = files.first, files.allSatisfy({ $0 == first }),
              first.count == row.count, zip(first, row).allSatisfy({ $1 == nil || $0 == $1 }) else { return "" }
        return ". The file's \(kind)_0 ... \(kind)_\(files.count - 1) each have shape \(shapeText(first)), the shape of one batch "
            + "row of the model's \(kind) (batch, \(first.map(String.init).joined(separator: ", "))): the file was probably written "
            + "by enumerating the array itself (`for i, x in enumerate(array)`), which writes one dataset per batch row. Store the "
            + "whole array as \(kind)_0 (enumerate a list of arrays: `[x]`), or write the reference with rnncheck-ref"
    }

    /// The first bytes of a regular file, or nil when it is not one or cannot be read. (Opening
    /// a FIFO would block until a writer comes; the loader refuses such a path with its own sentence.)
    static func magic(_ path: String, count: Int = 8) -> [UInt8]? {
        guard let type = (try? FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path))?[.type]
                  as? FileAttributeType,
              type == .typeRegular, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: count)).map { Array($0) }
    }

    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether `path` is an HDF5 file with root `input_0` or `@rnncheck_fixture`: a reference,
    /// not a model; and whether it embeds its model (`/model/file`).
    static func referenceKind(_ path: String) -> (isReference: Bool, embedsModel: Bool) {
        guard magic(path) == hdf5Signature, let file = try? HDF5.File.open(path), let root = try? file.root else { return (false, false) }
        let isFixture = (try? root.hasAttribute("rnncheck_fixture")) == true
        let hasInput = (try? root.kind(of: "input_0")) == .dataset
        let embeds = (try? root.kind(of: "model/file")) == .dataset
        return (isFixture || hasInput, embeds)
    }

    /// Refuses, with a sentence that says what to do, a MODEL that is a SavedModel folder or
    /// another directory, and MODEL and REF given the other way round.
    static func checkCompareArguments(modelPath: String, referencePath: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDirectory), isDirectory.boolValue {
            let savedModel = FileManager.default.fileExists(atPath: (modelPath as NSString).appendingPathComponent("saved_model.pb"))
            if savedModel {
                throw ConformanceError.unusable(
                    file: modelPath, object: "",
                    reason: "is a TensorFlow SavedModel folder: it holds TensorFlow graphs, not a Keras model config and weights, "
                        + "so rnncheck cannot read it. Compare the Keras file the model was saved from instead. A SavedModel written "
                        + "by tf.keras (`model.save(\"DIR\")`, TensorFlow 2.15 or older) can be turned into one: "
                        + "`tf_keras.models.load_model(\"DIR\").save(\"model.h5\")`; a Keras 3 export (`model.export`) cannot, "
                        + "so save the original model with `model.save(\"model.keras\")`")
            }
            throw ConformanceError.unusable(
                file: modelPath, object: "",
                reason: "is a directory; MODEL is a Keras file: a .keras archive, a Keras 2 .h5, or a .weights.h5 with --config config.json")
        }
        Runner.reading(modelPath)
        let model = referenceKind(modelPath)
        guard model.isReference else { return }
        Runner.reading(referencePath)
        let reference = referenceKind(referencePath)
        if !reference.isReference, FileManager.default.fileExists(atPath: referencePath) {
            throw ConformanceError.unusable(
                file: modelPath, object: "",
                reason: "is a reference file (it holds input_0 / output_0 datasets), not a Keras model, and \(referencePath) looks like "
                    + "the model: MODEL and REF seem swapped. The model comes first: rnncheck compare \(referencePath) \(modelPath)")
        }
        throw ConformanceError.unusable(
            file: modelPath, object: "",
            reason: "is a reference file (it holds input_0 / output_0 datasets), not a Keras model"
                + (model.embedsModel ? "; it embeds its model, so `rnncheck verify \(modelPath)` checks it against that model" : "")
                + ". Give the Keras model file first: rnncheck compare MODEL REF")
    }
}

extension ContinuousClock.Instant {
    /// Seconds from this instant to now.
    var secondsSince: Double {
        let d = ContinuousClock.now - self
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
