/// Checks a zip archive's directory before any zip library reads it: every offset and size the
/// archive states must lie inside the bytes given, so that a damaged or hostile archive is
/// refused with a sentence instead of sending a reader past the end of its buffer.
///
/// It also refuses every archive that two zip readers could read differently, because Keras
/// reads `.keras` files with Python's `zipfile` and rnncheck with another library: a member
/// name that appears twice (Python takes the last, most readers the first; Python also cuts a
/// name at its first NUL byte, so `config.json\0x` is a second `config.json`), a local header
/// that disagrees with the central directory, a directory whose entry count or end record is
/// ambiguous (bytes between the directory and its end record, a ZIP64 locator, a second end
/// record in the comment), and encrypted members.
enum ZipPrecheck {
    static func validate(_ bytes: [UInt8], file: String) throws {
        func fail(_ reason: String) -> ImportError {
            .unreadable(file: file, reason: "damaged zip archive: \(reason)")
        }
        func ambiguous(_ reason: String) -> ImportError {
            .unreadable(file: file, reason: "ambiguous zip archive: \(reason); Keras's zip reader and rnncheck's could read different models, so rnncheck refuses it")
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func isSignature(_ at: Int, _ third: UInt8, _ fourth: UInt8) -> Bool {
            at >= 0 && at + 4 <= bytes.count && bytes[at] == 0x50 && bytes[at + 1] == 0x4B && bytes[at + 2] == third && bytes[at + 3] == fourth
        }
        let count = bytes.count
        // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end.
        guard count >= 22 else { throw fail("too short to hold a zip directory") }
        var eocd = -1
        var p = count - 22
        let floor = max(0, count - 22 - 65535)
        while p >= floor {
            if isSignature(p, 0x05, 0x06), p + 22 + u16(p + 20) == count {
                eocd = p
                break
            }
            p -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record") }
        // Python's zipfile takes the LAST end-record signature it finds, even inside the comment.
        for q in (eocd + 1)..<max(eocd + 1, count - 3) where isSignature(q, 0x05, 0x06) {
            throw ambiguous("a second end-of-central-directory record at offset \(q), inside the archive comment")
        }
        let entriesHere = u16(eocd + 8), entries = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16)
        if entries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF || isSignature(eocd - 20, 0x06, 0x07) {
            throw ImportError.unreadable(file: file, reason: "a ZIP64 archive (over 4 GiB or 65535 members), which rnncheck does not read")
        }
        guard u16(eocd + 4) == 0, u16(eocd + 6) == 0, entriesHere == entries else {
            throw ImportError.unreadable(file: file, reason: "a multi-disk (spanned) zip archive, which rnncheck does not read")
        }
        guard eocd >= 20 else { throw fail("the directory leaves no room for any member") }
        guard cdOffset + cdSize <= eocd else { throw fail("the central directory (offset \(cdOffset), \(cdSize) bytes) runs past its end record") }
        guard cdOffset + cdSize == eocd else {
            throw ambiguous("\(eocd - cdOffset - cdSize) bytes between the central directory and its end record (Python's zipfile shifts every member offset by them)")
        }
        var entry = cdOffset
        var names: [[UInt8]: Int] = [:]
        for n in 0..<entries {
            guard entry + 46 <= cdOffset + cdSize, u32(entry) == 0x0201_4B50 else {
                throw fail("central directory entry \(n) is missing or malformed")
            }
            let flags = u16(entry + 8), method = u16(entry + 10), crc = u32(entry + 16)
            let compressed = u32(entry + 20), uncompressed = u32(entry + 24)
            let nameLength = u16(entry + 28), extraLength = u16(entry + 30), commentLength = u16(entry + 32)
            let local = u32(entry + 42)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                throw ImportError.unreadable(file: file, reason: "a ZIP64 archive (over 4 GiB or 65535 members), which rnncheck does not read")
            }
            let next = entry + 46 + nameLength + extraLength + commentLength
            guard next <= cdOffset + cdSize else { throw fail("central directory entry \(n) runs past the directory") }
            let rawName = Array(bytes[(entry + 46)..<(entry + 46 + nameLength)])
            let shown = String(decoding: rawName.map { $0 == 0 ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
            guard flags & 1 == 0 else {
                throw ImportError.unreadable(file: file, reason: "archive member \(shown) is encrypted, which rnncheck does not read")
            }
            // The name as Python's zipfile sees it: cut at the first NUL.
            let pythonName = Array(rawName.prefix { $0 != 0 })
            if let first = names[pythonName] {
                let what = pythonName == rawName ? "" : " (as Python reads the name, which ends at its first NUL byte)"
                throw ImportError.unreadable(
                    file: file,
                    reason: "archive member \(String(decoding: pythonName, as: UTF8.self)) appears more than once (entries \(first) and \(n))\(what); Keras reads the last one, so rnncheck refuses to guess")
            }
            names[pythonName] = n
            guard local + 30 <= cdOffset, u32(local) == 0x0403_4B50 else {
                throw fail("member \(n)'s local header (offset \(local)) is missing or outside the archive")
            }
            let localNameLength = u16(local + 26)
            let dataStart = local + 30 + localNameLength + u16(local + 28)
            guard dataStart + compressed <= cdOffset else {
                throw fail("member \(n)'s data (offset \(dataStart), \(compressed) bytes) runs past the members' area")
            }
            let localName = bytes[(local + 30)..<min(local + 30 + localNameLength, cdOffset)]
            var mismatch: String?
            if !localName.elementsEqual(rawName) {
                mismatch = "name \(String(decoding: localName, as: UTF8.self))"
            } else if u16(local + 8) != method {
                mismatch = "compression method \(u16(local + 8)) (the directory says \(method))"
            } else if u16(local + 6) & 8 == 0,
                      u32(local + 14) != crc || u32(local + 18) != compressed || u32(local + 22) != uncompressed {
                mismatch = "CRC-32 or sizes (\(u32(local + 18)) / \(u32(local + 22)) bytes; the directory says \(compressed) / \(uncompressed))"
            }
            if let mismatch {
                throw ambiguous("member \(shown)'s local header gives another \(mismatch)")
            }
            entry = next
        }
        guard entry == cdOffset + cdSize else {
            throw ambiguous("the central directory holds more entries than its end record counts (\(entries))")
        }
    }
}
