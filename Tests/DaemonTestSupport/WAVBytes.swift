import Foundation

/// WAV files written byte by byte, for inputs libsndfile's writer does not make on purpose
/// (float samples, NaN, several channels, lying headers).
public enum WAVBytes {
    /// A 32-bit float WAV of interleaved `samples`.
    public static func float32(_ samples: [Float], channels: Int, rate: Int) -> Data {
        var data = header(format: 3, bitsPerSample: 32, channels: channels, rate: rate, dataBytes: samples.count * 4)
        for sample in samples { append(sample.bitPattern, to: &data) }
        return data
    }

    /// The 44-byte header of a PCM (format 1) or float (format 3) WAV announcing `dataBytes`.
    public static func header(format: UInt16, bitsPerSample: Int, channels: Int, rate: Int, dataBytes: Int) -> Data {
        var data = Data()
        let frameBytes = channels * bitsPerSample / 8
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + dataBytes), to: &data)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16), to: &data); append(format, to: &data)
        append(UInt16(channels), to: &data)
        append(UInt32(rate), to: &data); append(UInt32(rate * frameBytes), to: &data); append(UInt16(frameBytes), to: &data)
        append(UInt16(bitsPerSample), to: &data)
        data.append(contentsOf: Array("data".utf8)); append(UInt32(dataBytes), to: &data)
        return data
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
}
