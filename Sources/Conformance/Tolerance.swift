import Foundation

/// When an element counts as matching: `|actual − expected| ≤ atol + rtol·|expected|`
/// (numpy `isclose` semantics), optionally also within `maxUlp` units in the last place.
///
/// NaN never matches unless both sides are NaN and `nanEqual` is set; equal infinities match.
/// Like every approximate comparison this is not transitive: never use it for `Equatable`.
public struct Tolerance: Sendable, Equatable, Codable {
    public var atol: Double
    public var rtol: Double
    /// When set, an element must also be within this many float32 ulps.
    public var maxUlp: Int64?
    public var nanEqual: Bool

    public init(atol: Double, rtol: Double, maxUlp: Int64? = nil, nanEqual: Bool = false) {
        self.atol = atol
        self.rtol = rtol
        self.maxUlp = maxUlp
        self.nanEqual = nanEqual
    }

    /// The defaults, from measured Keras float32 error; see README "Tolerances".
    public static let `default` = Tolerance(atol: 1e-6, rtol: 1e-5)

    /// Whether `actual` matches `expected`.
    @inlinable
    public func accepts(actual: Double, expected: Double, ulps: Int64) -> Bool {
        if actual.isNaN || expected.isNaN { return nanEqual && actual.isNaN && expected.isNaN }
        if actual.isInfinite || expected.isInfinite { return actual == expected }
        guard abs(actual - expected) <= atol + rtol * abs(expected) else { return false }
        if let maxUlp, ulps > maxUlp { return false }
        return true
    }
}

/// Distances in units in the last place.
public enum ULP {
    /// The number of float32 values between `a` and `b` (0 when equal, including +0 and −0).
    /// NaN gives `Int64.max`.
    public static func distance(_ a: Float, _ b: Float) -> Int64 {
        if a.isNaN || b.isNaN { return Int64.max }
        return abs(ordered(a) - ordered(b))
    }

    /// The number of float64 values between `a` and `b`, saturating at `Int64.max`.
    public static func distance(_ a: Double, _ b: Double) -> Int64 {
        if a.isNaN || b.isNaN { return Int64.max }
        let (x, y) = (ordered(a), ordered(b))
        let (d, overflow) = x.subtractingReportingOverflow(y)
        return overflow || d == Int64.min ? Int64.max : abs(d)
    }

    static func ordered(_ x: Float) -> Int64 {
        let bits = Int64(Int32(bitPattern: x.bitPattern))
        return bits < 0 ? Int64(Int32.min) - bits : bits
    }

    static func ordered(_ x: Double) -> Int64 {
        let bits = Int64(bitPattern: x.bitPattern)
        return bits < 0 ? Int64.min - bits : bits
    }
}

/// A tolerance for the outputs (and layer outputs) of one name, given on the command line as
/// `--atol NAME=VALUE` / `--rtol NAME=VALUE`.
///
/// `NAME` is an output's name (`rnn/state_h`), a model output's position (`output_0`), a
/// node's name (`shared#1`: every output of that call) or a layer's name (`shared`: every
/// output of every call of it). The most specific match wins, in that order.
public struct NamedTolerance: Sendable, Codable, Equatable {
    public var name: String
    public var atol: Double?
    public var rtol: Double?

    public init(name: String, atol: Double? = nil, rtol: Double? = nil) {
        self.name = name
        self.atol = atol
        self.rtol = rtol
    }

    /// Parses the values of a repeatable `--atol` / `--rtol` option: each is a number (for
    /// everything; at most one) or `NAME=number`. Every number must be finite and ≥ 0.
    ///
    /// - Returns: the global value, if given, and the named values in the order given.
    /// - Throws: `ToleranceOptionError` with a sentence naming the option and the value.
    public static func parse(_ values: [String], option: String) throws -> (global: Double?, named: [(String, Double)]) {
        var global: Double?
        var named: [(String, Double)] = []
        for value in values {
            let name: String?
            let number: String
            if let eq = value.lastIndex(of: "=") {
                name = String(value[..<eq])
                number = String(value[value.index(after: eq)...])
                guard let name, !name.isEmpty else {
                    throw ToleranceOptionError("\(option) '\(value)': give NAME=VALUE, with the name of an output or layer before '='.")
                }
                if named.contains(where: { $0.0 == name }) {
                    throw ToleranceOptionError("\(option) is given twice for '\(name)'.")
                }
            } else {
                name = nil
                number = value
            }
            guard let x = Double(number.trimmingCharacters(in: .whitespaces)), x.isFinite, x >= 0 else {
                throw ToleranceOptionError("\(option) must be a finite number ≥ 0 (or NAME=number), got '\(value)'.")
            }
            if let name {
                named.append((name, x))
            } else {
                guard global == nil else {
                    throw ToleranceOptionError("\(option) is given twice for everything (\(fmt(global ?? 0)) and \(fmt(x))); give one value, and NAME=VALUE for single outputs.")
                }
                global = x
            }
        }
        return (global, named)
    }

    /// Merges parsed `--atol` and `--rtol` names into one list, in the order first given.
    public static func merge(atol: [(String, Double)], rtol: [(String, Double)]) -> [NamedTolerance] {
        var out: [NamedTolerance] = []
        for (name, value) in atol { out.append(NamedTolerance(name: name, atol: value)) }
        for (name, value) in rtol {
            if let i = out.firstIndex(where: { $0.name == name }) { out[i].rtol = value }
            else { out.append(NamedTolerance(name: name, rtol: value)) }
        }
        return out
    }
}

/// A malformed `--atol` / `--rtol` value.
public struct ToleranceOptionError: Error, LocalizedError, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
}

/// A tolerance stored in a reference file for one output (`@atol` / `@rtol` on its dataset).
public struct StoredTolerance: Sendable, Equatable {
    public var atol: Double?
    public var rtol: Double?

    public init(atol: Double? = nil, rtol: Double? = nil) {
        self.atol = atol
        self.rtol = rtol
    }

    public var isEmpty: Bool { atol == nil && rtol == nil }
}

/// Decides each output's tolerance, most specific first, for `atol` and `rtol` separately:
/// a command-line `NAME=` value; the command line's value for everything; the reference
/// dataset's own `@atol` / `@rtol`; the case's tolerance (the reference's `/tolerances`, else
/// the defaults).
struct ToleranceResolver {
    /// The case's tolerance (command line, else the fixture's `/tolerances`, else default).
    var base: Tolerance
    /// Whether `--atol` / `--rtol` were given for everything (then stored per-output values are ignored).
    var commandLineAtol: Bool
    var commandLineRtol: Bool
    var named: [NamedTolerance]
    /// Names of `named` that matched some output, filled in as outputs are resolved.
    private(set) var used: Set<String> = []

    init(base: Tolerance, commandLineAtol: Bool, commandLineRtol: Bool, named: [NamedTolerance]) {
        self.base = base
        self.commandLineAtol = commandLineAtol
        self.commandLineRtol = commandLineRtol
        self.named = named
    }

    /// The tolerance for an output known by `names` (most specific first: output name, model
    /// output position, node, layer), with `stored` from its dataset; the `AppliedTolerance`
    /// is nil when it is the case's own.
    mutating func resolve(names: [String], stored: StoredTolerance) -> (Tolerance, AppliedTolerance?) {
        var t = base
        var why: [String] = []
        func pick(_ key: KeyPath<NamedTolerance, Double?>) -> (String, Double)? {
            for n in names {
                if let entry = named.first(where: { $0.name == n }), let v = entry[keyPath: key] { return (n, v) }
            }
            return nil
        }
        if let (name, v) = pick(\.atol) {
            t.atol = v
            used.insert(name)
            why.append("atol from the command line for '\(name)'")
        } else if !commandLineAtol, let v = stored.atol {
            t.atol = v
            why.append("atol stored with the output")
        }
        if let (name, v) = pick(\.rtol) {
            t.rtol = v
            used.insert(name)
            why.append("rtol from the command line for '\(name)'")
        } else if !commandLineRtol, let v = stored.rtol {
            t.rtol = v
            why.append("rtol stored with the output")
        }
        guard !why.isEmpty else { return (t, nil) }
        return (t, AppliedTolerance(atol: t.atol, rtol: t.rtol, source: why.joined(separator: "; ")))
    }

    /// Names given on the command line that matched nothing so far.
    var unused: [String] { named.map(\.name).filter { !used.contains($0) } }
}
