import AudioIO
import Foundation
import Testing

@Suite struct AudioFileTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("audio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a WAV written by libsndfile reads back at 16-bit precision, clipped to [-1, 1]")
    func roundTrip() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tone.wav")
        let tone = (0..<8000).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 8000)) } + [1.7, -3]
        try AudioFile.writeWAV(tone, sampleRate: 8000, to: url)
        let read = try AudioFile.read(url)
        #expect(read.channels == 1 && read.sampleRate == 8000 && read.frames == tone.count)
        #expect(zip(read.samples.prefix(8000), tone).allSatisfy { abs($0 - $1) <= 1.0 / 32768 })
        #expect(abs(read.samples[8000] - 32767.0 / 32768) < 1e-6 && read.samples[8001] == -1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["tone.wav"])
    }

    @Test("stereo downmixes to the channel mean")
    func downmix() {
        let buffer = AudioBuffer(samples: [1, 0, 0.5, 0.5, -1, 1], channels: 2, sampleRate: 1)
        #expect(buffer.downmixed() == [0.5, 0.5, 0])
        #expect(buffer.frames == 3)
    }

    @Test("libsoxr resampling keeps a tone's frequency and the duration")
    func resampling() throws {
        let rate = 44100.0
        let tone = (0..<44100).map { Float(sin(2 * Double.pi * 1000 * Double($0) / rate)) }
        let converted = try Resampler.convert(tone, channels: 1, from: rate, to: 16000)
        #expect(abs(converted.count - 16000) <= 2)
        // Compare with the ideal 1 kHz tone at 16 kHz away from the edges.
        let error = (1000..<15000).map { abs(converted[$0] - Float(sin(2 * Double.pi * 1000 * Double($0) / 16000))) }.max()!
        #expect(error < 1e-3)
        let streamed = try Resampler(from: rate, to: 16000, channels: 1)
        var pieces: [Float] = []
        for start in stride(from: 0, to: tone.count, by: 1000) { pieces += streamed.process(Array(tone[start..<min(start + 1000, tone.count)])) }
        pieces += streamed.flush()
        #expect(pieces.count == converted.count)
        #expect(zip(pieces, converted).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("missing, empty and non-audio files are refused with the file named")
    func badFiles() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: AudioError(source: folder.path + "/none.wav", reason: "no such file")) {
            try AudioFile.read(folder.appendingPathComponent("none.wav"))
        }
        let text = folder.appendingPathComponent("notes.wav")
        try Data("this is not audio".utf8).write(to: text)
        do {
            _ = try AudioFile.read(text)
            Issue.record("text accepted as audio")
        } catch {
            #expect(error.source == text.path && error.reason.hasPrefix("not a readable audio file"))
        }
        let empty = folder.appendingPathComponent("empty.wav")
        try AudioFile.writeWAV([], sampleRate: 16000, to: empty)
        #expect(throws: AudioError(source: empty.path, reason: "holds no audio frames")) { try AudioFile.read(empty) }
    }

    /// A 16-bit mono PCM WAV of `frames` frames whose header states `rate`.
    static func wav(rate: UInt32, frames: Int) -> Data {
        func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
        let data = Data(count: frames * 2)
        var format = le(UInt16(1)) + le(UInt16(1)) + le(rate) + le(rate &* 2)
        format += le(UInt16(2)) + le(UInt16(16))
        let body = Data("WAVE".utf8) + Data("fmt ".utf8) + le(UInt32(16)) + format + Data("data".utf8) + le(UInt32(data.count)) + data
        return Data("RIFF".utf8) + le(UInt32(body.count)) + body
    }

    @Test(
        "headers stating a sample rate outside 1 kHz to 384 kHz are refused, naming the file and the range",
        arguments: [UInt32(1), 999, 384_001, 768_000])
    func implausibleRates(_ rate: UInt32) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("rate.wav")
        try Self.wav(rate: rate, frames: 16000).write(to: url)
        do {
            _ = try AudioFileReader(url: url)
            Issue.record("a header of \(rate) Hz accepted")
        } catch {
            #expect(error.source == url.path && error.reason.contains("1000 to 384000 Hz"), "\(error)")
        }
        try Self.wav(rate: 8000, frames: 16000).write(to: url)
        #expect(try AudioFileReader(url: url).sampleRate == 8000)
    }
}
