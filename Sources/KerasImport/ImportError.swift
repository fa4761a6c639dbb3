import Foundation
import HDF5

/// Why a Keras file could not be turned into a model. Every case names the file and the object.
public enum ImportError: Error, LocalizedError {
    /// The file is missing, unreadable or not a format rnncheck knows.
    case unreadable(file: String, reason: String)
    /// `config.json` / `model_config` is malformed at `path` (a JSON path like `config.layers[2].config.units`).
    case config(file: String, path: String, message: String)
    /// A layer, activation or option rnncheck does not implement.
    case unsupported(file: String, layer: String, what: String)
    /// A layer rnncheck will not run, with why and what to do (`Lambda`, custom classes).
    case refused(file: String, layer: String, reason: String)
    case missingWeight(file: String, layer: String, path: String)
    case extraWeight(file: String, path: String)
    case weightShape(file: String, layer: String, path: String, expected: [Int], actual: [Int])
    case weightType(file: String, path: String, actual: String)
    case hdf5(HDF5Error)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): \(reason)"
        case .config(let file, let path, let message):
            return "\(file): model config at \(path): \(message)"
        case .refused(let file, let layer, let reason):
            return "\(file): layer '\(layer)': \(reason)"
        case .unsupported(let file, let layer, let what):
            return "\(file): layer '\(layer)': \(what) is not supported by rnncheck."
        case .missingWeight(let file, let layer, let path):
            return "\(file): layer '\(layer)': missing weight \(path)."
        case .extraWeight(let file, let path):
            return "\(file): unexpected weight \(path) that no layer of the model config uses."
        case .weightShape(let file, let layer, let path, let expected, let actual):
            return "\(file): layer '\(layer)': weight \(path) has shape \(shapeText(actual)), expected \(shapeText(expected))."
        case .weightType(let file, let path, let actual):
            return "\(file): weight \(path) holds \(actual) values, expected floating-point numbers."
        case .hdf5(let error):
            return error.errorDescription
        }
    }
}

func shapeText(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
}
