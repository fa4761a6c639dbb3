/// Checks a zip archive's directory before any zip library reads it: every offset and size the
/// archive states must lie inside the bytes given, so that a damaged or hostile archive is
/// refused with a sentence instead of sending a reader past the end of its buffer.
enum ZipPrecheck {
    static func validate(_ bytes: [UInt8], file: String) throws {
        func fail(_ reason: String) -> ImportError {
            .unreadable(file: file, reason: "damaged zip archive: \(reason)")
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let count = bytes.count
        // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end.
        guard count >= 22 else { throw fail("too short to hold a zip directory") }
        var eocd = -1
        var p = count - 22
        let floor = max(0, count - 22 - 65535)
        while p >= floor {
            if bytes[p] == 0x50, bytes[p + 1] == 0x4B, bytes[p + 2] == 0x05, bytes[p + 3] == 0x06,
               p + 22 + u16(p + 20) == count {
                eocd = p
                break
            }
            p -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record") }
        let entries = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16)
        if entries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            throw ImportError.unreadable(file: file, reason: "a ZIP64 archive (over 4 GiB or 65535 members), which rnncheck does not read")
        }
        guard eocd >= 20 else { throw fail("the directory leaves no room for any member") }
        guard cdOffset + cdSize <= eocd else { throw fail("the central directory (offset \(cdOffset), \(cdSize) bytes) runs past its end record") }
        var entry = cdOffset
        for n in 0..<entries {
            guard entry + 46 <= cdOffset + cdSize, u32(entry) == 0x0201_4B50 else {
                throw fail("central directory entry \(n) is missing or malformed")
            }
            let compressed = u32(entry + 20), uncompressed = u32(entry + 24)
            let nameLength = u16(entry + 28), extraLength = u16(entry + 30), commentLength = u16(entry + 32)
            let local = u32(entry + 42)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                throw ImportError.unreadable(file: file, reason: "a ZIP64 archive (over 4 GiB or 65535 members), which rnncheck does not read")
            }
            let next = entry + 46 + nameLength + extraLength + commentLength
            guard next <= cdOffset + cdSize else { throw fail("central directory entry \(n) runs past the directory") }
            guard local + 30 <= cdOffset, u32(local) == 0x0403_4B50 else {
                throw fail("member \(n)'s local header (offset \(local)) is missing or outside the archive")
            }
            let dataStart = local + 30 + u16(local + 26) + u16(local + 28)
            guard dataStart + compressed <= cdOffset else {
                throw fail("member \(n)'s data (offset \(dataStart), \(compressed) bytes) runs past the members' area")
            }
            entry = next
        }
    }
}
