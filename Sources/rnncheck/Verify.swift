import ArgumentParser
import Conformance
import Foundation

extension RNNCheck {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run conformance fixtures (HDF5 files written by real Keras) and diff every output.",
            discussion: """
                Fixtures run in parallel; the report lists them in sorted order whatever the thread \
                count. --shard K/N splits a suite across CI machines: the N shards together run every \
                fixture exactly once.
                """)

        @Argument(help: "Fixture files or folders of them.")
        var paths: [String] = ["fixtures"]

        @OptionGroup var report: ReportOptions

        @Option(help: "Run shard K of N (1-based), e.g. --shard 2/4.")
        var shard: String?

        @Option(help: "Only fixtures whose name matches this shell glob (repeatable).")
        var filter: [String] = []

        @Option(help: "Known deviations: lines of '<fixture> <output or *> <reason>'.")
        var expectedFailures: String?

        @Option(parsing: .unconditional, help: "Threads to run fixtures on (default: every core).")
        var jobs: Int?

        @Flag(help: "Run each fixture's model through its exported form (an rnncheck .rnn model file, written and read back in memory); its float32 outputs must also be bit-identical to the direct load's.")
        var viaExport = false

        func validate() throws {
            if let shard, SuiteSelection.parseShard(shard) == nil {
                throw ValidationError("--shard takes K/N with 1 ≤ K ≤ N, e.g. 2/4; got '\(shard)'.")
            }
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs).") }
        }

        func run() throws {
            var expected: ExpectedFailures?
            if let expectedFailures {
                do {
                    expected = try ExpectedFailures.read(path: expectedFailures)
                } catch {
                    throw RNNCheck.fail(error)
                }
            }
            // Every fixture found (and the expected-failures list) is an input no report may replace.
            var inputs = paths + (expectedFailures.map { [$0] } ?? [])
            inputs += (try? Runner.fixturePaths(paths)) ?? []
            try report.checkOutputs(against: inputs)
            let selection = SuiteSelection(shard: shard.flatMap(SuiteSelection.parseShard), filters: filter)
            let progress: Progress? = isatty(STDERR_FILENO) != 0 ? Progress() : nil
            var callback: (@Sendable (Int, Int, String) -> Void)?
            if let progress {
                callback = { done, total, name in progress.show(done, total, name) }
            }
            var options = report.diffOptions
            options.viaExport = viaExport
            var isolation = report.isolation
            if viaExport { isolation?.commonArguments.append("--via-export") }
            let result = Runner.verify(
                paths: paths, tolerance: report.tolerance, options: options, selection: selection,
                expectedFailures: expected, jobs: jobs, progress: callback, isolation: isolation)
            progress?.finish()
            if result.cases.isEmpty {
                FileHandle.standardError.write(Data("rnncheck: no fixture matches the --filter/--shard selection.\n".utf8))
                throw ExitCode(2)
            }
            try report.emit(result, inputs: inputs)
        }
    }
}

/// A one-line progress display on a terminal's stderr.
final class Progress: @unchecked Sendable {
    private let lock = NSLock()

    func show(_ done: Int, _ total: Int, _ name: String) {
        lock.lock()
        defer { lock.unlock() }
        let line = "[\(done)/\(total)] \(name)"
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
