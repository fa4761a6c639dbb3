import ArgumentParser
import Conformance
import HDF5
import Foundation

/// Report formats.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Tolerance and report options shared by `verify` and `compare`.
struct ReportOptions: ParsableArguments {
    @Option(help: "Absolute tolerance (default \(Tolerance.default.atol), measured from Keras float32 error; see README).")
    var atol: Double?

    @Option(help: "Relative tolerance (default \(Tolerance.default.rtol)).")
    var rtol: Double?

    @Option(help: "Also require every element within this many float32 ulps.")
    var maxUlp: Int64?

    @Flag(help: "Let NaN match NaN (off: NaN never matches).")
    var nanEqual = false

    @Option(help: "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    func validate() throws {
        if let atol, !(atol >= 0 && atol.isFinite) { throw ValidationError("--atol must be a finite number ≥ 0, got \(atol).") }
        if let rtol, !(rtol >= 0 && rtol.isFinite) { throw ValidationError("--rtol must be a finite number ≥ 0, got \(rtol).") }
        if let maxUlp, maxUlp < 0 { throw ValidationError("--max-ulp must be ≥ 0, got \(maxUlp).") }
        if let maxReadBytes {
            guard maxReadBytes > 0 else { throw ValidationError("--max-read-bytes must be positive, got \(maxReadBytes).") }
            HDF5Library.maxReadBytes = maxReadBytes
        }
    }

    @Option(help: "Refuse any dataset, attribute or archive member larger than this many bytes (default 1 GiB), before allocating it.")
    var maxReadBytes: Int?

    @Flag(inversion: .prefixedNo, help: "Also run in float64 and report the error budget (Keras's and rnncheck's float32 error against float64).")
    var errorBudget = true

    @Flag(inversion: .prefixedNo, help: "Read each file in a child process, so that a file that crashes or hangs the HDF5 library fails its own case only.")
    var isolate = true

    @Option(help: "With isolation, stop a case that makes no progress for this many seconds (default 600).")
    var caseTimeout: Double = 600

    var diffOptions: DiffOptions { DiffOptions(detail: false, errorBudget: errorBudget) }

    /// The case worker, when cases run isolated.
    var isolation: IsolatedCaseRunner? {
        guard isolate else { return nil }
        var args: [String] = []
        if let atol { args += ["--atol", "\(atol)"] }
        if let rtol { args += ["--rtol", "\(rtol)"] }
        if let maxUlp { args += ["--max-ulp", "\(maxUlp)"] }
        if nanEqual { args.append("--nan-equal") }
        if !errorBudget { args.append("--no-error-budget") }
        if let maxReadBytes { args += ["--max-read-bytes", "\(maxReadBytes)"] }
        return IsolatedCaseRunner(executable: IsolatedCaseRunner.currentExecutable, commonArguments: args, timeout: caseTimeout)
    }

    /// The tolerance the user asked for, or nil to use the defaults (and fixture overrides).
    var tolerance: Tolerance? {
        if atol == nil && rtol == nil && maxUlp == nil && !nanEqual { return nil }
        return Tolerance(atol: atol ?? Tolerance.default.atol, rtol: rtol ?? Tolerance.default.rtol,
                         maxUlp: maxUlp, nanEqual: nanEqual)
    }

    /// Prints or writes the report, tells stderr about unusable inputs, and exits with the report's code.
    func emit(_ report: Report) throws -> Never {
        let text: String
        switch format {
        case .text: text = report.text()
        case .json: text = try report.json()
        }
        if let output {
            do {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                FileHandle.standardError.write(Data("rnncheck: \(output): cannot write the report (\(error.localizedDescription)).\n".utf8))
                throw ExitCode(2)
            }
            if format != .text { print(report.text(), terminator: "") }
        } else {
            print(text, terminator: "")
        }
        for c in report.cases {
            if let error = c.error {
                FileHandle.standardError.write(Data("rnncheck: \(error)\n".utf8))
            }
        }
        throw ExitCode(report.exitCode)
    }
}
