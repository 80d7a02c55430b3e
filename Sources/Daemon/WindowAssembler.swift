/// Cuts a continuous mono stream (at the model rate) into windows of `length` samples every
/// `hop` samples, remembering each window's index in the stream.
struct WindowAssembler {
    let length: Int
    let hop: Int
    private var buffer: [Float] = []
    /// Stream index of `buffer[0]`.
    private var bufferStart = 0
    /// Stream index of the next window's first sample.
    private var nextStart = 0

    init(length: Int, hop: Int) {
        precondition(length >= 1 && hop >= 1)
        self.length = length
        self.hop = hop
    }

    /// Adds samples; returns the windows they complete, with their first sample's index.
    mutating func append(_ samples: [Float]) -> [(start: Int, samples: [Float])] {
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
    mutating func finish() -> (start: Int, samples: [Float], padding: Int)? {
        let available = bufferStart + buffer.count - nextStart
        let covered = nextStart - hop + length
        guard available > 0, bufferStart + buffer.count > covered || nextStart == 0 else { return nil }
        let offset = nextStart - bufferStart
        let samples = Array(buffer[offset...])
        let padding = length - samples.count
        nextStart += hop
        return (nextStart - hop, samples + [Float](repeating: 0, count: padding), padding)
    }
}
