import CHDF5
import Foundation

/// Library-wide settings.
public enum HDF5Library {
    /// Largest dataset or attribute the reader allocates, in bytes (default 1 GiB).
    /// Anything larger is refused with `.tooLarge` BEFORE any allocation.
    public static var maxReadBytes: Int {
        get { withLibraryLock { storedMaxReadBytes } }
        set { withLibraryLock { storedMaxReadBytes = newValue } }
    }

    /// Guarded by `libraryLock`.
    nonisolated(unsafe) private static var storedMaxReadBytes = 1 << 30
    /// Guarded by `libraryLock`.
    nonisolated(unsafe) private static var prepared = false

    /// Switches libhdf5's automatic error printing off and its filter plugin loading off, once.
    /// Call with the library lock held.
    static func prepareOnce(file: String) throws {
        if prepared { return }
        guard H5open() >= 0 else {
            throw HDF5Error.callFailed(function: "H5open", file: file, object: "/", detail: "libhdf5 could not be initialised")
        }
        guard H5Eset_auto2(chdf5_e_default(), nil, nil) >= 0 else {
            throw HDF5Error.callFailed(function: "H5Eset_auto2", file: file, object: "/", detail: errorStackText())
        }
        // A file must never make this process load code: no dynamically loaded filters.
        guard H5PLset_loading_state(0) >= 0 else {
            throw HDF5Error.callFailed(function: "H5PLset_loading_state", file: file, object: "/", detail: errorStackText())
        }
        prepared = true
    }
}

/// libhdf5 on Debian is built without thread safety: every call into it, from every public entry
/// point and every `deinit`, holds this one lock.
private let libraryLock = NSRecursiveLock()

/// Runs `body` with the library lock held. For `deinit`s and settings: does not initialise libhdf5.
func withLibraryLock<R>(_ body: () throws -> R) rethrows -> R {
    libraryLock.lock()
    defer { libraryLock.unlock() }
    return try body()
}

/// Runs `body` with the library lock held, after making sure libhdf5 is initialised and silent.
/// `file` names the file in the (unlikely) error that initialisation failed.
func withLibrary<R>(file: String, _ body: () throws -> R) throws -> R {
    libraryLock.lock()
    defer { libraryLock.unlock() }
    try HDF5Library.prepareOnce(file: file)
    return try body()
}

/// The libhdf5 error stack of the calling thread folded into one line, outermost call first:
/// `H5Fopen(): unable to open file; H5F__super_read(): truncated file: eof = 1024, ...`.
/// Call right after the failing call, with the library lock held.
func errorStackText() -> String {
    final class Lines { var items: [String] = [] }
    let lines = Lines()
    let status = withExtendedLifetime(lines) {
        H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, entry, context in
            guard let entry, let context else { return 0 }
            let lines = Unmanaged<Lines>.fromOpaque(context).takeUnretainedValue()
            let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
            let text = entry.pointee.desc.map { String(cString: $0) } ?? ""
            lines.items.append("\(function)(): \(text)")
            return 0
        }, Unmanaged.passUnretained(lines).toOpaque())
    }
    if status < 0 || lines.items.isEmpty { return "libhdf5 left no error message" }
    return lines.items.joined(separator: "; ")
}

// MARK: - Size checks

/// `count * elementSize` bytes, refused with `.tooLarge` if that overflows `Int` or exceeds
/// `HDF5Library.maxReadBytes`. Call with the library lock held, before allocating anything.
func checkReadSize(count: Int, elementSize: Int, file: String, object: String) throws {
    let limit = HDF5Library.maxReadBytes
    let (bytes, overflow) = count.multipliedReportingOverflow(by: max(elementSize, 0))
    if overflow || count == Int.max {
        throw HDF5Error.tooLarge(file: file, object: object, bytes: Int.max, limit: limit)
    }
    if bytes > limit {
        throw HDF5Error.tooLarge(file: file, object: object, bytes: bytes, limit: limit)
    }
}

/// The product of `dims`, or nil when it overflows `Int` (such a shape is always `.tooLarge`).
func elementCount(_ dims: [Int]) -> Int? {
    var product = 1
    for dim in dims {
        let (next, overflow) = product.multipliedReportingOverflow(by: dim)
        if overflow || dim < 0 { return nil }
        product = next
    }
    return product
}

// MARK: - Paths

/// The components of an HDF5 path: empty components and "." dropped.
func pathComponents(_ path: String) -> [String] {
    path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
}

/// `base` and `name` joined with one "/".
func joinPath(_ base: String, _ name: String) -> String {
    base.hasSuffix("/") ? base + name : base + "/" + name
}

/// The absolute path `name` names when looked up from the object at `base`.
func resolvedPath(base: String, name: String) -> String {
    let start = name.hasPrefix("/") ? "/" : base
    return pathComponents(name).reduce(start, joinPath)
}
