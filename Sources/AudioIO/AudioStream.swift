import Foundation

/// A source of interleaved float audio read block by block: a file, a raw PCM pipe or a
/// capture device.
public protocol AudioStream: AnyObject {
    /// How the source is named in logs and output paths, e.g. `alsa:default`, `stdin`.
    var name: String { get }
    var sampleRate: Double { get }
    var channels: Int { get }
    /// Up to `frames` interleaved frames, blocking until some are available; nil at the end.
    func read(frames: Int) throws(AudioError) -> [Float]?
}

/// An audio file read as a stream (any format libsndfile reads).
public final class FileStream: AudioStream {
    public let name: String
    private let reader: AudioFileReader

    public init(url: URL) throws(AudioError) {
        reader = try AudioFileReader(url: url)
        name = "file:" + url.lastPathComponent
    }

    public var sampleRate: Double { reader.sampleRate }
    public var channels: Int { reader.channels }
    /// Seconds of audio the header announces; nil when unknown.
    public var duration: Double? { reader.frameCount > 0 && reader.frameCount < Int(Int32.max) * 1024 ? Double(reader.frameCount) / sampleRate : nil }

    public func read(frames: Int) throws(AudioError) -> [Float]? { try reader.read(frames: frames) }
}

/// Raw little-endian PCM from a file handle (standard input for `arecord ... | wamd -`).
public final class RawPCMStream: AudioStream {
    /// The sample encodings accepted on a pipe.
    public enum Format: String, Sendable, CaseIterable {
        case s16le, f32le

        var bytesPerSample: Int { self == .s16le ? 2 : 4 }
    }

    public let name: String
    public let sampleRate: Double
    public let channels: Int
    public let format: Format
    private let handle: FileHandle
    /// Bytes read but not yet returned (less than a frame, or more than one call asked for).
    /// An array, not `Data`: removing a `Data`'s prefix keeps the bytes before it, so a
    /// long stream would grow it without bound.
    private var pending: [UInt8] = []

    public init(handle: FileHandle, name: String = "stdin", format: Format, sampleRate: Double, channels: Int) throws(AudioError) {
        guard SampleRates.supported.contains(Int(exactly: sampleRate) ?? 0), channels >= 1 else {
            throw AudioError(source: name, reason: "invalid raw stream parameters: \(channels) channels at \(sampleRate) Hz")
        }
        self.handle = handle
        self.name = name
        self.format = format
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public func read(frames: Int) throws(AudioError) -> [Float]? {
        let frameBytes = format.bytesPerSample * channels
        while pending.count < frameBytes {
            let chunk = handle.availableData
            if chunk.isEmpty {
                return nil
            }
            pending.append(contentsOf: chunk)
        }
        let usable = min(pending.count / frameBytes, frames) * frameBytes
        defer { pending.removeFirst(usable) }
        return pending.withUnsafeBytes { raw -> [Float] in
            switch format {
            case .s16le:
                return (0..<(usable / 2)).map { Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self))) / 32768 }
            case .f32le:
                return (0..<(usable / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }
    }
}
