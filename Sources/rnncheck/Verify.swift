import ArgumentParser
import Conformance

extension RNNCheck {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run conformance fixtures (HDF5 files written by real Keras) and diff every output.")

        @Argument(help: "Fixture files or folders of them.")
        var paths: [String] = ["fixtures"]

        @OptionGroup var report: ReportOptions

        func run() throws {
            try report.emit(Runner.verify(paths: paths, tolerance: report.tolerance))
        }
    }
}
