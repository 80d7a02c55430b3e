/// Decoded audio: interleaved samples, nominally in [-1, 1].
public struct AudioBuffer: Sendable, Equatable {
    /// Interleaved samples, `frames * channels` of them.
    public var samples: [Float]
    public let channels: Int
    public let sampleRate: Double

    public init(samples: [Float], channels: Int, sampleRate: Double) {
        precondition(channels >= 1 && samples.count % channels == 0)
        self.samples = samples
        self.channels = channels
        self.sampleRate = sampleRate
    }

    /// Samples per channel.
    public var frames: Int { samples.count / channels }

    /// Duration in seconds.
    public var duration: Double { Double(frames) / sampleRate }

    /// The channels averaged into one.
    public func downmixed() -> [Float] {
        guard channels > 1 else { return samples }
        let scale = 1 / Float(channels)
        return (0..<frames).map { frame in
            var sum: Float = 0
            for channel in 0..<channels { sum += samples[frame * channels + channel] }
            return sum * scale
        }
    }
}
