import ArrayIO
import AudioIO
import Foundation
import Rendering

/// What an input is, judged by the model's input shape.
public enum SignalKind: String, Sendable, Codable {
    case audio, image, volume
}

/// One model example cut from an input.
public struct InputWindow: Sendable {
    public init(index: Int, samples: [Float], startSample: Int, paddedSamples: Int) {
        self.index = index
        self.samples = samples
        self.startSample = startSample
        self.paddedSamples = paddedSamples
    }

    /// Position among the input's windows.
    public let index: Int
    /// The example, row-major in the model's input shape.
    public let samples: [Float]
    /// Audio: index of the first sample, at the model's rate.
    public let startSample: Int
    /// Audio: zeros appended because the input ended inside the window.
    public let paddedSamples: Int
}

/// An input file turned into model examples: audio of any format, rate and channel count
/// (downmixed, resampled with libsoxr, cut into windows of the model's length), PNG images
/// (grey, scaled to [0, 1]) and `.npy` arrays (images or volumes).
public struct InputSignal: Sendable {
    public let file: String
    public let kind: SignalKind
    /// Audio: the model's sample rate (the windows' rate).
    public let sampleRate: Double?
    /// Audio: the file's own rate and channel count.
    public let fileSampleRate: Double?
    public let fileChannels: Int?
    public let windows: [InputWindow]

    /// One window of a live stream named `name`, already at the model's rate.
    public init(stream name: String, sampleRate: Double, window: InputWindow) {
        file = name
        kind = .audio
        self.sampleRate = sampleRate
        fileSampleRate = nil
        fileChannels = nil
        windows = [window]
    }

    /// Loads `url` for a model taking examples of `exampleShape`; audio is cut with `hop`
    /// samples between window starts (default: the window length).
    public init(url: URL, exampleShape: [Int], sampleRate modelRate: Double, hop: Int?) throws {
        let name = url.path
        let spatial = exampleShape.first == 1 && exampleShape.count > 1 ? Array(exampleShape.dropFirst()) : exampleShape
        file = name
        switch url.pathExtension.lowercased() {
        case "png":
            guard spatial.count == 2 else {
                throw WorkflowError(source: name, reason: "a PNG needs an image model; this model takes examples of shape \(exampleShape)")
            }
            let image = try PNGCodec.decodeGrey(Data(contentsOf: url), name: name)
            guard [image.height, image.width] == spatial else {
                throw WorkflowError(source: name, reason: "image is \(image.width)x\(image.height); the model expects \(spatial[1])x\(spatial[0])")
            }
            (kind, self.sampleRate, fileSampleRate, fileChannels) = (.image, nil, nil, nil)
            windows = [InputWindow(index: 0, samples: image.values, startSample: 0, paddedSamples: 0)]
        case "npy":
            let array = try NpyFile.read(url).asFloat
            guard array.shape == exampleShape || array.shape == spatial else {
                throw WorkflowError(source: name, reason: "array has shape \(array.shape); the model expects \(exampleShape)")
            }
            guard spatial.count >= 2 else {
                throw WorkflowError(source: name, reason: "a .npy input must be an image or a volume; for audio use a sound file")
            }
            (kind, self.sampleRate, fileSampleRate, fileChannels) = (spatial.count == 2 ? .image : .volume, nil, nil, nil)
            windows = [InputWindow(index: 0, samples: array.storage, startSample: 0, paddedSamples: 0)]
        default:
            guard spatial.count == 1 else {
                throw WorkflowError(source: name, reason: "looks like audio, but the model takes examples of shape \(exampleShape)")
            }
            let audio = try AudioFile.read(url)
            let mono = try Resampler.convert(audio.downmixed(), channels: 1, from: audio.sampleRate, to: modelRate)
            let length = spatial[0], step = hop ?? length
            guard step >= 1 else { throw WorkflowError(source: "--hop", reason: "hop = \(step); expected 1 or more samples") }
            (kind, self.sampleRate, fileSampleRate, fileChannels) = (.audio, modelRate, audio.sampleRate, audio.channels)
            let count = mono.count <= length ? 1 : (mono.count - length + step - 1) / step + 1
            windows = (0..<count).map { index in
                let start = index * step
                var samples = Array(mono[min(start, mono.count)..<min(start + length, mono.count)])
                let padding = length - samples.count
                samples += [Float](repeating: 0, count: padding)
                return InputWindow(index: index, samples: samples, startSample: start, paddedSamples: padding)
            }
        }
    }
}
