import AtomicFiles
import Foundation
import ZIPFoundation

/// Reads and writes NumPy `.npz` archives (a ZIP of `.npy` files), through ZIPFoundation.
public enum NpzArchive {
    /// Reads every array of the archive at `url`, keyed without the `.npy` suffix, in archive order.
    public static func read(_ url: URL) throws(ArrayIOError) -> [(key: String, array: NpyArray)] {
        let name = url.path
        guard FileManager.default.fileExists(atPath: name) else { throw ArrayIOError(file: name, reason: "no such file") }
        try ZipLayout.check(url)
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw ArrayIOError(file: name, reason: exists ? "not a readable .npz (ZIP) archive" : "no such file")
        }
        var arrays: [(String, NpyArray)] = []
        for entry in archive where entry.type == .file {
            var data = Data()
            do {
                _ = try archive.extract(entry) { data.append($0) }
            } catch {
                throw ArrayIOError(file: "\(name):\(entry.path)", reason: "damaged archive entry (\(error))")
            }
            let key = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            arrays.append((key, try NpyFormat.decode(data, name: "\(name):\(key)")))
        }
        return arrays
    }

    /// Writes `arrays` as an uncompressed `.npz` (what `numpy.savez` writes) to `url`, atomically:
    /// a temporary file beside it is renamed over the target only once complete.
    public static func write(_ arrays: [(key: String, array: NpyArray)], to url: URL) throws(ArrayIOError) {
        let temporary = AtomicFile.temporary(beside: url)
        do {
            let archive = try Archive(url: temporary, accessMode: .create)
            for (key, array) in arrays {
                let data = NpyFormat.encode(array)
                try archive.addEntry(
                    with: key + ".npy", type: .file, uncompressedSize: Int64(data.count),
                    compressionMethod: .none
                ) { position, size in
                    data.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ArrayIOError(file: url.path, reason: "cannot write the archive (\(error))")
        }
        do {
            try AtomicFile.move(temporary, over: url)
        } catch {
            throw ArrayIOError(file: error.file, reason: error.reason)
        }
    }
}

/// Reads and writes single `.npy` files.
public enum NpyFile {
    /// Reads the array in the `.npy` file at `url`.
    public static func read(_ url: URL) throws(ArrayIOError) -> NpyArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ArrayIOError(
                file: url.path,
                reason: FileManager.default.fileExists(atPath: url.path)
                    ? "unreadable file" : "no such file")
        }
        return try NpyFormat.decode(data, name: url.path)
    }

    /// Writes `array` to `url` as `.npy`, atomically.
    public static func write(_ array: NpyArray, to url: URL) throws(ArrayIOError) {
        do {
            try AtomicFile.write(NpyFormat.encode(array), to: url)
        } catch {
            throw ArrayIOError(file: error.file, reason: error.reason)
        }
    }
}
