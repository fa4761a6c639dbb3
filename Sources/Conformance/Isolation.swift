import CSystem
import Foundation
import HDF5

/// Runs each case in a child process, so that a file which crashes or hangs a C library
/// (libhdf5 1.10 has memory-safety bugs on malformed files, found by our fuzzer) ends that
/// case with an error instead of ending rnncheck.
///
/// The child is the same `rnncheck` binary with the hidden `_case` subcommand; it prints the
/// case's `CaseResult` as JSON.
public struct IsolatedCaseRunner: Sendable {
    /// The `rnncheck` executable.
    public var executable: URL
    /// Arguments every child gets after `_case` (tolerance, diff options, read limit).
    public var commonArguments: [String]
    /// How long one case may take before it is stopped.
    public var timeout: TimeInterval

    public init(executable: URL, commonArguments: [String], timeout: TimeInterval = 600) {
        self.executable = executable
        self.commonArguments = commonArguments
        self.timeout = timeout
    }

    /// The running binary, as the kernel knows it.
    public static var currentExecutable: URL {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        #endif
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    /// Runs one case: `arguments` name it (`--fixture PATH`, or `--model/--reference/--config`).
    ///
    /// The worker writes its result to a pipe, not a file: a parent stopped by any signal, even
    /// SIGKILL, leaves nothing behind.
    public func run(name: String, file: String?, arguments: [String]) -> CaseResult {
        let worker: Worker
        do {
            worker = try Worker(executable: executable, arguments: ["_case"] + commonArguments + arguments + ["--result", "-"],
                                captureStandardOutput: true)
        } catch {
            return .failed(name: name, file: file, error: IsolationError.cannotStart(executable.path, "\(error)"))
        }
        if !worker.wait(seconds: timeout) {
            worker.stop()
            let (_, stderrText) = worker.finish()
            return .failed(name: name, file: file,
                           error: IsolationError.timedOut(Worker.fileBeingRead(stderrText) ?? file ?? name, timeout))
        }
        let (process, stderrText) = worker.finish()
        if process.terminationReason == .uncaughtSignal {
            return .failed(name: name, file: file, error: IsolationError.crashed(
                Worker.fileBeingRead(stderrText) ?? file ?? name, process.terminationStatus, stderrText))
        }
        let data = worker.standardOutput
        guard !data.isEmpty else {
            return .failed(name: name, file: file, error: IsolationError.noResult(file ?? name, process.terminationStatus, stderrText))
        }
        do {
            return try JSONDecoder.nonFinite.decode(CaseResult.self, from: data)
        } catch {
            return .failed(name: name, file: file, error: IsolationError.noResult(file ?? name, process.terminationStatus, "\(error)"))
        }
    }
}

extension IsolatedCaseRunner {
    /// Runs many fixtures in as few child processes as possible: one child works through the
    /// list, writing one JSON line per case; if it dies or stalls on a case, that case gets an
    /// error and a new child carries on with the rest. `done` is called after each case.
    public func runFixtures(_ files: [String], done: (Int, CaseResult) -> Void) {
        var next = 0
        while next < files.count {
            let remaining = Array(files[next...])
            func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
            // The list goes in on stdin and the results come back on stdout: no temporary files.
            let worker: Worker
            do {
                worker = try Worker(executable: executable,
                                    arguments: ["_case"] + commonArguments + ["--fixture-list", "-", "--result", "-"],
                                    standardInput: Data(remaining.joined(separator: "\n").utf8), captureStandardOutput: true)
            } catch {
                for (k, f) in remaining.enumerated() {
                    done(next + k, .failed(name: stem(f), file: f, error: IsolationError.cannotStart(executable.path, "\(error)")))
                }
                return
            }
            var reported = 0
            var lastProgress = Date()
            var stalled = false
            func collect() {
                let data = worker.standardOutput
                // Only complete lines: the last one may still be being written.
                let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
                while reported < lines.count {
                    let index = next + reported
                    if let result = try? JSONDecoder.nonFinite.decode(CaseResult.self, from: Data(lines[reported])) {
                        done(index, result)
                    } else {
                        done(index, .failed(name: stem(files[index]), file: files[index],
                                            error: IsolationError.noResult(files[index], 0, "unreadable result line")))
                    }
                    reported += 1
                    lastProgress = Date()
                }
            }
            while !worker.wait(seconds: 0.2) {
                collect()
                if Date().timeIntervalSince(lastProgress) > timeout {
                    stalled = true
                    worker.stop()
                    break
                }
            }
            // Only after both pipes reached their end has every result line arrived.
            let (process, stderrText) = worker.finish()
            collect()
            next += reported
            guard next < files.count else { break }
            // The child stopped before finishing the list: the case it was on is the culprit.
            let culprit = files[next]
            let error: IsolationError
            if stalled {
                error = .timedOut(culprit, timeout)
            } else if process.terminationReason == .uncaughtSignal {
                error = .crashed(culprit, process.terminationStatus, stderrText)
            } else {
                error = .noResult(culprit, process.terminationStatus, stderrText)
            }
            done(next, .failed(name: stem(culprit), file: culprit, error: error))
            next += 1
        }
    }
}

/// One running worker (`_case`, or an isolated `run` / `inspect`): started with stdin closed and
/// stdout closed (or passed through), its stderr drained as it comes (so that a chatty child
/// never blocks on a full pipe).
///
/// A worker dies with its parent: it asks the kernel for SIGKILL when the parent goes
/// (`WorkerEnvironment.adopt`, PR_SET_PDEATHSIG) and checks on start that the parent that
/// started it is still there; the parent also kills it when stopped by SIGINT or SIGTERM.
public final class Worker {
    let process = Process()
    private let finished = DispatchSemaphore(value: 0)
    private let errors: PipeCollector

    private let output: PipeCollector?

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - executable: the program to run (the rnncheck binary itself, for an isolated read).
    ///   - arguments: its command-line arguments, without the program name.
    ///   - standardInput: bytes for the worker's stdin (else it reads nothing).
    ///   - captureStandardOutput: collect the worker's stdout (`standardOutput`).
    ///   - passStandardOutput: let the worker write to this process's stdout.
    public init(executable: URL, arguments: [String], standardInput: Data? = nil, captureStandardOutput: Bool = false,
                passStandardOutput: Bool = false) throws {
        process.executableURL = executable
        process.arguments = arguments
        var inputPipe: Pipe?
        if standardInput != nil {
            inputPipe = Pipe()
            process.standardInput = inputPipe
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        var outputPipe: Pipe?
        if captureStandardOutput {
            outputPipe = Pipe()
            process.standardOutput = outputPipe
        } else {
            process.standardOutput = passStandardOutput ? FileHandle.standardOutput : FileHandle.nullDevice
        }
        var environment = ProcessInfo.processInfo.environment
        environment[WorkerEnvironment.parentVariable] = String(getpid())
        // A crash is reported by the parent; the runtime's backtracer would only slow it down.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        if environment["GLIBC_TUNABLES"] == nil { environment["GLIBC_TUNABLES"] = WorkerEnvironment.mallocTunables }
        process.environment = environment
        let errorPipe = Pipe()
        process.standardError = errorPipe
        let finished = self.finished
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        SignalCleanup.register(process: process.processIdentifier)
        errors = PipeCollector(errorPipe.fileHandleForReading)
        output = outputPipe.map { PipeCollector($0.fileHandleForReading) }
        if let inputPipe, let standardInput {
            let handle = inputPipe.fileHandleForWriting
            Thread.detachNewThread {
                try? handle.write(contentsOf: standardInput)
                try? handle.close()
            }
        }
    }

    /// What the worker has written to stdout so far (with `captureStandardOutput`).
    var standardOutput: Data { output?.snapshot ?? Data() }

    /// The file a worker said it was reading last (`WorkerEnvironment.reading`), from its stderr.
    public static func fileBeingRead(_ stderr: String) -> String? {
        stderr.split(separator: "\n").last { $0.hasPrefix(WorkerEnvironment.readingMarker) }
            .map { String($0.dropFirst(WorkerEnvironment.readingMarker.count)) }
    }

    /// What the worker wrote to stderr, without its progress markers.
    public static func message(_ stderr: String) -> String {
        stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix(WorkerEnvironment.readingMarker) }.joined(separator: "\n")
    }

    /// Waits for the worker to end; its exit status, whether a signal ended it, and its stderr.
    public func waitForExit() -> (status: Int32, signaled: Bool, stderr: String) {
        finished.wait()
        let (process, text) = finish()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, text)
    }

    /// Whether the worker ended within `seconds`.
    func wait(seconds: TimeInterval) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }

    /// Stops the worker: politely, then with SIGKILL after 5 s.
    func stop() {
        process.terminate()
        if !wait(seconds: 5) {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
    }

    /// The ended process and what it wrote to stderr, once both of its output pipes are read to
    /// the end (the process can end before the last bytes it wrote have been read).
    func finish() -> (Process, String) {
        _ = output?.finish()
        let text = errors.finish()
        process.terminationHandler = nil  // the handler and the process refer to each other
        SignalCleanup.unregister(process: process.processIdentifier)
        return (process, text)
    }
}

/// A worker's side of `Worker`.
public enum WorkerEnvironment {
    static let parentVariable = "RNNCHECK_PARENT_PID"
    /// Starts a line on a worker's stderr that names the file it reads next.
    static let readingMarker = "rnncheck-worker-reading: "

    /// glibc's allocator setting for a worker (read by glibc at process start; other C
    /// libraries ignore the variable, and a value the user set is kept as it is). A worker
    /// reads a model and a reference and runs them: a few large buffers (archive, HDF5 image,
    /// weights, inputs, outputs, the float64 run's copies), each written once, so it spends its
    /// time in page faults: S3's `compare --no-error-budget` took 29 000 (one per 4 KiB of
    /// fresh memory; 39 % of the profile of loading S3.keras). `hugetlb=1` has malloc advise
    /// the kernel that its heap and its large blocks may be transparent huge pages (effective
    /// where the kernel's THP mode is `madvise` or `always`; glibc before 2.35 ignores it):
    /// about 8 000 faults, and `compare` 0.90× (without the budget), 0.95× (with it) and `run`
    /// 0.83× of the time, measured interleaved, peak memory within 2 MiB. (Also keeping blocks
    /// up to 32 MiB on the heap instead of mapping each one saved no more time and let `run`'s
    /// peak grow from 102 to 130 MiB.)
    static let mallocTunables = "glibc.malloc.hugetlb=1"

    /// Whether this process was started as a worker.
    public static var isWorker: Bool { ProcessInfo.processInfo.environment[parentVariable] != nil }

    /// In a worker: die with the parent (PR_SET_PDEATHSIG), and exit at once if the parent is
    /// already gone (it died between starting this process and this call); bound the address
    /// space to twice the read limit plus 2 GiB (saturating), since libhdf5 sizes some
    /// allocations from the file; and tell the parent which file is read from now on.
    public static func adopt() {
        guard let text = ProcessInfo.processInfo.environment[parentVariable], let parent = Int32(text) else { return }
        _ = csystem_set_parent_death_signal(SIGKILL)
        if getppid() != parent { _exit(3) }
        // (Not under AddressSanitizer, whose shadow memory alone is terabytes of address space.)
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") == nil {
            let limit = UInt64(max(HDF5Library.maxReadBytes, 1 << 30))
            let (doubled, overflow) = limit.multipliedReportingOverflow(by: 2)
            let (bound, overflow2) = doubled.addingReportingOverflow(2 << 30)
            if !overflow && !overflow2 {
                var limits = rlimit(rlim_cur: rlim_t(bound), rlim_max: rlim_t(bound))
                #if os(Linux)
                _ = setrlimit(Int32(RLIMIT_AS.rawValue), &limits)
                #else
                _ = setrlimit(RLIMIT_AS, &limits)
                #endif
            }
        }
        Runner.reading = { path in
            FileHandle.standardError.write(Data((readingMarker + path + "\n").utf8))
        }
    }
}

/// Why an isolated case produced no result.
public enum IsolationError: Error, LocalizedError {
    case cannotStart(String, String)
    case timedOut(String, TimeInterval)
    case crashed(String, Int32, String)
    case noResult(String, Int32, String)

    public var errorDescription: String? {
        switch self {
        case .cannotStart(let exe, let why):
            return "cannot start the case worker \(exe) (\(why))."
        case .timedOut(let file, let seconds):
            return "\(file): reading and running it did not finish within \(Int(seconds)) s; it was stopped."
        case .crashed(let file, let signal, let stderr):
            let detail = stderr.split(separator: "\n").first(where: { $0.contains("Fatal error") }).map { " (\($0))" } ?? ""
            return "\(file): reading it crashed the reader (signal \(signal))\(detail); the file is malformed, nothing was compared."
        case .noResult(let file, let status, let detail):
            return "\(file): the case worker exited with status \(status) and no result: \(Worker.message(detail).trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}

/// Collects a pipe's bytes on a background thread as they come.
final class PipeCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }
    }

    /// Everything read so far.
    var snapshot: Data { lock.withLock { data } }

    /// Waits for the end of the stream; the first 4096 bytes as text.
    func finish() -> String {
        done.wait()
        done.signal()
        return String(decoding: snapshot.prefix(4096), as: UTF8.self)
    }
}

extension JSONDecoder {
    /// Decodes the report's "NaN" / "Infinity" strings back into numbers.
    static var nonFinite: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}

extension CaseResult {
    /// The case as JSON for `IsolatedCaseRunner` (non-finite numbers as strings).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }
}
