import Foundation

/// Why a fixture or reference file cannot be used (exit code 2).
public enum ConformanceError: Error, LocalizedError, Equatable {
    case unusable(file: String, object: String, reason: String)
    case noFixtures(path: String)

    public var errorDescription: String? {
        switch self {
        case .unusable(let file, let object, let reason):
            return object.isEmpty ? "\(file): \(reason)" : "\(file): \(object): \(reason)"
        case .noFixtures(let path):
            return "\(path): no fixture files (*.h5) found."
        }
    }
}
