import Foundation

/// A parsed JSON document that remembers where each value sits, so that every error names
/// the exact place in the config (`config.layers[2].config.units`).
struct JSONValue {
    indirect enum Storage {
        case null, bool(Bool), number(Double), string(String), array([Storage]), object([String: Storage])
    }

    let storage: Storage
    /// The JSON path of this value.
    let path: String
    /// The file the document came from, for errors.
    let file: String

    /// Parses `data` as Python's `json.loads` reads it (Keras's own reader), and refuses what
    /// Python would read differently or not at all: see `StrictJSONParser`.
    init(parsing data: Data, file: String, rootName: String = "config") throws {
        storage = try StrictJSONParser.parse(data, file: file, rootName: rootName)
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

/// A JSON reader that accepts exactly what Python's `json.loads` accepts (RFC 8259 plus `NaN`,
/// `Infinity` and `-Infinity`, as Python writes non-finite floats), with three refusals where
/// Keras and rnncheck could otherwise read different things or where a small file could ask for
/// unbounded work:
///
/// * a key that appears twice in one object (Python silently keeps the last value; Foundation's
///   decoder keeps one of them) is an error naming the key and the object;
/// * nesting deeper than `maxDepth` and more than `maxValues` values are errors, so that parsing
///   needs bounded stack and memory;
/// * a document larger than `maxBytes` is refused before it is parsed (callers also check it
///   before reading the bytes).
///
/// JSON5 extensions (comments, trailing commas, single quotes, unquoted keys), raw control
/// characters in strings and invalid UTF-8 are refused, as Python refuses them.
enum StrictJSONParser {
    /// The largest JSON document rnncheck reads: 64 MiB (a Keras config of 10,000 layers is
    /// about 10 MB).
    static let maxBytes = 64 << 20
    /// Objects and lists inside each other: Keras configs nest about 10 deep.
    static let maxDepth = 256
    /// Values in one document (a 10,000-layer config has about 200,000).
    static let maxValues = 4_000_000

    static func parse(_ data: Data, file: String, rootName: String) throws -> JSONValue.Storage {
        guard data.count <= maxBytes else {
            throw ImportError.config(file: file, path: rootName,
                                     message: "the JSON text is \(data.count) bytes, more than the \(maxBytes)-byte limit for a model config")
        }
        return try data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self), file: file, rootName: rootName)
            return try parser.document()
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let file: String
        var position = 0
        var depth = 0
        var values = 0
        /// The JSON path of the value being read, one component per level.
        var path: [String]

        init(bytes: UnsafeBufferPointer<UInt8>, file: String, rootName: String) {
            self.bytes = bytes
            self.file = file
            self.path = [rootName]
        }

        var pathText: String { path.joined() }

        /// "line L, column C" of a byte offset, for messages.
        func place(_ offset: Int) -> String {
            var line = 1, column = 1
            for i in 0..<min(offset, bytes.count) {
                if bytes[i] == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return "line \(line), column \(column)"
        }

        func invalid(_ what: String, at offset: Int? = nil) -> ImportError {
            let at = offset ?? position
            let found = at < bytes.count ? "found \(describe(bytes[at]))" : "found the end of the text"
            return .config(file: file, path: path[0], message: "not valid JSON (\(place(at)): expected \(what), \(found))")
        }

        func describe(_ byte: UInt8) -> String {
            if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }

        mutating func document() throws -> JSONValue.Storage {
            // Python's json.loads(bytes) accepts a UTF-8 byte order mark.
            if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
            skipSpace()
            let value = try parseValue()
            skipSpace()
            guard position == bytes.count else { throw invalid("the end of the text after the value") }
            return value
        }

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws -> JSONValue.Storage {
            values += 1
            guard values <= StrictJSONParser.maxValues else {
                throw ImportError.config(file: file, path: pathText,
                                         message: "the JSON text holds more than \(StrictJSONParser.maxValues) values, more than any model config")
            }
            guard position < bytes.count else { throw invalid("a value") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "N"): try literal("NaN"); return .number(.nan)
            case UInt8(ascii: "I"): try literal("Infinity"); return .number(.infinity)
            case UInt8(ascii: "-") where position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "I"):
                position += 1
                try literal("Infinity")
                return .number(-.infinity)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw invalid("a value")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let start = position
            let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            for byte in text {
                guard position < bytes.count, bytes[position] == byte else { throw invalid("'\(word)'", at: start) }
                position += 1
            }
        }

        mutating func enter() throws {
            depth += 1
            guard depth <= StrictJSONParser.maxDepth else {
                throw ImportError.config(file: file, path: pathText,
                                         message: "objects and lists nest more than \(StrictJSONParser.maxDepth) deep (\(place(position)))")
            }
            position += 1
            skipSpace()
        }

        mutating func parseObject() throws -> JSONValue.Storage {
            try enter()
            defer { depth -= 1 }
            var object: [String: JSONValue.Storage] = [:]
            if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            }
            while true {
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw invalid("a key in double quotes")
                }
                let keyStart = position
                let key = try parseString()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw invalid("':'") }
                position += 1
                skipSpace()
                path.append(".\(key)")
                let value = try parseValue()
                path.removeLast()
                guard object.updateValue(value, forKey: key) == nil else {
                    throw ImportError.config(
                        file: file, path: pathText,
                        message: "key '\(key)' appears more than once in one object (\(place(keyStart))); Keras would use the last, so rnncheck refuses to guess")
                }
                skipSpace()
                guard position < bytes.count else { throw invalid("',' or '}'") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    skipSpace()
                    continue
                }
                guard bytes[position] == UInt8(ascii: "}") else { throw invalid("',' or '}'") }
                position += 1
                return .object(object)
            }
        }

        mutating func parseArray() throws -> JSONValue.Storage {
            try enter()
            defer { depth -= 1 }
            var array: [JSONValue.Storage] = []
            if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            while true {
                path.append("[\(array.count)]")
                array.append(try parseValue())
                path.removeLast()
                skipSpace()
                guard position < bytes.count else { throw invalid("',' or ']'") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    skipSpace()
                    continue
                }
                guard bytes[position] == UInt8(ascii: "]") else { throw invalid("',' or ']'") }
                position += 1
                return .array(array)
            }
        }

        /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, as Python reads it (too large: infinity).
        mutating func parseNumber() throws -> Double {
            let start = position
            func digits() -> Int {
                let from = position
                while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                    position += 1
                }
                return position - from
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count else { throw invalid("a digit") }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else {
                guard digits() > 0 else { throw invalid("a digit") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw invalid("a digit after '.'") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                guard digits() > 0 else { throw invalid("a digit in the exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            guard let value = Double(text) else { throw invalid("a number", at: start) }
            return value
        }

        /// A string in double quotes; escapes decoded, surrogate pairs joined (a lone surrogate,
        /// which Python keeps, becomes U+FFFD).
        mutating func parseString() throws -> String {
            position += 1  // the opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = position
            func flushRun(_ end: Int) throws {
                guard end > runStart else { return }
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<end])
                guard let text = String(validating: run, as: UTF8.self) else {
                    throw ImportError.config(file: file, path: path[0], message: "not valid JSON (\(place(runStart)): the text is not valid UTF-8)")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard position < bytes.count else { throw invalid("'\"' to end the string") }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    try flushRun(position)
                    position += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw invalid("a character (raw control characters are not allowed in strings)") }
                if byte != UInt8(ascii: "\\") {
                    position += 1
                    continue
                }
                try flushRun(position)
                position += 1
                guard position < bytes.count else { throw invalid("an escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var unit = try hex4()
                    if (0xD800..<0xDC00).contains(unit), position + 1 < bytes.count,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                default:
                    throw invalid("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u", at: position - 1)
                }
                runStart = position
            }
        }

        mutating func hex4() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard position < bytes.count else { throw invalid("four hex digits") }
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw invalid("a hex digit")
                }
                value = value * 16 + digit
                position += 1
            }
            return value
        }
    }
}
