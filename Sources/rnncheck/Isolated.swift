import ArgumentParser
import Conformance
import Foundation

/// `run` and `inspect` read their files in a worker process too, as `compare` and `verify` do:
/// the same command line runs again in a child (the same binary), whose standard output passes
/// straight through. A file that crashes a C library (or traps the importer) then ends with a
/// sentence naming the file and exit code 2, never with a signal.
struct IsolationOption: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Read the files in a child process, so that a file that crashes the reader ends with exit code 2 instead of a signal.")
    var isolate = true

    /// In the parent, runs the command in a worker and exits as it did; returns in the worker
    /// (and with --no-isolate), where the command does its work.
    func runInWorker(file: String) throws {
        if WorkerEnvironment.isWorker {
            WorkerEnvironment.adopt()
            return
        }
        guard isolate else { return }
        let worker: Worker
        do {
            worker = try Worker(executable: IsolatedCaseRunner.currentExecutable,
                                arguments: Array(CommandLine.arguments.dropFirst()), passStandardOutput: true)
        } catch {
            throw RNNCheck.fail(IsolationError.cannotStart(IsolatedCaseRunner.currentExecutable.path, "\(error)"))
        }
        let (status, signaled, stderr) = worker.waitForExit()
        if signaled {
            throw RNNCheck.fail(IsolationError.crashed(Worker.fileBeingRead(stderr) ?? file, status, stderr))
        }
        let message = Worker.message(stderr)
        if !message.isEmpty { FileHandle.standardError.write(Data(message.utf8)) }
        throw ExitCode(status)
    }
}
