import ArgumentParser
import Conformance
import Foundation

extension RNNCheck {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a Keras model on input_* datasets and write output_* to an HDF5 file.")

        @Argument(help: "The Keras model file.")
        var model: String

        @Argument(help: "An HDF5 file with root datasets input_0, input_1, ...")
        var inputs: String

        @Option(name: .shortAndLong, help: "The HDF5 file to write (written atomically; never one of the inputs).")
        var output: String

        @Option(help: "The model config (config.json) for a .weights.h5 MODEL.")
        var config: String?

        func run() throws {
            do {
                try Runner.run(modelPath: model, configPath: config, inputsPath: inputs, outputPath: output)
            } catch {
                let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                FileHandle.standardError.write(Data("rnncheck: \(message)\n".utf8))
                throw ExitCode(2)
            }
            print("wrote \(output)")
        }
    }
}
