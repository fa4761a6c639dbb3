import CSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// write(2), named through its module: inside `SafeOutput`, a bare `write` is `SafeOutput.write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(descriptor, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(descriptor, buffer, count)
    #else
    return Darwin.write(descriptor, buffer, count)
    #endif
}

/// Writes rnncheck's outputs (`run -o`, reports) so that nothing but the named file is ever
/// touched, and a killed process leaves nothing visible:
///
/// * the target must be a regular file or a new name: a symbolic link, a FIFO, a device, a
///   directory or a socket is refused, never replaced;
/// * the target must not be one of the run's inputs (same file by device and inode, so hard
///   and symbolic links are caught too);
/// * the bytes go to an unnamed file in the target's folder (`O_TMPFILE`), which is given a
///   random name (`linkat`) and renamed over the target only when complete; where the file
///   system has no `O_TMPFILE`, a random name created with `O_EXCL | O_NOFOLLOW` is used and
///   removed on SIGINT/SIGTERM (`SignalCleanup`).
public enum SafeOutput {
    /// Refuses `path` as an output unless it is a regular file or a new name and is none of `inputs`.
    public static func checkTarget(_ path: String, inputs: [String]) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFREG else {
                throw ConformanceError.unusable(
                    file: path, object: "",
                    reason: "is \(describe(kind)), not a regular file; refusing to replace it with rnncheck's output")
            }
            for input in inputs {
                var other = stat()
                if stat(input, &other) == 0, other.st_dev == info.st_dev, other.st_ino == info.st_ino {
                    throw ConformanceError.unusable(file: path, object: "", reason: "is also an input of this run (\(input)); refusing to overwrite it")
                }
            }
        } else if errno != ENOENT {
            throw ConformanceError.unusable(file: path, object: "", reason: "cannot be examined (\(String(cString: strerror(errno))))")
        }
    }

    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// Writes `bytes` to `path` atomically (see the type's documentation); `inputs` are refused as targets.
    public static func write(_ bytes: [UInt8], to path: String, inputs: [String] = []) throws {
        try checkTarget(path, inputs: inputs)
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        func failure(_ what: String, _ code: Int32 = errno) -> ConformanceError {
            .unusable(file: path, object: "", reason: "cannot \(what) (\(String(cString: strerror(code))))")
        }
        var descriptor = csystem_open_unnamed(directory, 0o666)
        var visibleName: String?
        if descriptor < 0 {
            // No O_TMPFILE here: a random name nobody can have planted, removed if we are stopped.
            for _ in 0..<16 where descriptor < 0 {
                let candidate = (directory as NSString).appendingPathComponent(".\(url.lastPathComponent).\(randomTag()).tmp")
                // created and registered with the signal handler held off (see SignalCleanup.locked)
                let (d, code) = SignalCleanup.locked {
                    let d = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
                    if d >= 0 { SignalCleanup.insertLocked(path: candidate) }
                    return (d, errno)
                }
                descriptor = d
                if descriptor >= 0 {
                    visibleName = candidate
                } else if code != EEXIST {
                    throw failure("create a file in \(directory)", code)
                }
            }
            guard descriptor >= 0 else { throw failure("create a file in \(directory)") }
        }
        var closed = false
        defer {
            if !closed { close(descriptor) }
            if let visibleName {
                unlink(visibleName)
                SignalCleanup.unregister(path: visibleName)
            }
        }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in systemWrite(descriptor, raw.baseAddress! + done, raw.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("write the file") }
            done += n
        }
        guard fsync(descriptor) == 0 else { throw failure("write the file") }
        if visibleName == nil {
            // Give the unnamed file a random name beside the target, then rename it into place.
            for _ in 0..<16 where visibleName == nil {
                let candidate = (directory as NSString).appendingPathComponent(".\(url.lastPathComponent).\(randomTag()).tmp")
                // named and registered with the signal handler held off: a signal between the two
                // left the named file behind (the hostile sweep's SIGINT at 0.5 s, once)
                let (named, code) = SignalCleanup.locked {
                    let ok = linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, candidate, AT_SYMLINK_FOLLOW) == 0
                    if ok { SignalCleanup.insertLocked(path: candidate) }
                    return (ok, errno)
                }
                if named {
                    visibleName = candidate
                } else if code != EEXIST {
                    throw failure("name the finished file in \(directory)", code)
                }
            }
            guard visibleName != nil else { throw failure("name the finished file in \(directory)", EEXIST) }
        }
        closed = true
        close(descriptor)
        try checkTarget(path, inputs: inputs)
        // rename(2) replaces an existing file atomically (Foundation's replaceItemAt does not on Linux).
        guard let finished = visibleName else { throw failure("move the finished file into place", ENOENT) }
        let (moved, code) = SignalCleanup.locked {
            let ok = rename(finished, path) == 0
            if ok { SignalCleanup.removeLocked(path: finished) }
            return (ok, errno)
        }
        guard moved else { throw failure("move the finished file into place", code) }
        visibleName = nil  // renamed: nothing left to remove
    }

    private static func randomTag() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}

/// Removes rnncheck's temporary files and stops its worker processes when rnncheck is stopped
/// with SIGINT, SIGTERM or SIGHUP, then lets the signal end the process as it would have.
public enum SignalCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var processes: Set<Int32> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    public static func unregister(path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Runs `body` with the signal handler held off: a signal arriving meanwhile is handled
    /// after it, so a file `body` creates and registers (`insertLocked`) is either not yet made
    /// or already known to the handler, never made and unknown.
    public static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
    /// Registers a temporary file for removal; only inside `locked`, together with the call
    /// that creates it.
    public static func insertLocked(path: String) { paths.insert(path) }
    /// `unregister(path:)` inside `locked`.
    public static func removeLocked(path: String) { paths.remove(path) }
    public static func register(process: Int32) { lock.withLock { _ = processes.insert(process) } }
    public static func unregister(process: Int32) { lock.withLock { _ = processes.remove(process) } }

    /// Installs the handlers once; call at start-up.
    public static func install() {
        lock.withLock {
            guard sources.isEmpty else { return }
            let queue = DispatchQueue(label: "rnncheck.signals")
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { cleanUpAndDie(sig) }
                source.resume()
                sources.append(source)
            }
        }
    }

    private static func cleanUpAndDie(_ sig: Int32) -> Never {
        lock.lock()
        for pid in processes { kill(pid, SIGKILL) }
        for path in paths { unlink(path) }
        signal(sig, SIG_DFL)
        raise(sig)
        _exit(128 + sig)
    }
}
