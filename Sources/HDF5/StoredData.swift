import CHDF5

/// What a dataset's stored form would make libhdf5 allocate, checked before a read: the bound
/// `HDF5Library.maxReadBytes` counts decompressed bytes, not only the declared size.
///
/// * A dataset that was never written (no storage allocated) is refused: its declared shape is
///   all a file of a few bytes needs to make a reader allocate gigabytes of fill values.
/// * A chunked dataset's chunk is allocated whole, whatever the dataset's own size (an
///   extendible dataset of one element may declare a 2 GiB chunk): the declared size plus one
///   chunk must fit the limit.
/// * Only the filters h5py writes by default are read (gzip, shuffle, Fletcher-32): the others
///   size their output from values stored in the file.
/// * libhdf5's gzip filter inflates a chunk into a buffer it doubles until the stream ends, so
///   a 64 KB chunk can inflate to gigabytes. Every gzip-compressed chunk is inflated once here
///   first, into a small window, counting bytes; one that inflates past its chunk's size is a
///   decompression bomb and is refused.
struct StoredData {
    let id: hid_t
    let file: String
    let object: String

    /// At most this many chunks are inspected (a dataset within the read limit and stored in
    /// more chunks than this is refused).
    static let maxChunks = 1 << 20

    private func fail(_ function: String) -> HDF5Error {
        .callFailed(function: function, file: file, object: object, detail: errorStackText())
    }

    private func refuse(_ reason: String) -> HDF5Error {
        .refused(file: file, object: object, reason: reason)
    }

    /// Call with the library lock held, after the declared size passed `checkReadSize`.
    func check(shape: [Int], count: Int, declaredBytes: Int) throws {
        guard count > 0 else { return }
        var status = H5D_SPACE_STATUS_ERROR
        guard H5Dget_space_status(id, &status) >= 0 else { throw fail("H5Dget_space_status") }
        if status == H5D_SPACE_STATUS_NOT_ALLOCATED {
            throw refuse("it was never written: no data is stored for its \(count) elements (shape \(shape)), only a declaration")
        }
        let plist = H5Dget_create_plist(id)
        guard plist >= 0 else { throw fail("H5Dget_create_plist") }
        defer { _ = H5Pclose(plist) }
        guard H5Pget_layout(plist) == H5D_CHUNKED else { return }
        var chunk = [hsize_t](repeating: 0, count: shape.count)
        guard H5Pget_chunk(plist, Int32(shape.count), &chunk) == Int32(shape.count) else { throw fail("H5Pget_chunk") }
        let type = H5Dget_type(id)
        guard type >= 0 else { throw fail("H5Dget_type") }
        let elementSize = H5Tget_size(type)
        _ = H5Tclose(type)
        let limit = HDF5Library.maxReadBytes
        guard let chunkElements = elementCount(chunk.map { Int(clamping: $0) }),
              case let (chunkBytes, false) = chunkElements.multipliedReportingOverflow(by: elementSize),
              case let (total, false) = chunkBytes.addingReportingOverflow(declaredBytes), total <= limit else {
            throw refuse("each of its chunks decompresses to \(chunk.map(String.init).joined(separator: " × ")) elements of \(elementSize) bytes, which with the data itself is more than the \(limit)-byte read limit (--max-read-bytes)")
        }
        let filters = H5Pget_nfilters(plist)
        guard filters >= 0 else { throw fail("H5Pget_nfilters") }
        var deflateIndex: Int32?
        for index in 0..<UInt32(filters) {
            var flags: UInt32 = 0
            var values = [UInt32](repeating: 0, count: 8)
            var valueCount = values.count
            var name = [CChar](repeating: 0, count: 64)
            var config: UInt32 = 0
            let filter = H5Pget_filter2(plist, index, &flags, &valueCount, &values, name.count, &name, &config)
            switch filter {
            case H5Z_FILTER_DEFLATE: deflateIndex = Int32(index)
            case H5Z_FILTER_SHUFFLE, H5Z_FILTER_FLETCHER32: break
            case H5Z_FILTER_ERROR: throw fail("H5Pget_filter2")
            default:
                let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw refuse("it is stored through filter \(filter) (\(text.isEmpty ? "unnamed" : text)); rnncheck reads only gzip, shuffle and Fletcher-32, the filters h5py writes")
            }
        }
        if let deflateIndex {
            try checkInflatedChunks(shape: shape, chunk: chunk, chunkBytes: chunkBytes, deflateIndex: deflateIndex)
        }
    }

    /// Inflates every gzip'd chunk into a small window, counting, and refuses one that inflates
    /// past `chunkBytes`.
    private func checkInflatedChunks(shape: [Int], chunk: [hsize_t], chunkBytes: Int, deflateIndex: Int32) throws {
        let perAxis = zip(shape, chunk).map { dim, c in (dim + Int(c) - 1) / max(Int(c), 1) }
        guard let chunks = elementCount(perAxis), chunks <= Self.maxChunks else {
            throw refuse("it is stored in more than \(Self.maxChunks) compressed chunks")
        }
        // A stored chunk is gzip output: never much larger than its input.
        let storedBound = chunkBytes + chunkBytes / 256 + 1024
        var raw: [UInt8] = []
        var offset = [hsize_t](repeating: 0, count: shape.count)
        for n in 0..<chunks {
            var rest = n
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                offset[axis] = hsize_t(rest % perAxis[axis]) * chunk[axis]
                rest /= perAxis[axis]
            }
            var mask: UInt32 = 0
            var address: haddr_t = 0
            var size: hsize_t = 0
            guard H5Dget_chunk_info_by_coord(id, &offset, &mask, &address, &size) >= 0 else {
                throw fail("H5Dget_chunk_info_by_coord")
            }
            if size == 0 || address == haddr_t.max { continue }  // not written: fill value
            guard size <= hsize_t(storedBound) else {
                throw refuse("its compressed chunk at \(offset) is stored in \(size) bytes, more than the \(chunkBytes) bytes it holds")
            }
            if mask & (1 << UInt32(deflateIndex)) != 0 { continue }  // gzip skipped for this chunk
            raw = [UInt8](repeating: 0, count: Int(size))
            let rawSize = raw.count
            var filterMask: UInt32 = 0
            guard chdf5_read_chunk(id, chdf5_p_default(), &offset, &filterMask, &raw, rawSize) >= 0 else { throw fail("H5Dread_chunk") }
            if let inflated = Self.inflatedSize(raw, limit: chunkBytes), inflated > chunkBytes {
                throw refuse("its gzip-compressed chunk at \(offset) inflates to more than the \(chunkBytes) bytes a chunk holds (a decompression bomb)")
            }
        }
    }

    /// How many bytes a zlib stream inflates to, counting up to `limit + 1` through a 64 KB
    /// window; nil when the stream is damaged (libhdf5's own read then fails with its message).
    static func inflatedSize(_ input: [UInt8], limit: Int) -> Int? {
        var stream = z_stream()
        var window = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        return input.withUnsafeMutableBufferPointer { source -> Int? in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            guard chdf5_inflate_init(&stream) == Z_OK else { return nil }
            defer { inflateEnd(&stream) }
            var total = 0
            return window.withUnsafeMutableBufferPointer { out -> Int? in
                while true {
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    total += out.count - Int(stream.avail_out)
                    if total > limit || status == Z_STREAM_END { return total }
                    if status != Z_OK { return nil }
                }
            }
        }
    }
}
