import CSoxr

/// Streaming sample-rate conversion with libsoxr (high quality), for interleaved float audio.
public final class Resampler {
    public let inputRate: Double
    public let outputRate: Double
    public let channels: Int
    private let handle: soxr_t

    public init(from inputRate: Double, to outputRate: Double, channels: Int) throws(AudioError) {
        var error: soxr_error_t?
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let handle = soxr_create(inputRate, outputRate, UInt32(channels), &error, nil, &quality, nil), error == nil else {
            throw AudioError(
                source: "resampler",
                reason: "cannot convert \(inputRate) Hz to \(outputRate) Hz: "
                    + (error.map { String(cString: $0) } ?? "unknown error"))
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channels = channels
        self.handle = handle
    }

    deinit { soxr_delete(handle) }

    /// Converts the next block of interleaved input; returns what is ready (the resampler keeps
    /// a short delay line, released by `flush`).
    public func process(_ input: [Float]) -> [Float] { run(input) }

    /// Returns the samples still held back at the end of the input.
    public func flush() -> [Float] { run(nil) }

    private func run(_ input: [Float]?) -> [Float] {
        let capacity = 4096
        var output: [Float] = []
        var chunk = [Float](repeating: 0, count: capacity * channels)
        let frames = (input?.count ?? 0) / channels
        var consumed = 0
        while true {
            var used = 0, produced = 0
            chunk.withUnsafeMutableBufferPointer { out in
                if let input {
                    input.withUnsafeBufferPointer { all in
                        _ = soxr_process(
                            handle, all.baseAddress! + consumed * channels, frames - consumed, &used,
                            out.baseAddress, capacity, &produced)
                    }
                } else {
                    _ = soxr_process(handle, nil, 0, nil, out.baseAddress, capacity, &produced)
                }
            }
            consumed += used
            output += chunk[0..<(produced * channels)]
            let inputLeft = input != nil && consumed < frames
            if !inputLeft && produced < capacity { return output }
            if used == 0 && produced == 0 { return output }
        }
    }

    /// Resamples a whole mono or interleaved signal at once.
    public static func convert(
        _ samples: [Float], channels: Int, from inputRate: Double,
        to outputRate: Double
    ) throws(AudioError) -> [Float] {
        guard inputRate != outputRate else { return samples }
        let resampler = try Resampler(from: inputRate, to: outputRate, channels: channels)
        return resampler.process(samples) + resampler.flush()
    }
}
