import ArgumentParser
import Conformance
import Foundation
import KerasImport
import RNNModelFile

extension RNNCheck {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a Keras model as an rnncheck model file (.rnn), which apps read without HDF5.",
            discussion: """
                Loads MODEL as `compare` does (the Keras semantics of its version are fixed in the \
                file) and writes the engine model: a JSON description of the layer graph and the \
                weights as little-endian float32 (float64 where a value is not a float32 number), \
                with checksums; docs/model-format.md has the layout. The file is read back before \
                it is written and must give the same bytes again. Read it in Swift with the \
                RNNModelFile library (no C library), or check it with `rnncheck compare model.rnn ref.h5`.
                """)

        @Argument(help: "The Keras model file (.keras, Keras 2 .h5, or weights with --config).")
        var model: String

        @Option(help: "The model config (config.json / model.to_json()) for a weights-only MODEL.")
        var config: String?

        @Option(name: .shortAndLong, help: "The .rnn file to write: a new name or a regular file, never one of the inputs; replaced only when complete.")
        var output: String

        @OptionGroup var isolation: IsolationOption

        func run() throws {
            try isolation.runInWorker(file: model)
            let inputs = [model] + (config.map { [$0] } ?? [])
            let bytes: [UInt8]
            let parameters: Int
            do {
                try SafeOutput.checkTarget(output, inputs: inputs)
                Runner.reading(config.map { "\(model) (with \($0))" } ?? model)
                let loaded = try KerasModelLoader.load(path: model, configPath: config)
                var metadata = [
                    "producer": "rnncheck \(RNNCheck.configuration.version)",
                    "source": URL(fileURLWithPath: model).lastPathComponent,
                    "source_format": loaded.format.rawValue,
                ]
                if let version = loaded.kerasVersion { metadata["keras_version"] = version }
                if !loaded.notes.isEmpty { metadata["notes"] = loaded.notes.joined(separator: "\n") }
                bytes = try ModelFile.encodeVerified(loaded.model, metadata: metadata)
                parameters = loaded.model.parameterCount
                try SafeOutput.write(bytes, to: output, inputs: inputs)
            } catch {
                throw RNNCheck.fail(error)
            }
            // The version the writer chose (the lowest that holds the model's layer types):
            // bytes 8..<12 of the preamble, little-endian (docs/model-format.md).
            let version = bytes[8..<12].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            print("wrote \(Escape.terminal(output)): \(bytes.count) bytes, \(parameters) parameters (rnncheck model file, format version \(version))")
        }
    }
}
