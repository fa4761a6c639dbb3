import Foundation

/// Everything that can go wrong in the `HDF5` module.
///
/// Every case names the file (`File.path`, or the name given to `File.open(image:name:)`) and the
/// object inside it. Attributes are named `<object path>@<attribute name>`, for example
/// `/model_weights/lstm@weight_names`.
///
/// `errorDescription` is one sentence a user can act on, for example
/// `/tmp/x.h5: /layers/lstm/cell/vars/0: dataset is float64, expected float32.`
public enum HDF5Error: Error, LocalizedError, Equatable, Sendable {
    /// The file is missing, empty, truncated, a directory, or not an HDF5 file at all.
    case notHDF5(file: String, detail: String)
    /// A libhdf5 call failed; `detail` is the libhdf5 error stack folded into one line.
    case callFailed(function: String, file: String, object: String, detail: String)
    /// No group, dataset or attribute of that name.
    case notFound(file: String, object: String)
    /// The object exists but is of another kind, e.g. expected "dataset", actual "group".
    case wrongKind(file: String, object: String, expected: String, actual: String)
    /// The element type does not fit the request, e.g. expected "float32", actual "string".
    case wrongType(file: String, object: String, expected: String, actual: String)
    /// Reading it could touch another file or is otherwise unsafe: external link, external raw
    /// storage, virtual dataset, user-defined link, soft link loop.
    case refused(file: String, object: String, reason: String)
    /// Reading it needs more memory than `HDF5Library.maxReadBytes` allows.
    case tooLarge(file: String, object: String, bytes: Int, limit: Int)

    public var errorDescription: String? {
        switch self {
        case let .notHDF5(file, detail):
            return "\(file) is not an HDF5 file (\(Self.fragment(detail)))."
        case let .callFailed(function, file, object, detail):
            return "\(file): \(object): \(function) failed (\(Self.fragment(detail)))."
        case let .notFound(file, object):
            return "\(file): \(object): no such \(Self.isAttribute(object) ? "attribute" : "group or dataset")."
        case let .wrongKind(file, object, expected, actual):
            return "\(file): \(object): is \(Self.withArticle(actual)), expected \(Self.withArticle(expected))."
        case let .wrongType(file, object, expected, actual):
            let noun = Self.isAttribute(object) ? "attribute" : "dataset"
            return "\(file): \(object): \(noun) is \(actual), expected \(expected)."
        case let .refused(file, object, reason):
            return "\(file): \(object): refused to read it (\(Self.fragment(reason)))."
        case let .tooLarge(file, object, bytes, limit):
            let needed = bytes == Int.max ? "more than \(Int.max) bytes" : "\(bytes) bytes"
            return "\(file): \(object): reading it needs \(needed), more than the limit of "
                + "\(limit) bytes (HDF5Library.maxReadBytes)."
        }
    }

    /// `detail` without a trailing full stop, so that it fits inside a sentence.
    private static func fragment(_ text: String) -> String {
        var text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(".") { text.removeLast() }
        return text.isEmpty ? "no details" : text
    }

    /// True for the `<object path>@<attribute name>` names this module gives attributes.
    private static func isAttribute(_ object: String) -> Bool {
        guard let at = object.lastIndex(of: "@") else { return false }
        guard let slash = object.lastIndex(of: "/") else { return true }
        return at > slash
    }

    private static func withArticle(_ noun: String) -> String {
        guard let first = noun.first else { return noun }
        return ("aeiou".contains(first) ? "an " : "a ") + noun
    }
}

/// The name this module gives an attribute in errors: `<object path>@<attribute name>`.
func attributeObjectName(_ objectPath: String, _ name: String) -> String {
    "\(objectPath)@\(name)"
}
