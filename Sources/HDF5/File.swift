import CHDF5
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open HDF5 file. Closes itself in `deinit`; `close()` closes it earlier with a checked result.
///
/// Groups and datasets keep their file alive. libhdf5 keeps the file itself open until the last
/// of its groups and datasets is gone, even after `close()`.
public final class File: @unchecked Sendable {
    /// What error messages call the file: the path given to `open`/`create`, or the image's name.
    public let path: String
    /// The libhdf5 file identifier, or -1 once closed. Guarded by the library lock.
    private var id: hid_t

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit {
        withLibraryLock {
            if id >= 0 { _ = H5Fclose(id) }
        }
    }

    /// The 8-byte signature that starts an HDF5 superblock, at offset 0, 512, 1024, 2048, ...
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The offsets where libhdf5 looks for the signature in a file of `size` bytes.
    static func signatureOffsets(size: Int) -> [Int] {
        var offsets: [Int] = []
        var offset = 0
        while offset <= size - signature.count {
            offsets.append(offset)
            offset = offset == 0 ? 512 : offset * 2
        }
        return offsets
    }

    /// Opens an existing file read-only.
    ///
    /// A missing file, a directory, anything that is not a regular file, an empty file, a file
    /// without the HDF5 signature and a file libhdf5 cannot open (truncated or damaged) are all
    /// `.notHDF5`, with a detail saying which.
    public static func open(_ path: String) throws -> File {
        try withLibrary(file: path) {
            try checkLooksLikeHDF5(path)
            let access = H5Pcreate(chdf5_p_file_access())
            guard access >= 0 else { throw failure("H5Pcreate", path) }
            defer { _ = H5Pclose(access) }
            // Lock as usual, but do not fail on file systems without locks.
            guard H5Pset_file_locking(access, true, true) >= 0 else { throw failure("H5Pset_file_locking", path) }
            let id = H5Fopen(path, chdf5_f_acc_rdonly(), access)
            guard id >= 0 else {
                let stack = errorStackText()
                if stack.contains("unable to lock") {
                    throw HDF5Error.callFailed(function: "H5Fopen", file: path, object: "/", detail: stack)
                }
                throw HDF5Error.notHDF5(file: path, detail: "it has an HDF5 signature, but libhdf5 cannot open it, "
                                        + "so it is probably truncated or damaged: \(stack)")
            }
            return File(path: path, id: id)
        }
    }

    /// Opens a file image held in memory, read-only (libhdf5's core driver with a file image).
    /// `name` is what errors call the file; nothing on disk is read or written. `bytes` may be
    /// any contiguous bytes (`[UInt8]`, `Data`): libhdf5 takes its own copy.
    public static func open(image bytes: some ContiguousBytes, name: String) throws -> File {
        try withLibrary(file: name) {
            let access = H5Pcreate(chdf5_p_file_access())
            guard access >= 0 else { throw failure("H5Pcreate", name) }
            defer { _ = H5Pclose(access) }
            guard H5Pset_fapl_core(access, 64 * 1024, false) >= 0 else { throw failure("H5Pset_fapl_core", name) }
            let copied = try bytes.withUnsafeBytes { raw in
                // An empty image would make the core driver read the file called `name` from disk.
                guard raw.count > 0 else { throw HDF5Error.notHDF5(file: name, detail: "the file image is empty") }
                guard hasSignature(raw) else { throw HDF5Error.notHDF5(file: name, detail: "no HDF5 signature found") }
                return H5Pset_file_image(access, UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count)
            }
            guard copied >= 0 else { throw failure("H5Pset_file_image", name) }
            let id = H5Fopen(nextImageName(), chdf5_f_acc_rdonly(), access)
            guard id >= 0 else {
                throw HDF5Error.notHDF5(file: name, detail: "it has an HDF5 signature, but libhdf5 cannot open it, "
                                        + "so it is probably truncated or damaged: \(errorStackText())")
            }
            return File(path: name, id: id)
        }
    }

    /// Creates a file, truncating any file already at `path`. The file is open for writing.
    /// Its groups and datasets track attribute creation order, so `attributeNames()` lists
    /// attributes in the order they were set.
    public static func create(_ path: String) throws -> File {
        try withLibrary(file: path) {
            let creation = try makeCreationPlist(chdf5_p_file_create(), file: path, object: "/")
            defer { _ = H5Pclose(creation) }
            let id = H5Fcreate(path, chdf5_f_acc_trunc(), creation, chdf5_p_default())
            guard id >= 0 else { throw failure("H5Fcreate", path) }
            return File(path: path, id: id)
        }
    }

    /// Creates a file in memory only (libhdf5's core driver without a backing store): nothing
    /// touches the disk until `image()` hands the finished bytes to the caller. `name` is what
    /// errors call it.
    public static func createInMemory(name: String) throws -> File {
        try withLibrary(file: name) {
            let access = H5Pcreate(chdf5_p_file_access())
            guard access >= 0 else { throw failure("H5Pcreate", name) }
            defer { _ = H5Pclose(access) }
            guard H5Pset_fapl_core(access, 1 << 20, false) >= 0 else { throw failure("H5Pset_fapl_core", name) }
            let creation = try makeCreationPlist(chdf5_p_file_create(), file: name, object: "/")
            defer { _ = H5Pclose(creation) }
            let id = H5Fcreate(nextImageName(), chdf5_f_acc_trunc(), creation, access)
            guard id >= 0 else { throw failure("H5Fcreate", name) }
            return File(path: name, id: id)
        }
    }

    /// The bytes of the file as it would be on disk (flushed first): for `createInMemory`.
    public func image() throws -> [UInt8] {
        try withLibrary(file: path) {
            let id = try openID(for: "File.image")
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw Self.failure("H5Fflush", path) }
            let size = H5Fget_file_image(id, nil, 0)
            guard size >= 0 else { throw Self.failure("H5Fget_file_image", path) }
            var bytes = [UInt8](repeating: 0, count: size)
            let copied = bytes.withUnsafeMutableBytes { raw in H5Fget_file_image(id, raw.baseAddress, raw.count) }
            guard copied == size else { throw Self.failure("H5Fget_file_image", path) }
            return bytes
        }
    }

    /// The root group, "/". Each access opens a new handle.
    public var root: Group {
        get throws {
            try withLibrary(file: path) {
                let id = try openID(for: "File.root")
                let group = H5Oopen(id, "/", chdf5_p_default())
                guard group >= 0 else { throw Self.failure("H5Oopen", path) }
                return Group(file: self, id: group, objectPath: "/")
            }
        }
    }

    /// Writes everything cached to the file.
    public func flush() throws {
        try withLibrary(file: path) {
            let id = try openID(for: "File.flush")
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw Self.failure("H5Fflush", path) }
        }
    }

    /// Closes the file now, with a checked result. Closing twice is allowed and does nothing.
    public func close() throws {
        try withLibrary(file: path) {
            guard id >= 0 else { return }
            let status = H5Fclose(id)
            id = -1
            guard status >= 0 else { throw Self.failure("H5Fclose", path) }
        }
    }

    // MARK: - Helpers

    private func openID(for function: String) throws -> hid_t {
        guard id >= 0 else {
            throw HDF5Error.callFailed(function: function, file: path, object: "/", detail: "the file has been closed")
        }
        return id
    }

    private static func failure(_ function: String, _ file: String) -> HDF5Error {
        .callFailed(function: function, file: file, object: "/", detail: errorStackText())
    }

    /// Guarded by the library lock.
    nonisolated(unsafe) private static var imagesOpened = 0

    /// A unique name for an in-memory file.
    ///
    /// libhdf5 treats two core-driver files with the same name as the same file, and refuses to
    /// open an image whose name exists on disk. A path below /dev/null can never exist.
    private static func nextImageName() -> String {
        imagesOpened += 1
        return "/dev/null/rnncheck-hdf5-image-\(getpid())-\(imagesOpened)"
    }

    private static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        signatureOffsets(size: bytes.count).contains { offset in
            bytes[offset..<(offset + signature.count)].elementsEqual(signature)
        }
    }

    /// Throws `.notHDF5` unless `path` is a readable regular file with an HDF5 signature.
    private static func checkLooksLikeHDF5(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw HDF5Error.notHDF5(file: path, detail: "no such file")
            }
            throw HDF5Error.callFailed(function: "stat", file: path, object: "/", detail: String(cString: strerror(code)))
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw HDF5Error.notHDF5(file: path, detail: "it is a directory") }
        guard type == S_IFREG else { throw HDF5Error.notHDF5(file: path, detail: "it is not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else { throw HDF5Error.notHDF5(file: path, detail: "the file is empty") }

        let descriptor = posixOpenReadOnly(path)
        guard descriptor >= 0 else {
            throw HDF5Error.callFailed(function: "open", file: path, object: "/", detail: String(cString: strerror(errno)))
        }
        defer { _ = posixClose(descriptor) }
        var found = false
        var candidate = [UInt8](repeating: 0, count: signature.count)
        for offset in signatureOffsets(size: size) {
            let count = candidate.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress, raw.count, off_t(offset))
            }
            guard count >= 0 else {
                throw HDF5Error.callFailed(function: "pread", file: path, object: "/", detail: String(cString: strerror(errno)))
            }
            if count == signature.count && candidate == signature {
                found = true
                break
            }
        }
        guard found else { throw HDF5Error.notHDF5(file: path, detail: "no HDF5 signature found") }
    }
}

// Outside `File`, whose own `open` and `close` would hide the POSIX functions.
private func posixOpenReadOnly(_ path: String) -> Int32 { open(path, O_RDONLY) }
private func posixClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
