import AtomicFiles
import CSndfile
import Foundation

/// Audio files through libsndfile: every format it reads (WAV, FLAC, OGG/Vorbis, Opus, MP3 where
/// the library has it, AIFF, ...), and 16-bit WAV output.
public enum AudioFile {
    /// Decodes the whole file at `url`.
    /// - Throws: `AudioError` naming the file when it is missing, unreadable, not audio, empty or
    ///   truncated.
    public static func read(_ url: URL) throws(AudioError) -> AudioBuffer {
        let reader = try AudioFileReader(url: url)
        var samples: [Float] = []
        samples.reserveCapacity(max(0, reader.frameCount) * reader.channels)
        while let block = try reader.read(frames: 65536) { samples += block }
        guard !samples.isEmpty else { throw AudioError(source: url.path, reason: "holds no audio frames") }
        return AudioBuffer(samples: samples, channels: reader.channels, sampleRate: reader.sampleRate)
    }

    /// Writes mono `samples` as a 16-bit PCM WAV at `sampleRate`, atomically (a temporary file
    /// beside `url` is renamed over it once complete). Samples beyond [-1, 1] are clipped.
    public static func writeWAV(_ samples: [Float], sampleRate: Int, to url: URL) throws(AudioError) {
        let temporary = AtomicFile.temporary(beside: url)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV) | Int32(SF_FORMAT_PCM_16)
        guard let file = sf_open(temporary.path, Int32(SFM_WRITE), &info) else {
            throw AudioError(source: url.path, reason: "cannot write: \(String(cString: sf_strerror(nil)))")
        }
        sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t($0.count)) }
        let closed = sf_close(file)
        guard written == samples.count, closed == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw AudioError(source: url.path, reason: "write failed after \(written) of \(samples.count) frames")
        }
        do {
            try AtomicFile.move(temporary, over: url)
        } catch {
            throw AudioError(source: error.file, reason: error.reason)
        }
    }
}

/// Reads an audio file block by block, for recordings too long to hold at once.
public final class AudioFileReader {
    public let url: URL
    public let channels: Int
    public let sampleRate: Double
    /// Frames the header announces (may be wrong for truncated files).
    public let frameCount: Int
    /// What libsndfile noticed about a damaged file (its header promising more data than the
    /// file holds), nil for a sound file.
    public let damage: String?
    private var file: OpaquePointer?

    public init(url: URL) throws(AudioError) {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else { throw AudioError(source: url.path, reason: "no such file") }
        var info = SF_INFO()
        guard let file = sf_open(url.path, Int32(SFM_READ), &info) else {
            throw AudioError(source: url.path, reason: "not a readable audio file (\(String(cString: sf_strerror(nil))))")
        }
        guard info.channels >= 1, SampleRates.supported.contains(Int(info.samplerate)) else {
            sf_close(file)
            throw AudioError(
                source: url.path,
                reason: "invalid header: \(info.channels) channels at \(info.samplerate) Hz; expected 1 "
                    + "or more channels at \(SampleRates.supported.lowerBound) to \(SampleRates.supported.upperBound) Hz")
        }
        self.file = file
        var log = [CChar](repeating: 0, count: 4096)
        sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let lines = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "\n")
        damage = lines.first { $0.contains("should be") }.map { "truncated or damaged (libsndfile: \($0.trimmingCharacters(in: .whitespaces)))" }
        channels = Int(info.channels)
        sampleRate = Double(info.samplerate)
        frameCount = Int(info.frames)
    }

    deinit { if let file { sf_close(file) } }

    /// Up to `frames` interleaved frames; nil at the end of the file.
    public func read(frames: Int) throws(AudioError) -> [Float]? {
        guard let file else { return nil }
        var block = [Float](repeating: 0, count: frames * channels)
        let count = block.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
        if count < 0 || sf_error(file) != Int32(SF_ERR_NO_ERROR) {
            throw AudioError(source: url.path, reason: "decoding failed: \(String(cString: sf_strerror(file)))")
        }
        guard count > 0 else {
            // The readable part has been delivered; report the damage at the end.
            if let damage { throw AudioError(source: url.path, reason: damage) }
            return nil
        }
        block.removeLast((frames - Int(count)) * channels)
        return block
    }
}
