import ArgumentParser
import Conformance
import Foundation

extension RNNCheck {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two reference files (Keras on CPU vs GPU, TensorFlow vs JAX backend, two Keras versions).",
            discussion: """
                A and B are reference files written from the same inputs (rnncheck-ref with the same --seed, \
                --batch and --time, or the same --inputs). A's outputs are compared with B's, element by \
                element, with the tolerances, statistics, report formats and exit codes of compare; so are \
                Keras's float64 outputs (/reference_float64) and every layer's outputs (/layers, \
                /layers_float64) when both files hold them, naming the first layer out of tolerance. B is \
                the expected side. Inputs that differ make the run unusable (exit code 2).
                """)

        @Argument(help: "The reference file to check (A).")
        var a: String

        @Argument(help: "The reference file to check it against (B).")
        var b: String

        @OptionGroup var report: ReportOptions

        func run() throws {
            let inputs = [a, b]
            try report.checkOutputs(against: inputs)
            if let isolation = report.isolation {
                let name = "\(URL(fileURLWithPath: a).lastPathComponent) vs \(URL(fileURLWithPath: b).lastPathComponent)"
                try report.emit(Report(cases: [isolation.run(name: name, file: b, arguments: ["--diff-a", a, "--diff-b", b])]),
                                inputs: inputs)
            }
            try report.emit(Runner.diff(pathA: a, pathB: b, tolerance: report.tolerance, options: report.diffOptions), inputs: inputs)
        }
    }
}
