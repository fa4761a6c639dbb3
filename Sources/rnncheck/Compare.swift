import ArgumentParser
import Conformance
import Foundation

extension RNNCheck {
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a Keras model file with Keras's outputs for given inputs.",
            discussion: """
                MODEL is a Keras 3 .keras archive, a Keras 2 / tf.keras .h5 file, or a .weights.h5 file \
                with --config. REF is an HDF5 file whose root datasets input_0, input_1, ... are the \
                model inputs and output_0, output_1, ... Keras's outputs, in model order (rnncheck-ref \
                MODEL -o REF writes one). When REF also holds Keras's float64 outputs \
                (/reference_float64) the error budget measures against them; when it holds every \
                layer's outputs (/layers) every layer is compared in graph order and the first one out \
                of tolerance is named.
                """)

        @Argument(help: "The Keras model file.")
        var model: String

        @Argument(help: "The reference HDF5 file (input_*, output_*).")
        var reference: String

        @Option(help: "The model config (config.json) for a .weights.h5 MODEL.")
        var config: String?

        @OptionGroup var report: ReportOptions

        func run() throws {
            let inputs = [model, reference] + (config.map { [$0] } ?? [])
            try report.checkOutputs(against: inputs)
            if let isolation = report.isolation {
                var args = ["--model", model, "--reference", reference]
                if let config { args += ["--config", config] }
                let name = URL(fileURLWithPath: model).lastPathComponent
                try report.emit(Report(cases: [isolation.run(name: name, file: reference, arguments: args)]), inputs: inputs)
            }
            try report.emit(Runner.compare(modelPath: model, configPath: config, referencePath: reference,
                                           tolerance: report.tolerance, options: report.diffOptions), inputs: inputs)
        }
    }
}
