import AudioIO

/// Cuts a continuous mono stream (at the model rate) into windows of `length` samples every
/// `hop` samples, remembering each window's index in the stream.
public struct WindowAssembler: Sendable {
    public let length: Int
    public let hop: Int
    private var buffer: [Float] = []
    /// Stream index of `buffer[0]`.
    private var bufferStart = 0
    /// Stream index of the next window's first sample.
    private var nextStart = 0

    public init(length: Int, hop: Int) {
        precondition(length >= 1 && hop >= 1)
        self.length = length
        self.hop = hop
    }

    /// Adds samples; returns the windows they complete, with their first sample's index.
    public mutating func append(_ samples: [Float]) -> [(start: Int, samples: [Float])] {
        buffer += samples
        var windows: [(Int, [Float])] = []
        while nextStart + length <= bufferStart + buffer.count {
            let offset = nextStart - bufferStart
            windows.append((nextStart, Array(buffer[offset..<(offset + length)])))
            nextStart += hop
        }
        let drop = min(max(0, nextStart - bufferStart), buffer.count)
        buffer.removeFirst(drop)
        bufferStart += drop
        return windows
    }

    /// At the end of a stream: the last partial window, zero-padded, if it holds samples no
    /// earlier window covered.
    public mutating func finish() -> (start: Int, samples: [Float], padding: Int)? {
        let available = bufferStart + buffer.count - nextStart
        let covered = nextStart - hop + length
        guard available > 0, bufferStart + buffer.count > covered || nextStart == 0 else { return nil }
        let offset = nextStart - bufferStart
        let samples = Array(buffer[offset...])
        let padding = length - samples.count
        nextStart += hop
        return (nextStart - hop, samples + [Float](repeating: 0, count: padding), padding)
    }

    /// How many windows a stream of `samples` samples gives (the complete ones and the padded
    /// last one `finish` returns).
    public static func windowCount(samples: Int, length: Int, hop: Int) -> Int {
        guard samples > 0 else { return 0 }
        guard samples >= length else { return 1 }
        let complete = (samples - length) / hop + 1
        let lastCovered = (complete - 1) * hop + length
        return complete + (complete * hop < samples && samples > lastCovered ? 1 : 0)
    }
}

/// One cut window: its first sample's index in the stream (at the model rate), its samples and
/// the zeros appended when the stream ended inside it.
public struct CutWindow: Sendable {
    public let start: Int
    public let samples: [Float]
    public let padding: Int
}

/// Turns interleaved audio blocks of any rate and channel count into mono windows at the
/// model's rate: channels averaged, resampled with libsoxr, cut by `WindowAssembler`. One
/// place for this chain, used by files, uploads and live streams alike; memory stays at about
/// one window whatever the stream's length.
public final class WindowCutter {
    private let channels: Int
    private let resampler: Resampler?
    private var assembler: WindowAssembler

    public init(streamRate: Double, channels: Int, modelRate: Double, length: Int, hop: Int) throws(AudioError) {
        self.channels = channels
        resampler = streamRate == modelRate ? nil : try Resampler(from: streamRate, to: modelRate, channels: 1)
        assembler = WindowAssembler(length: length, hop: hop)
    }

    /// The windows `block` (interleaved frames) completes.
    public func append(_ block: [Float]) -> [CutWindow] {
        let mono = AudioBuffer(samples: block, channels: channels, sampleRate: 0).downmixed()
        return assembler.append(resampler?.process(mono) ?? mono).map { CutWindow(start: $0.start, samples: $0.samples, padding: 0) }
    }

    /// At the end of the stream: what the resampler held back and the last, padded window.
    public func finish() -> [CutWindow] {
        var windows = assembler.append(resampler?.flush() ?? []).map { CutWindow(start: $0.start, samples: $0.samples, padding: 0) }
        if let last = assembler.finish() { windows.append(CutWindow(start: last.start, samples: last.samples, padding: last.padding)) }
        return windows
    }
}
