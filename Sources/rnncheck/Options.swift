import ArgumentParser
import Conformance
import HDF5
import RNNEngine
import Foundation

extension ReportFormat: ExpressibleByArgument {}

/// Tolerance and report options shared by `verify`, `compare` and `diff`.
struct ReportOptions: ParsableArguments {
    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Absolute tolerance (default \(Tolerance.default.atol), measured from Keras float32 error; see README). NAME=VALUE sets it for one output or layer (repeatable).",
        valueName: "[NAME=]atol"))
    var atol: [String] = []

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Relative tolerance (default \(Tolerance.default.rtol)). NAME=VALUE sets it for one output or layer (repeatable).",
        valueName: "[NAME=]rtol"))
    var rtol: [String] = []

    @Option(parsing: .unconditional, help: "Also require every element within this many float32 ulps.")
    var maxUlp: Int64?

    @Flag(help: "Let NaN match NaN (off: NaN never matches).")
    var nanEqual = false

    @Flag(help: "Accept a reference whose expected values hold NaN or infinity (refused otherwise).")
    var allowNonfinite = false

    @Flag(inversion: .prefixedNo, help: "Compare every layer's outputs (the reference's /layers, written by rnncheck-ref --layers). Default: when the reference has them; --layers requires them.")
    var layers: Bool?

    @Option(help: "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")). Repeat it, with one --output each, for several reports from one run.")
    var format: [ReportFormat] = []

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output (one per --format). When every report goes to a file, standard output stays empty and a one-line verdict goes to standard error.")
    var output: [String] = []

    @Flag(name: .shortAndLong, help: "Print no report on standard output (unless a --format is asked for there) and no verdict line; errors still go to standard error.")
    var quiet = false

    /// The parsed `--atol` / `--rtol` values.
    var parsedTolerances: (atol: Double?, rtol: Double?, named: [NamedTolerance]) {
        let a = (try? NamedTolerance.parse(atol, option: "--atol")) ?? (global: nil, named: [])
        let r = (try? NamedTolerance.parse(rtol, option: "--rtol")) ?? (global: nil, named: [])
        return (a.global, r.global, NamedTolerance.merge(atol: a.named, rtol: r.named))
    }

    func validate() throws {
        do {
            _ = try NamedTolerance.parse(atol, option: "--atol")
            _ = try NamedTolerance.parse(rtol, option: "--rtol")
        } catch let error as ToleranceOptionError {
            throw ValidationError(error.message)
        }
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

    @Flag(inversion: .prefixedNo, help: "Also run in float64 and report the error budget: rnncheck's float32 error against float64, beside Keras's own when the reference holds Keras's float64 outputs.")
    var errorBudget = true

    @Flag(inversion: .prefixedNo, help: "Read each file in a child process, so that a file that crashes or hangs the HDF5 library fails its own case only.")
    var isolate = true

    @Option(parsing: .unconditional, help: "With isolation, stop a case that makes no progress for this many seconds (default 300).")
    var caseTimeout: Double = 300

    /// When layers are compared.
    var layerMode: DiffOptions.LayerMode {
        switch layers {
        case nil: return .auto
        case true?: return .require
        case false?: return .skip
        }
    }

    /// The HTML report draws heatmaps and curves, which need the per-element detail.
    var diffOptions: DiffOptions {
        DiffOptions(detail: format.contains(.html), errorBudget: errorBudget, namedTolerances: parsedTolerances.named,
                    allowNonfinite: allowNonfinite, layers: layerMode)
    }

    /// The case worker, when cases run isolated.
    var isolation: IsolatedCaseRunner? {
        guard isolate else { return nil }
        var args: [String] = []
        for a in atol { args += ["--atol", a] }
        for r in rtol { args += ["--rtol", r] }
        if let maxUlp { args += ["--max-ulp", "\(maxUlp)"] }
        if nanEqual { args.append("--nan-equal") }
        if allowNonfinite { args.append("--allow-nonfinite") }
        if let layers { args.append(layers ? "--layers" : "--no-layers") }
        if !errorBudget { args.append("--no-error-budget") }
        if format.contains(.html) { args.append("--detail") }
        if let maxReadBytes { args += ["--max-read-bytes", "\(maxReadBytes)"] }
        return IsolatedCaseRunner(executable: IsolatedCaseRunner.currentExecutable, commonArguments: args, timeout: caseTimeout)
    }

    /// The tolerance the user asked for everything, or nil to use the defaults (and fixture overrides).
    var tolerance: Tolerance? {
        let (a, r, _) = parsedTolerances
        if a == nil && r == nil && maxUlp == nil && !nanEqual { return nil }
        return Tolerance(atol: a ?? Tolerance.default.atol, rtol: r ?? Tolerance.default.rtol, maxUlp: maxUlp, nanEqual: nanEqual)
    }

    /// Prints or writes the reports, tells stderr about unusable inputs, and exits with the report's code.
    /// Report files are written through `SafeOutput` and are never one of `inputs`.
    ///
    /// With no `--output`, the report (text unless a `--format` says otherwise) goes to standard
    /// output; `--quiet` leaves out the default text report. When every report goes to a file,
    /// standard output stays empty and one verdict line goes to standard error (not with `--quiet`).
    func emit(_ report: Report, inputs: [String]) throws -> Never {
        let formats = format.isEmpty ? [ReportFormat.text] : format
        if output.isEmpty {
            if !(quiet && format.isEmpty) { print(try report.rendered(formats[0]), terminator: "") }
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
            if !quiet {
                let written = zip(formats, output).map { "\($0.rawValue) \($1)" }.joined(separator: ", ")
                FileHandle.standardError.write(Data("rnncheck: \(Escape.terminal(report.summaryLine)) Reports: \(Escape.terminal(written)).\n".utf8))
            }
        }
        for c in report.cases {
            if let error = c.error {
                FileHandle.standardError.write(Data("rnncheck: \(Escape.terminal(error))\n".utf8))
            }
        }
        let unused = report.unusedToleranceNames
        if !unused.isEmpty {
            let names = unused.map { "'\($0)'" }.joined(separator: ", ")
            let known = Set(report.cases.flatMap { c in c.outputs.map(\.name) + (c.layers ?? []).flatMap { $0.layers.map(\.node) } })
            let list = known.sorted().prefix(12).joined(separator: ", ")
            FileHandle.standardError.write(Data(("rnncheck: --atol/--rtol \(names): no output or layer of that name was compared "
                + "(names are outputs such as \(list.isEmpty ? "rnn/output" : list), output_0, ..., node or layer names).\n").utf8))
            throw ExitCode(2)
        }
        throw ExitCode(report.exitCode)
    }
}
