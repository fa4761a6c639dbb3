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
                print(Escape.terminal(try KerasModelLoader.load(path: model, configPath: config).summary()), terminator: "")
            } catch {
                throw RNNCheck.fail(error)
            }
        }
    }
}
