import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which part of a fixture suite a run covers, and how.
public struct SuiteSelection: Sendable, Equatable {
    /// Shard `index` (1-based) of `count`: fixture `i` of the sorted list belongs to shard
    /// `i % count + 1`, so the shards together run every fixture exactly once.
    public var shard: (index: Int, count: Int)?
    /// Shell glob patterns on fixture names; a fixture runs if any matches (none given: all run).
    public var filters: [String]

    public init(shard: (index: Int, count: Int)? = nil, filters: [String] = []) {
        self.shard = shard
        self.filters = filters
    }

    public static func == (a: SuiteSelection, b: SuiteSelection) -> Bool {
        a.shard?.index == b.shard?.index && a.shard?.count == b.shard?.count && a.filters == b.filters
    }

    /// Parses `K/N` with 1 ≤ K ≤ N.
    public static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
        return (k, n)
    }

    /// The fixture files this selection runs, in order.
    public func select(_ files: [String]) -> [String] {
        var chosen = files
        if !filters.isEmpty {
            chosen = chosen.filter { path in
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                return filters.contains { fnmatch($0, name, 0) == 0 || fnmatch($0, path, 0) == 0 }
            }
        }
        if let shard {
            chosen = chosen.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element)
        }
        return chosen
    }
}

/// Known deviations: `(fixture, output, reason)` entries whose failures are reported but do not
/// fail the run, and which fail it as soon as they pass (so that the list never goes stale).
///
/// File format, one entry a line, `#` starts a comment:
/// `<fixture name> <output name or *> <reason ...>`
public struct ExpectedFailures: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var fixture: String
        public var output: String
        public var reason: String

        public init(fixture: String, output: String, reason: String) {
            self.fixture = fixture
            self.output = output
            self.reason = reason
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public static func read(path: String) throws -> ExpectedFailures {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConformanceError.unusable(file: path, object: "", reason: "cannot read the expected-failures file")
        }
        var entries: [Entry] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.isEmpty { continue }
            guard fields.count >= 3 else {
                throw ConformanceError.unusable(file: path, object: "line \(n + 1)",
                    reason: "expected '<fixture> <output or *> <reason>', found '\(line.trimmingCharacters(in: .whitespaces))'")
            }
            entries.append(Entry(fixture: fields[0], output: fields[1], reason: fields[2...].joined(separator: " ")))
        }
        return ExpectedFailures(entries: entries)
    }

    /// Applies the entries to one case: covered failures become known deviations; a covered
    /// output that passes makes the case fail.
    public func apply(to result: CaseResult) -> CaseResult {
        let mine = entries.filter { $0.fixture == result.name }
        guard !mine.isEmpty, result.error == nil else { return result }
        var r = result
        var stale: [String] = []
        var covered: [String] = []
        for i in r.outputs.indices {
            guard let entry = mine.first(where: { $0.output == "*" || $0.output == r.outputs[i].name }) else { continue }
            if r.outputs[i].passed {
                if entry.output != "*" { stale.append("\(r.outputs[i].name) (\(entry.reason))") }
            } else {
                r.outputs[i].knownDeviation = entry.reason
                covered.append(r.outputs[i].name)
            }
        }
        if mine.contains(where: { $0.output == "*" }) && covered.isEmpty && r.problem == nil {
            stale.append("* (\(mine.first { $0.output == "*" }!.reason))")
        }
        let remainingFailures = r.outputs.contains { !$0.passed && $0.knownDeviation == nil }
        if !covered.isEmpty {
            r.expectedFailure = mine.map(\.reason).joined(separator: "; ")
        }
        if !stale.isEmpty {
            r.problem = [r.problem, "listed as an expected failure but now passes: \(stale.joined(separator: ", ")); remove the entry"]
                .compactMap { $0 }.joined(separator: "; ")
            r.passed = false
        } else {
            r.passed = r.problem == nil && !remainingFailures
        }
        return r
    }
}
