/// The byte layout of a model file (docs/model-format.md, "Byte layout"):
///
/// ```text
/// offset  size  field
///      0     8  magic: 89 52 4E 4E 0D 0A 1A 0A ("\x89RNN\r\n\x1a\n")
///      8     4  format version, u32 little-endian (1)
///     12     4  flags, u32 little-endian (0; every bit is reserved)
///     16     8  description length H, u64 little-endian
///     24     8  data length D, u64 little-endian
///     32     4  CRC-32 of the description
///     36     4  CRC-32 of the data
///     40     H  the model description: UTF-8 JSON
///         pad  zero bytes up to the next multiple of 64
///  align     D  the data: every tensor, each starting at a multiple of 64 (zero bytes between)
/// ```
///
/// The file ends right after the data: nothing may follow.
enum Container {
    static let magic: [UInt8] = [0x89, 0x52, 0x4E, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A]
    static let preambleSize = 40
    static let alignment = 64

    /// The smallest multiple of `alignment` not below `n`, or nil on overflow.
    static func aligned(_ n: Int) -> Int? {
        let (sum, overflow) = n.addingReportingOverflow(alignment - 1)
        return overflow ? nil : sum / alignment * alignment
    }

    /// A whole file from its description and data.
    static func assemble(version: UInt32, description: [UInt8], data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let dataOffset = aligned(preambleSize + description.count)!
        out.reserveCapacity(dataOffset + data.count)
        out += magic
        append(version, to: &out)
        append(UInt32(0), to: &out)
        append(UInt64(description.count), to: &out)
        append(UInt64(data.count), to: &out)
        append(CRC32.checksum(description[...]), to: &out)
        append(CRC32.checksum(data[...]), to: &out)
        out += description
        out += [UInt8](repeating: 0, count: dataOffset - out.count)
        out += data
        return out
    }

    static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    static func read<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for k in 0..<MemoryLayout<T>.size { raw[k] = bytes[offset + k] }
        }
        return T(littleEndian: value)
    }

    /// The parts of a file, checked: signature, version, flags, sizes, padding and checksums.
    struct Parts {
        var version: UInt32
        var description: ArraySlice<UInt8>
        /// Where the data starts in the file, and how long it is.
        var dataOffset: Int
        var dataLength: Int
    }

    static func split(_ bytes: [UInt8], file: String, versions: ClosedRange<UInt32>) throws -> Parts {
        func fail(_ reason: String) -> ModelFileError { .unreadable(file: file, reason: reason) }
        guard bytes.starts(with: magic) else {
            if bytes.isEmpty { throw fail("the file is empty") }
            if magic.starts(with: bytes) {
                throw fail("is \(bytes.count) bytes, shorter than the \(preambleSize)-byte preamble of an rnncheck model file (truncated)")
            }
            throw fail("not an rnncheck model file (its first 8 bytes are not the signature 89 52 4E 4E 0D 0A 1A 0A)")
        }
        guard bytes.count >= preambleSize else {
            throw fail("is \(bytes.count) bytes, shorter than the \(preambleSize)-byte preamble of an rnncheck model file (truncated)")
        }
        let version = read(UInt32.self, bytes, at: 8)
        guard versions.contains(version) else {
            throw fail("is an rnncheck model file of format version \(version); this reader reads version\(versions.count == 1 ? " \(versions.lowerBound)" : "s \(versions.lowerBound) to \(versions.upperBound)") (see docs/model-format.md, Compatibility)")
        }
        let flags = read(UInt32.self, bytes, at: 12)
        guard flags == 0 else {
            throw fail("sets flags 0x\(String(flags, radix: 16)) in its preamble; version \(version) defines none (they must be 0)")
        }
        let declaredDescription = read(UInt64.self, bytes, at: 16)
        let declaredData = read(UInt64.self, bytes, at: 24)
        let available = UInt64(bytes.count - preambleSize)
        guard declaredDescription <= available else {
            throw fail("declares a model description of \(declaredDescription) bytes, but only \(available) bytes follow the preamble (truncated, or a false size)")
        }
        let descriptionLength = Int(declaredDescription)
        guard let dataOffset = aligned(preambleSize + descriptionLength) else {
            throw fail("declares a model description of \(declaredDescription) bytes, too large to place")
        }
        let afterDescription = UInt64(max(bytes.count - dataOffset, 0))
        guard declaredData <= afterDescription else {
            throw fail("declares \(declaredData) bytes of data after byte \(dataOffset), but the file is \(bytes.count) bytes (truncated, or a false size)")
        }
        let dataLength = Int(declaredData)
        guard dataOffset + dataLength == bytes.count else {
            throw fail("is \(bytes.count) bytes, but its preamble accounts for \(dataOffset + dataLength) (\(bytes.count - dataOffset - dataLength) bytes after the data; nothing may follow it)")
        }
        let padding = (preambleSize + descriptionLength)..<dataOffset
        if let bad = padding.first(where: { bytes[$0] != 0 }) {
            throw fail("byte \(bad), in the padding between the model description and the data, is not zero")
        }
        let description = bytes[preambleSize..<(preambleSize + descriptionLength)]
        let storedDescriptionCRC = read(UInt32.self, bytes, at: 32)
        let descriptionCRC = CRC32.checksum(description)
        guard descriptionCRC == storedDescriptionCRC else {
            throw fail("the model description is corrupt (CRC-32 \(hex(descriptionCRC)), the preamble records \(hex(storedDescriptionCRC)))")
        }
        let storedDataCRC = read(UInt32.self, bytes, at: 36)
        let dataCRC = CRC32.checksum(bytes[dataOffset..<(dataOffset + dataLength)])
        guard dataCRC == storedDataCRC else {
            throw fail("the weight data is corrupt (CRC-32 \(hex(dataCRC)), the preamble records \(hex(storedDataCRC)))")
        }
        return Parts(version: version, description: description, dataOffset: dataOffset, dataLength: dataLength)
    }

    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// CRC-32 as zlib, PNG and zip compute it (IEEE 802.3, reflected, polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { b in
                for byte in b { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
