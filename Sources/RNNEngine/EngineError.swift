import Foundation

/// What can go wrong when a model runs on given inputs.
public enum EngineError: Error, LocalizedError, Equatable {
    case shapeMismatch(what: String, expected: String, actual: [Int])
    case invalidInput(String)

    public var errorDescription: String? {
        switch self {
        case .shapeMismatch(let what, let expected, let actual):
            return "\(what) has shape \(Self.format(actual)), expected \(expected)."
        case .invalidInput(let message):
            return message.hasSuffix(".") ? message : message + "."
        }
    }

    static func format(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }
}
