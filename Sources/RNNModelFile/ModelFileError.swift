import Foundation

/// Why a model file could not be written or read. Every case names the file and what is wrong.
public enum ModelFileError: Error, LocalizedError, Equatable {
    /// The file as a whole: not a model file, truncated, another version, a checksum that does
    /// not match, sizes it does not hold.
    case unreadable(file: String, reason: String)
    /// The model description at `path` (`model.nodes[3].layer.cell.units`) is not what the format
    /// allows.
    case invalid(file: String, path: String, message: String)
    /// A layer the model holds cannot be written: a custom layer type that does not conform to
    /// `ArchivableLayer`, or a value the format has no room for.
    case notArchivable(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): \(reason)"
        case .invalid(let file, let path, let message):
            return "\(file): model description at \(path): \(message)"
        case .notArchivable(let path, let reason):
            return "cannot write \(path) to an rnncheck model file: \(reason)"
        }
    }
}
