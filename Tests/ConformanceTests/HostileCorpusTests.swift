import Conformance
import Foundation
import Testing
import _TestSupport

/// The hostile-input corpus (`Hostile/make_corpus.py`): every broken, truncated, malicious or
/// inconsistent file gets exit 2 with a sentence naming the file and the object, or — where the
/// reference data itself is off — a reported mismatch with exit 1. Never a crash, never a pass.
@Suite("Hostile inputs")
struct HostileCorpusTests {
    struct Entry: Decodable, CustomTestStringConvertible, Sendable {
        var file: String
        var exit: Int32
        var contains: [String]
        var note: String
        var testDescription: String { "\(file): \(note)" }
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Hostile/corpus")

    static let entries: [Entry] = {
        guard let data = FileManager.default.contents(atPath: corpus.appendingPathComponent("manifest.json").path) else { return [] }
        return (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
    }()

    @Test("corpus is present")
    func corpusIsPresent() {
        #expect(Self.entries.count >= 35)
    }

    @Test("answered as expected", arguments: entries)
    func hostile(_ entry: Entry) {
        let path = Self.corpus.appendingPathComponent(entry.file).path
        let report = Runner.verify(paths: [path], tolerance: nil)
        #expect(report.exitCode == entry.exit, "\(report.text())")
        #expect(!report.passed)
        if entry.exit == 2 {
            let error = report.cases.first?.error ?? ""
            #expect(error.contains(entry.file), "the message names the file: \(error)")
            for part in entry.contains {
                #expect(error.contains(part), "«\(error)» lacks «\(part)»")
            }
        } else {
            let failing = report.cases.flatMap(\.outputs).filter { !$0.passed }
            #expect(!failing.isEmpty || report.cases.first?.problem != nil, "a mismatch is reported")
        }
    }

    @Test("a directory given as a fixture file")
    func directory() throws {
        let dir = try TemporaryDirectory()
        let inner = dir.url.appendingPathComponent("not-a-file.h5")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        let result = Runner.verify(fixtureAt: inner.path, tolerance: nil)
        #expect(result.error?.contains("not-a-file.h5") == true, "\(result.error ?? "")")
    }
}
