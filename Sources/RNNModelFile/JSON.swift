/// The model description as a JSON value (RFC 8259), read and written by this module alone so
/// that the rules are exactly the documented ones: numbers keep their text (so a whole number is
/// never a rounded float and a float is read back to the same bits), objects keep the order in
/// which they were written, and a key given twice is an error, not a choice between two values.
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number as written, in JSON's grammar.
    case number(String)
    case string(String)
    case array([JSON])
    case object([Member])

    struct Member: Sendable, Equatable {
        var key: String
        var value: JSON
    }

    /// What the value is, for messages (`a string`, `an object`).
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

// MARK: - Writing

extension JSON {
    /// Compact JSON text, UTF-8: no whitespace, keys in the order given.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let text): out += Array(text.utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (k, member) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0..<0x20, 0x7F:
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Reading

/// A strict JSON reader with bounds: at most `maxDepth` nested lists and objects and
/// `maxValues` values, so that a hostile description cannot exhaust the stack or memory.
struct JSONReader {
    static let maxDepth = 256
    static let maxValues = 4_000_000

    enum Failure: Error {
        /// What is wrong, and the byte offset in the description where it was found.
        case syntax(String, offset: Int)
    }

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    private var values = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a whole document: one value, nothing after it but whitespace.
    static func parse(_ bytes: [UInt8]) throws -> JSON {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        guard reader.position == bytes.count else { throw reader.fail("text after the end of the JSON value") }
        return value
    }

    private func fail(_ message: String) -> Failure { .syntax(message, offset: position) }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func expect(_ literal: String, _ value: JSON) throws -> JSON {
        let text = Array(literal.utf8)
        guard position + text.count <= bytes.count, Array(bytes[position..<(position + text.count)]) == text else {
            throw fail("not a JSON value (JSON has no NaN, Infinity or unquoted words)")
        }
        position += text.count
        return value
    }

    private mutating func value() throws -> JSON {
        values += 1
        guard values <= Self.maxValues else { throw fail("more than \(Self.maxValues) values") }
        guard let c = current else { throw fail("the text ends where a value should be") }
        switch c {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("not a JSON value (JSON has no NaN, Infinity or unquoted words)")
        }
    }

    private mutating func nest() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("lists and objects nested more than \(Self.maxDepth) deep") }
    }

    private mutating func object() throws -> JSON {
        try nest()
        position += 1
        var members: [JSON.Member] = []
        var seen: Set<String> = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
            let keyStart = position
            let key = try string()
            guard seen.insert(key).inserted else {
                throw Failure.syntax("the key \"\(key)\" appears twice in one object (a reader could take either value)", offset: keyStart)
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
            position += 1
            skipWhitespace()
            members.append(JSON.Member(key: key, value: try value()))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(members)
            default: throw fail("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array() throws -> JSON {
        try nest()
        position += 1
        var items: [JSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(items)
            default: throw fail("expected ',' or ']' in a list")
            }
        }
    }

    /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws -> String {
        let start = position
        func digits() -> Int {
            let from = position
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { position += 1 }
            return position - from
        }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw fail("a number needs digits")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fail("a number needs digits after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw fail("a number needs digits in its exponent") }
        }
        if let c = current, c == UInt8(ascii: ".") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
            throw fail("not a JSON number (a leading zero or a second '.')")
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// A string: escapes decoded, control characters and invalid UTF-8 refused.
    private mutating func string() throws -> String {
        position += 1
        var out: [UInt8] = []
        while true {
            guard let c = current else { throw fail("a string is not closed") }
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw fail("a string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard let e = current else { throw fail("a string is not closed") }
                position += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                            throw fail("a lone UTF-16 surrogate in a \\u escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone UTF-16 surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("a lone UTF-16 surrogate in a \\u escape")
                    }
                    out += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
                default: throw fail("an unknown escape '\\\(Character(Unicode.Scalar(e)))' in a string")
                }
            case 0..<0x20: throw fail("a control character inside a string (it must be escaped)")
            default: out.append(c)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("a \\u escape needs four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("a \\u escape needs four hex digits")
            }
            v = v * 16 + d
            position += 1
        }
        return v
    }
}
