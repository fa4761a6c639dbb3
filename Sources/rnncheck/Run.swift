import ArgumentParser
import Conformance
import Foundation
import HDF5
import RNNEngine

extension RNNCheck {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a Keras model on input_* datasets and write output_* to an HDF5 file.")

        @Argument(help: "The Keras model file.")
        var model: String

        @Argument(help: "An HDF5 file with root datasets input_0, input_1, ...")
        var inputs: String

        @Option(name: .shortAndLong, help: "The HDF5 file to write: a new name or a regular file, never one of the inputs; replaced only when complete.")
        var output: String

        @Option(help: "The model config (config.json) for a .weights.h5 MODEL.")
        var config: String?

        @OptionGroup var isolation: IsolationOption

        @Option(help: "Refuse any dataset or archive member, and a run whose layers' outputs would need more than this many bytes (default 1 GiB).")
        var maxReadBytes: Int?

        func validate() throws {
            if let maxReadBytes {
                guard maxReadBytes > 0 else { throw ValidationError("--max-read-bytes must be positive, got \(maxReadBytes).") }
                HDF5Library.maxReadBytes = maxReadBytes
                EngineLimits.maxTensorBytes = maxReadBytes
            }
        }

        func run() throws {
            try isolation.runInWorker(file: model)
            do {
                try Runner.run(modelPath: model, configPath: config, inputsPath: inputs, outputPath: output)
            } catch {
                throw RNNCheck.fail(error)
            }
            print("wrote \(Escape.terminal(output))")
        }
    }
}
