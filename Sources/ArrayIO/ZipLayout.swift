import Foundation

/// A check of a ZIP archive's layout before ZIPFoundation reads it: every entry of the central
/// directory must point at a local header with the right signature, and its data must end
/// inside the file. ZIPFoundation 0.9.20 trusts the local headers' lengths and, on a damaged
/// one, reads past the end of the file forever (fuzz finding Z2).
enum ZipLayout {
    /// Throws the first entry that points outside `file`, or a missing end of central directory.
    static func check(_ url: URL) throws(ArrayIOError) {
        let name = url.path
        func damaged(_ reason: String) -> ArrayIOError { ArrayIOError(file: name, reason: "not a readable .npz (ZIP) archive: \(reason)") }
        guard let handle = try? FileHandle(forReadingFrom: url), let size = try? handle.seekToEnd() else {
            throw ArrayIOError(file: name, reason: "unreadable file")
        }
        defer { try? handle.close() }
        func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard offset <= size, UInt64(count) <= size - offset else { return nil }
            try? handle.seek(toOffset: offset)
            guard let data = try? handle.read(upToCount: count), data.count == count else { return nil }
            return Array(data)
        }
        // The end of central directory record: in the last 64 KiB + 22 bytes.
        let tailLength = Int(min(size, 65_557))
        guard let tail = read(size - UInt64(tailLength), tailLength),
            let end = stride(from: tailLength - 22, through: 0, by: -1).first(where: { tail.uint32(at: $0) == 0x0605_4B50 })
        else {
            throw damaged("no end of central directory")
        }
        var entries = UInt64(tail.uint16(at: end + 10)), directorySize = UInt64(tail.uint32(at: end + 12))
        var directoryOffset = UInt64(tail.uint32(at: end + 16))
        if end >= 20, tail.uint32(at: end - 20) == 0x0706_4B50 {  // ZIP64 locator
            guard let record = read(tail.uint64(at: end - 12), 56), record.uint32(at: 0) == 0x0606_4B50 else {
                throw damaged("a damaged ZIP64 end of central directory")
            }
            (entries, directorySize, directoryOffset) = (record.uint64(at: 32), record.uint64(at: 40), record.uint64(at: 48))
        }
        guard directorySize <= size, let directory = read(directoryOffset, Int(directorySize)) else {
            throw damaged("the central directory lies outside the file")
        }
        var cursor = 0
        for _ in 0..<entries {
            guard cursor + 46 <= directory.count, directory.uint32(at: cursor) == 0x0201_4B50 else {
                throw damaged("a damaged central directory entry")
            }
            var compressed = UInt64(directory.uint32(at: cursor + 20)), uncompressed = UInt64(directory.uint32(at: cursor + 24))
            var offset = UInt64(directory.uint32(at: cursor + 42))
            let nameLength = Int(directory.uint16(at: cursor + 28)), extraLength = Int(directory.uint16(at: cursor + 30))
            let commentLength = Int(directory.uint16(at: cursor + 32))
            guard cursor + 46 + nameLength + extraLength + commentLength <= directory.count else {
                throw damaged("a central directory entry runs past its end")
            }
            // ZIP64 sizes and offset, in this order, for the fields that hold 0xFFFFFFFF.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = directory.uint16(at: extra), length = Int(directory.uint16(at: extra + 2))
                if id == 1 {
                    var field = extra + 4
                    let fieldsEnd = min(extraEnd, extra + 4 + length)
                    func next(replacing value: UInt64) -> UInt64 {
                        guard value == 0xFFFF_FFFF, field + 8 <= fieldsEnd else { return value }
                        defer { field += 8 }
                        return directory.uint64(at: field)
                    }
                    uncompressed = next(replacing: uncompressed)
                    compressed = next(replacing: compressed)
                    offset = next(replacing: offset)
                }
                extra += 4 + length
            }
            guard let header = read(offset, 30), header.uint32(at: 0) == 0x0403_4B50 else {
                throw damaged("entry \(directory.entryName(at: cursor + 46, length: nameLength)) has no local header where the directory says")
            }
            let dataEnd = offset + 30 + UInt64(header.uint16(at: 26)) + UInt64(header.uint16(at: 28))
            guard compressed <= size, dataEnd <= size - compressed else {
                throw damaged("entry \(directory.entryName(at: cursor + 46, length: nameLength)) runs past the end of the file")
            }
            cursor += 46 + nameLength + extraLength + commentLength
        }
    }
}

extension [UInt8] {
    fileprivate func uint16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    fileprivate func uint32(at offset: Int) -> UInt32 { UInt32(uint16(at: offset)) | UInt32(uint16(at: offset + 2)) << 16 }
    fileprivate func uint64(at offset: Int) -> UInt64 { UInt64(uint32(at: offset)) | UInt64(uint32(at: offset + 4)) << 32 }
    fileprivate func entryName(at offset: Int, length: Int) -> String {
        "\"\(String(decoding: self[offset..<(offset + length)].prefix(80), as: UTF8.self))\""
    }
}
