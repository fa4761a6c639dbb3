import ArgumentParser
import Conformance
import Foundation

/// `rnncheck`: runs Keras models outside Keras and checks them against Keras's outputs.
@main
struct RNNCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnncheck",
        abstract: "Run Keras models in Swift and prove they compute what Keras computes.",
        discussion: """
            Exit codes: 0 every output within tolerance; 1 some output out of tolerance; \
            2 unusable input or wrong usage (a sentence on stderr says which file and what).
            """,
        version: "0.1.0",
        subcommands: [Verify.self, Compare.self, Diff.self, Run.self, Inspect.self, Export.self, Bench.self, Case.self]
    )

    /// Maps argument-parser's exit codes onto rnncheck's: usage errors are 2, like unusable input.
    static func main() {
        // SIGINT / SIGTERM / SIGHUP: remove temporary files and stop workers, then die of the signal.
        SignalCleanup.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            var message = fullMessage(for: error)
            if !message.hasSuffix("\n") { message += "\n" }
            FileHandle.standardError.write(Data(("rnncheck: " + Escape.terminal(message)).utf8))
            Foundation.exit(2)
        }
    }

    /// Prints "rnncheck: <message>" on stderr (control characters made visible) and exits 2.
    static func fail(_ error: Error) -> ExitCode {
        let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        FileHandle.standardError.write(Data("rnncheck: \(Escape.terminal(message))\n".utf8))
        return ExitCode(2)
    }
}
