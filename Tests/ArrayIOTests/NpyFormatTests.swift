import ArrayIO
import Foundation
import NDArray
import Testing

@Suite struct NpyFormatTests {
    @Test("float32, float64 and int64 arrays survive an encode/decode round trip")
    func roundTrip() throws {
        let arrays: [NpyArray] = [
            .float32(NDArray(shape: [2, 3], storage: [1, -2, 3.5, .infinity, 0, -0.25])),
            .float64(NDArray(shape: [4], storage: [1e-300, -2, .pi, 7])),
            .int64(NDArray(shape: [2, 1, 2], storage: [Int64.min, -1, 0, Int64.max])),
            .float64(NDArray(shape: [], storage: [42])),
            .float32(NDArray(shape: [0, 3], storage: [])),
        ]
        for array in arrays {
            #expect(try NpyFormat.decode(NpyFormat.encode(array), name: "x") == array)
        }
    }

    /// A Fortran-ordered, big-endian 16-bit array as numpy writes it for
    /// `np.asfortranarray(np.array([[0, 1, 2], [3, -4, 5]], dtype='>i2'))`.
    @Test("big-endian, small integers and Fortran order decode to C-order int64")
    func foreignLayouts() throws {
        let header = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let padded = header + String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
        bytes += [UInt8(padded.utf8.count & 0xFF), UInt8(padded.utf8.count >> 8)] + Array(padded.utf8)
        // Column-major storage of [[0, 1, 2], [3, -4, 5]].
        for value: Int16 in [0, 3, 1, -4, 2, 5] {
            bytes += [UInt8(truncatingIfNeeded: UInt16(bitPattern: value) >> 8), UInt8(truncatingIfNeeded: value)]
        }
        let array = try NpyFormat.decode(Data(bytes), name: "f.npy")
        #expect(array == .int64(NDArray(shape: [2, 3], storage: [0, 1, 2, 3, -4, 5])))
    }

    @Test("headers are padded to 64 bytes and end with a newline, as the format requires")
    func headerAlignment() {
        let data = NpyFormat.encode(.float32(NDArray([1, 2, 3])))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data[10 + headerLength - 1] == 0x0A)
        #expect(data.count == 10 + headerLength + 12)
    }

    @Test("damaged files give errors that name the file and the problem")
    func errors() {
        #expect(throws: ArrayIOError(file: "a.npy", reason: "not a NumPy .npy file (missing the \\x93NUMPY magic)")) {
            try NpyFormat.decode(Data("hello world".utf8), name: "a.npy")
        }
        var truncated = NpyFormat.encode(.float64(NDArray([1, 2, 3])))
        truncated.removeLast(4)
        #expect(throws: ArrayIOError(file: "t.npy", reason: "truncated data: shape [3] of <f8 needs 24 bytes, found 20")) {
            try NpyFormat.decode(truncated, name: "t.npy")
        }
        let complex = NpyFormat.encode(.float64(NDArray([1]))).replacing(Data("<f8".utf8), with: Data("<c8".utf8))
        #expect(throws: ArrayIOError.self) { try NpyFormat.decode(complex, name: "c.npy") }
    }

    @Test("npz archives round-trip and are written atomically")
    func npz() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("npz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.npz")
        let arrays: [(key: String, array: NpyArray)] = [("cA2", .float32(NDArray([1, 2]))), ("cD2", .float64(NDArray([3])))]
        try NpzArchive.write(arrays, to: url)
        let read = try NpzArchive.read(url)
        #expect(read.map(\.key) == ["cA2", "cD2"])
        #expect(read.map(\.array) == arrays.map(\.array))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.npz"])
        #expect(throws: ArrayIOError(file: folder.appendingPathComponent("missing.npz").path, reason: "no such file")) {
            try NpzArchive.read(folder.appendingPathComponent("missing.npz"))
        }
    }
}
