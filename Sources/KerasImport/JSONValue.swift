import Foundation

/// A parsed JSON document that remembers where each value sits, so that every error names
/// the exact place in the config (`config.layers[2].config.units`).
struct JSONValue {
    indirect enum Storage: Decodable {
        case null, bool(Bool), number(Double), string(String), array([Storage]), object([String: Storage])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null; return }
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let n = try? c.decode(Double.self) { self = .number(n); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
            if let a = try? c.decode([Storage].self) { self = .array(a); return }
            self = .object(try c.decode([String: Storage].self))
        }
    }

    let storage: Storage
    /// The JSON path of this value.
    let path: String
    /// The file the document came from, for errors.
    let file: String

    init(parsing data: Data, file: String, rootName: String = "config") throws {
        let decoder = JSONDecoder()
        // Python's json module writes NaN and Infinity for non-finite floats; JSON5 accepts them.
        decoder.allowsJSON5 = true
        do {
            storage = try decoder.decode(Storage.self, from: data)
        } catch {
            throw ImportError.config(file: file, path: rootName, message: "not valid JSON (\(error))")
        }
        self.path = rootName
        self.file = file
    }

    init(storage: Storage, path: String, file: String) {
        self.storage = storage
        self.path = path
        self.file = file
    }

    func fail(_ message: String) -> ImportError {
        .config(file: file, path: path, message: message)
    }

    var isNull: Bool { if case .null = storage { return true } else { return false } }

    var typeName: String {
        switch storage {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    var keys: [String] {
        if case .object(let o) = storage { return o.keys.sorted() }
        return []
    }

    func has(_ key: String) -> Bool {
        if case .object(let o) = storage { return o[key] != nil }
        return false
    }

    /// The member `key`; throws if this is not an object or the key is missing.
    subscript(key: String) -> JSONValue {
        get throws {
            guard case .object(let o) = storage else { throw fail("expected an object, found \(typeName)") }
            guard let v = o[key] else {
                throw ImportError.config(file: file, path: path, message: "missing key '\(key)'")
            }
            return JSONValue(storage: v, path: "\(path).\(key)", file: file)
        }
    }

    /// The member `key`, or nil when it is missing or null.
    func optional(_ key: String) throws -> JSONValue? {
        guard case .object(let o) = storage else { throw fail("expected an object, found \(typeName)") }
        guard let v = o[key] else { return nil }
        if case .null = v { return nil }
        return JSONValue(storage: v, path: "\(path).\(key)", file: file)
    }

    func array() throws -> [JSONValue] {
        guard case .array(let a) = storage else { throw fail("expected a list, found \(typeName)") }
        return a.enumerated().map { JSONValue(storage: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws -> String {
        guard case .string(let s) = storage else { throw fail("expected a string, found \(typeName)") }
        return s
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = storage else { throw fail("expected true or false, found \(typeName)") }
        return b
    }

    func double() throws -> Double {
        guard case .number(let n) = storage else { throw fail("expected a number, found \(typeName)") }
        return n
    }

    func int() throws -> Int {
        let n = try double()
        guard n == n.rounded(), abs(n) < 1e15 else { throw fail("expected a whole number, found \(n)") }
        return Int(n)
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        try optional(key)?.bool() ?? value
    }

    func string(_ key: String) throws -> String { try self[key].string() }

    func int(_ key: String) throws -> Int { try self[key].int() }
}
