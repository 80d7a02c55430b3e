import AudioIO
import Foundation
import Testing

@Suite struct StreamTests {
    /// ALSA's `file` plugin over a `null` slave delivers the samples of a raw file through the
    /// normal capture API (no sound card needed).
    static func captureConfiguration(raw: String) -> String {
        """
        pcm.testcap {
            type file
            slave.pcm { type null }
            file "/dev/null"
            infile "\(raw)"
            format "raw"
        }
        """
    }

    @Test("ALSA capture through the file plugin returns the file's samples, period by period")
    func alsaCapture() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("alsa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let frames = 4096
        let values = (0..<frames).map { Int16(truncatingIfNeeded: ($0 * 37) % 20000 - 10000) }
        let raw = folder.appendingPathComponent("in.raw")
        try values.withUnsafeBytes { Data($0) }.write(to: raw)
        let capture = try ALSACapture(
            device: "testcap", rate: 16000, channels: 1, periodFrames: 512,
            configuration: Self.captureConfiguration(raw: raw.path))
        #expect(capture.name == "alsa:testcap")
        var received: [Float] = []
        while received.count < frames, let block = try capture.read(frames: 512) { received += block }
        #expect(received.count == frames)
        #expect(received == values.map { Float($0) / 32768 })
        #expect(capture.overruns == 0)
    }

    @Test("an unknown ALSA device is refused with its name")
    func missingDevice() {
        do {
            _ = try ALSACapture(device: "nosuchdevice", rate: 16000, channels: 1, configuration: "pcm.other { type null }")
            Issue.record("opened a device that does not exist")
        } catch {
            #expect(error.source == "alsa:nosuchdevice" && error.reason.hasPrefix("cannot open the capture device"))
        }
    }

    @Test("raw s16le and f32le from a pipe decode to float frames; the end of the pipe ends the stream")
    func rawPipe() throws {
        let pipe = Pipe()
        let s16: [Int16] = [0, 16384, -32768, 32767, 1, -1]
        pipe.fileHandleForWriting.write(s16.withUnsafeBytes { Data($0) })
        try pipe.fileHandleForWriting.close()
        let stream = try RawPCMStream(handle: pipe.fileHandleForReading, format: .s16le, sampleRate: 8000, channels: 2)
        #expect(try stream.read(frames: 2) == [0, 0.5, -1, Float(32767) / 32768])
        #expect(try stream.read(frames: 10) == [Float(1) / 32768, Float(-1) / 32768])
        #expect(try stream.read(frames: 10) == nil)

        let floats = Pipe()
        floats.fileHandleForWriting.write([Float(0.25), -0.75, .nan].withUnsafeBytes { Data($0) })
        try floats.fileHandleForWriting.close()
        let f32 = try RawPCMStream(handle: floats.fileHandleForReading, format: .f32le, sampleRate: 8000, channels: 1)
        let block = try #require(try f32.read(frames: 8))
        #expect(block.count == 3 && block[0] == 0.25 && block[1] == -0.75 && block[2].isNaN)
    }
}
