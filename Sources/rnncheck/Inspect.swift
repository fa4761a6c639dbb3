import ArgumentParser
import Conformance
import Foundation
import KerasImport

extension RNNCheck {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a Keras model as rnncheck reads it: layers, options, shapes, weights and semantics.")

        @Argument(help: "The Keras model file (.keras, Keras 2 .h5, or weights with --config).")
        var model: String

        @Option(help: "The model config (config.json / model.to_json()) for a weights-only MODEL.")
        var config: String?

        @OptionGroup var isolation: IsolationOption

        func run() throws {
            try isolation.runInWorker(file: model)
            do {
                Runner.reading(config.map { "\(model) (with \($0))" } ?? model)
                // Lenient: every unsupported layer is listed at once, with the rest of the model.
                let loaded = try KerasModelLoader.load(path: model, configPath: config, lenient: true)
                print(Escape.terminal(loaded.summary()), terminator: "")
                if !loaded.problems.isEmpty {
                    FileHandle.standardError.write(Data("rnncheck: \(Escape.terminal(model)): \(loaded.problems.count) part(s) of the model are not supported (listed above); it cannot be run or compared.\n".utf8))
                    throw ExitCode(2)
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw RNNCheck.fail(error)
            }
        }
    }
}
