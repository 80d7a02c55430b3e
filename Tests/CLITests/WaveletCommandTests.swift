import ArrayIO
import Foundation
import NDArray
import Testing

@Suite struct WaveletCommandTests {
    @Test("decompose then reconstruct round-trips an odd-length signal and names bands like pywt")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        let signal = NDArray<Double>((0..<101).map { sin(Double($0) * 0.3) + Double($0 % 7) })
        try NpyFile.write(.float64(signal), to: URL(fileURLWithPath: folder.path("x.npy")))
        let decompose = try WamProcess.run([
            "wavelet", "decompose", folder.path("x.npy"), "--wavelet", "db2",
            "--level", "3", "--mode", "periodization", "--out", folder.path("c.npz"),
        ])
        #expect(decompose.status == 0, "\(decompose.error)")
        let bands = try NpzArchive.read(URL(fileURLWithPath: folder.path("c.npz")))
        #expect(bands.map(\.key) == ["cA3", "cD3", "cD2", "cD1", "signal_shape", "axes"])
        #expect(bands.map(\.array.shape) == [[13], [13], [26], [51], [1], [1]])
        let reconstruct = try WamProcess.run([
            "wavelet", "reconstruct", folder.path("c.npz"), "--wavelet", "db2",
            "--mode", "periodization", "--out", folder.path("y.npy"),
        ])
        #expect(reconstruct.status == 0, "\(reconstruct.error)")
        let rebuilt = try NpyFile.read(URL(fileURLWithPath: folder.path("y.npy"))).asDouble
        #expect(rebuilt.shape == [101])
        #expect(zip(rebuilt.storage, signal.storage).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("2D float32 input keeps float32 and names bands cA, cH, cV, cD")
    func image() throws {
        let folder = try TemporaryFolder()
        let image = NDArray<Float>(shape: [12, 9], storage: (0..<108).map { Float($0 % 11) })
        try NpyFile.write(.float32(image), to: URL(fileURLWithPath: folder.path("i.npy")))
        let result = try WamProcess.run([
            "wavelet", "decompose", folder.path("i.npy"), "--wavelet", "haar",
            "--level", "2", "--out", folder.path("c.npz"),
        ])
        #expect(result.status == 0, "\(result.error)")
        let bands = try NpzArchive.read(URL(fileURLWithPath: folder.path("c.npz")))
        #expect(Set(bands.map(\.key)) == ["cA2", "cH2", "cV2", "cD2", "cH1", "cV1", "cD1", "signal_shape", "axes"])
        #expect(bands.first { $0.key == "cA2" }?.array.dtypeName == "float32")
        let back = try WamProcess.run(["wavelet", "reconstruct", folder.path("c.npz"), "--wavelet", "haar", "--out", folder.path("y.npy")])
        #expect(back.status == 0)
        let rebuilt = try NpyFile.read(URL(fileURLWithPath: folder.path("y.npy")))
        #expect(rebuilt.dtypeName == "float32")
        #expect(rebuilt.shape == image.shape)
        #expect(zip(rebuilt.asFloat.storage, image.storage).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("list prints every family and mode")
    func list() throws {
        let result = try WamProcess.run(["wavelet", "list"])
        #expect(result.status == 0)
        for word in ["Daubechies", "db38", "sym20", "coif17", "bior6.8", "rbio3.1", "dmey", "antireflect", "periodization"] {
            #expect(result.output.contains(word), "missing \(word)")
        }
    }

    @Test(
        "bad arguments fail with one clear line, never a crash",
        arguments: [
            (["--wavelet", "db99"], "unknown wavelet 'db99'"),
            (["--mode", "mirror"], "unknown extension mode 'mirror'"),
            (["--level", "40"], "level 40 is above the maximum"),
            (["--axes", "3"], "axes [3] are invalid"),
        ])
    func badArguments(arguments: [String], message: String) throws {
        let folder = try TemporaryFolder()
        try NpyFile.write(.float64(NDArray((0..<64).map(Double.init))), to: URL(fileURLWithPath: folder.path("x.npy")))
        let result = try WamProcess.run(["wavelet", "decompose", folder.path("x.npy"), "--out", folder.path("c.npz")] + arguments)
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr was: \(result.error)")
        #expect(!result.error.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("c.npz")))
    }

    @Test("bad input files are named in the error")
    func badFiles() throws {
        let folder = try TemporaryFolder()
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: folder.path("bad.npy")))
        let garbage = try WamProcess.run(["wavelet", "decompose", folder.path("bad.npy"), "--out", folder.path("c.npz")])
        #expect(garbage.status != 0)
        #expect(garbage.error.contains("bad.npy: not a NumPy .npy file"))
        let missing = try WamProcess.run(["wavelet", "decompose", folder.path("none.npy"), "--out", folder.path("c.npz")])
        #expect(missing.error.contains("none.npy: no such file"))
        try NpyFile.write(.float64(NDArray([1, .nan, 3, 4])), to: URL(fileURLWithPath: folder.path("nan.npy")))
        let nan = try WamProcess.run(["wavelet", "decompose", folder.path("nan.npy"), "--wavelet", "haar", "--out", folder.path("c.npz")])
        #expect(nan.error.contains("NaN or infinity (first at flat index 1)"))
        try NpzArchive.write(
            [("cA1", .float64(NDArray([1, 2]))), ("cD1", .float64(NDArray([1, 2, 3])))],
            to: URL(fileURLWithPath: folder.path("c.npz")))
        let mismatch = try WamProcess.run(["wavelet", "reconstruct", folder.path("c.npz"), "--wavelet", "haar", "--out", folder.path("y.npy")])
        #expect(mismatch.status != 0)
        #expect(mismatch.error.contains("band cA1 has shape [2]; expected [3] for a 1-level haar"), "stderr was: \(mismatch.error)")
    }
}
