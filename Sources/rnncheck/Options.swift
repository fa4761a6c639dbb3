import ArgumentParser
import Conformance
import HDF5
import RNNEngine
import Foundation

extension ReportFormat: ExpressibleByArgument {}

/// Tolerance and report options shared by `verify` and `compare`.
struct ReportOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Absolute tolerance (default \(Tolerance.default.atol), measured from Keras float32 error; see README).")
    var atol: Double?

    @Option(parsing: .unconditional, help: "Relative tolerance (default \(Tolerance.default.rtol)).")
    var rtol: Double?

    @Option(parsing: .unconditional, help: "Also require every element within this many float32 ulps.")
    var maxUlp: Int64?

    @Flag(help: "Let NaN match NaN (off: NaN never matches).")
    var nanEqual = false

    @Option(help: "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")). Repeat it, with one --output each, for several reports from one run.")
    var format: [ReportFormat] = []

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output (one per --format).")
    var output: [String] = []

    func validate() throws {
        if let atol, !(atol >= 0 && atol.isFinite) { throw ValidationError("--atol must be a finite number ≥ 0, got \(atol).") }
        if let rtol, !(rtol >= 0 && rtol.isFinite) { throw ValidationError("--rtol must be a finite number ≥ 0, got \(rtol).") }
        if let maxUlp, maxUlp < 0 { throw ValidationError("--max-ulp must be ≥ 0, got \(maxUlp).") }
        if output.count > max(format.count, 1) || (format.count > 1 && output.count != format.count) {
            throw ValidationError("Give one --output for each --format (\(format.count) format(s), \(output.count) output(s)); with a single --format, --output may be left out to print the report.")
        }
        if let maxReadBytes {
            guard maxReadBytes > 0 else { throw ValidationError("--max-read-bytes must be positive, got \(maxReadBytes).") }
            HDF5Library.maxReadBytes = maxReadBytes
            EngineLimits.maxTensorBytes = maxReadBytes
        }
        guard caseTimeout > 0 && caseTimeout.isFinite else {
            throw ValidationError("--case-timeout must be a positive number of seconds, got \(caseTimeout).")
        }
    }

    /// Refuses, before anything runs, a report path that is one of the run's inputs or not a
    /// regular file or new name (a report must never overwrite the model it reports on).
    func checkOutputs(against inputs: [String]) throws {
        for path in output {
            do {
                try SafeOutput.checkTarget(path, inputs: inputs)
            } catch {
                throw RNNCheck.fail(error)
            }
        }
    }

    @Option(parsing: .unconditional, help: "Refuse any dataset, attribute or archive member larger than this many bytes (default 1 GiB), before allocating it.")
    var maxReadBytes: Int?

    @Flag(inversion: .prefixedNo, help: "Also run in float64 and report the error budget (Keras's and rnncheck's float32 error against float64).")
    var errorBudget = true

    @Flag(inversion: .prefixedNo, help: "Read each file in a child process, so that a file that crashes or hangs the HDF5 library fails its own case only.")
    var isolate = true

    @Option(parsing: .unconditional, help: "With isolation, stop a case that makes no progress for this many seconds (default 300).")
    var caseTimeout: Double = 300

    /// The HTML report draws heatmaps and curves, which need the per-element detail.
    var diffOptions: DiffOptions { DiffOptions(detail: format.contains(.html), errorBudget: errorBudget) }

    /// The case worker, when cases run isolated.
    var isolation: IsolatedCaseRunner? {
        guard isolate else { return nil }
        var args: [String] = []
        if let atol { args += ["--atol", "\(atol)"] }
        if let rtol { args += ["--rtol", "\(rtol)"] }
        if let maxUlp { args += ["--max-ulp", "\(maxUlp)"] }
        if nanEqual { args.append("--nan-equal") }
        if !errorBudget { args.append("--no-error-budget") }
        if format.contains(.html) { args.append("--detail") }
        if let maxReadBytes { args += ["--max-read-bytes", "\(maxReadBytes)"] }
        return IsolatedCaseRunner(executable: IsolatedCaseRunner.currentExecutable, commonArguments: args, timeout: caseTimeout)
    }

    /// The tolerance the user asked for, or nil to use the defaults (and fixture overrides).
    var tolerance: Tolerance? {
        if atol == nil && rtol == nil && maxUlp == nil && !nanEqual { return nil }
        return Tolerance(atol: atol ?? Tolerance.default.atol, rtol: rtol ?? Tolerance.default.rtol,
                         maxUlp: maxUlp, nanEqual: nanEqual)
    }

    /// Prints or writes the reports, tells stderr about unusable inputs, and exits with the report's code.
    /// Report files are written through `SafeOutput` and are never one of `inputs`.
    func emit(_ report: Report, inputs: [String]) throws -> Never {
        let formats = format.isEmpty ? [ReportFormat.text] : format
        if output.isEmpty {
            print(try report.rendered(formats[0]), terminator: "")
        } else {
            for (f, path) in zip(formats, output) {
                do {
                    try SafeOutput.write(Array(try report.rendered(f).utf8), to: path, inputs: inputs)
                } catch {
                    let why = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                    FileHandle.standardError.write(Data("rnncheck: cannot write the \(f.rawValue) report: \(Escape.terminal(why))\n".utf8))
                    throw ExitCode(2)
                }
            }
            // The reports went to files: the terminal or CI log still gets the plain-text summary.
            print(report.text(), terminator: "")
        }
        for c in report.cases {
            if let error = c.error {
                FileHandle.standardError.write(Data("rnncheck: \(Escape.terminal(error))\n".utf8))
            }
        }
        throw ExitCode(report.exitCode)
    }
}
