import ArgumentParser
import Conformance
import Foundation
import HDF5
import RNNEngine

extension RNNCheck {
    /// The worker behind `verify` and `compare`: runs one case and writes its result as JSON.
    /// Run in a child process, so that a file that crashes or hangs libhdf5 costs one case only.
    struct Case: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "_case", abstract: "Run one case (internal: the worker of verify and compare).",
            shouldDisplay: false)

        @Option var fixture: String?
        @Option var fixtureList: String?
        @Option var model: String?
        @Option var reference: String?
        @Option var config: String?
        @Option var diffA: String?
        @Option var diffB: String?
        @Option(parsing: .unconditionalSingleValue) var atol: [String] = []
        @Option(parsing: .unconditionalSingleValue) var rtol: [String] = []
        @Option var maxUlp: Int64?
        @Flag var nanEqual = false
        @Flag var allowNonfinite = false
        @Flag(inversion: .prefixedNo) var layers: Bool?
        @Flag var noErrorBudget = false
        @Flag var detail = false
        @Flag var viaExport = false
        @Option var maxReadBytes: Int?
        /// Where the result goes: a path, or "-" for standard output (the pipe to the parent).
        @Option var result: String

        func run() throws {
            if let maxReadBytes {
                HDF5Library.maxReadBytes = maxReadBytes
                EngineLimits.maxTensorBytes = maxReadBytes
            }
            // Die with the parent, bound the address space, name each file before reading it.
            WorkerEnvironment.adopt()
            let tell = Runner.reading
            Runner.reading = { path in
                tell(path)
                Self.testHooks(path)
            }
            let (a, r): ((global: Double?, named: [(String, Double)]), (global: Double?, named: [(String, Double)]))
            do {
                a = try NamedTolerance.parse(atol, option: "--atol")
                r = try NamedTolerance.parse(rtol, option: "--rtol")
            } catch {
                throw ValidationError("\(error)")
            }
            var tolerance: Tolerance?
            if a.global != nil || r.global != nil || maxUlp != nil || nanEqual {
                tolerance = Tolerance(atol: a.global ?? Tolerance.default.atol, rtol: r.global ?? Tolerance.default.rtol,
                                      maxUlp: maxUlp, nanEqual: nanEqual)
            }
            let mode: DiffOptions.LayerMode = layers.map { $0 ? .require : .skip } ?? .auto
            let options = DiffOptions(detail: detail, errorBudget: !noErrorBudget,
                                      namedTolerances: NamedTolerance.merge(atol: a.named, rtol: r.named),
                                      allowNonfinite: allowNonfinite, layers: mode, viaExport: viaExport)
            if let fixtureList {
                // One JSON line per fixture, flushed as each finishes, so that the parent knows
                // which case was running if this process dies.
                let list = fixtureList == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: fixtureList)
                guard let text = list.map({ String(decoding: $0, as: UTF8.self) }),
                      let handle = result == "-" ? FileHandle.standardOutput : FileHandle(forWritingAtPath: result) else { throw ExitCode(2) }
                for path in text.split(separator: "\n").map(String.init) where !path.isEmpty {
                    Self.testHooks(path)
                    let outcome = Runner.verify(fixtureAt: path, tolerance: tolerance, options: options)
                    handle.write(try outcome.json() + Data("\n".utf8))
                }
                try handle.close()
                return
            }
            let outcome: CaseResult
            if let fixture {
                Self.testHooks(fixture)
                outcome = Runner.verify(fixtureAt: fixture, tolerance: tolerance, options: options)
            } else if let diffA, let diffB {
                let report = Runner.diff(pathA: diffA, pathB: diffB, tolerance: tolerance, options: options)
                guard let only = report.cases.first else { throw ExitCode(2) }
                outcome = only
            } else if let model, let reference {
                let report = Runner.compare(modelPath: model, configPath: config, referencePath: reference,
                                            tolerance: tolerance, options: options)
                guard let only = report.cases.first else { throw ExitCode(2) }
                outcome = only
            } else {
                throw ValidationError("_case needs --fixture, --model and --reference, or --diff-a and --diff-b.")
            }
            if result == "-" {
                FileHandle.standardOutput.write(try outcome.json())
            } else {
                try outcome.json().write(to: URL(fileURLWithPath: result))
            }
        }

        /// For the isolation tests only: crash or hang on a chosen file, as a file that breaks
        /// libhdf5 would.
        static func testHooks(_ path: String) {
            let env = ProcessInfo.processInfo.environment
            if let name = env["RNNCHECK_TEST_WORKER_CRASH_ON"], !name.isEmpty, path.hasSuffix(name) {
                // A real invalid memory access, as a libhdf5 bug would make.
                UnsafeMutablePointer<Int>(bitPattern: 16)?.pointee = 0
            }
            if let name = env["RNNCHECK_TEST_WORKER_HANG_ON"], !name.isEmpty, path.hasSuffix(name) {
                while true { sleep(60) }
            }
        }
    }
}
