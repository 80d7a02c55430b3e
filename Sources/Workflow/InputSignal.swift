import ArrayIO
import AudioIO
import Foundation
import NDArray
import Rendering

/// What an input is, judged by the model's input shape.
public enum SignalKind: String, Sendable, Codable {
    case audio, image, volume
}

/// One model example cut from an input.
public struct InputWindow: Sendable {
    public init(index: Int, samples: [Float], startSample: Int, paddedSamples: Int, state: [String: NDArray<Float>] = [:]) {
        self.index = index
        self.samples = samples
        self.startSample = startSample
        self.paddedSamples = paddedSamples
        self.state = state
    }

    /// Position among the input's windows.
    public let index: Int
    /// The example, row-major in the model's input shape.
    public let samples: [Float]
    /// Audio: index of the first sample, at the model's rate.
    public let startSample: Int
    /// Audio: zeros appended because the input ended inside the window.
    public let paddedSamples: Int
    /// A stateful model's state as the window found it (by input name): held fixed while the
    /// window is explained. Empty for models without state (and then their initial state).
    public var state: [String: NDArray<Float>]
}

/// What an input is: its name, kind, rates and how many windows it holds (the windows
/// themselves come from an `InputReader`, one at a time).
public struct InputSignal: Sendable {
    public let file: String
    public let kind: SignalKind
    /// Audio: the model's sample rate (the windows' rate).
    public let sampleRate: Double?
    /// Audio: the file's own rate and channel count.
    public let fileSampleRate: Double?
    public let fileChannels: Int?
    /// The windows the input holds; for audio files as their header announces (a damaged file
    /// may end sooner).
    public let windowCount: Int

    /// A live stream named `name`, already at the model's rate, explained one window at a time.
    public init(stream name: String, sampleRate: Double) {
        (file, kind, self.sampleRate, fileSampleRate, fileChannels, windowCount) = (name, .audio, sampleRate, nil, nil, 1)
    }

    init(file: String, kind: SignalKind, sampleRate: Double?, fileSampleRate: Double?, fileChannels: Int?, windowCount: Int) {
        (self.file, self.kind, self.sampleRate, self.fileSampleRate, self.fileChannels, self.windowCount) = (
            file, kind, sampleRate, fileSampleRate, fileChannels, windowCount
        )
    }
}

/// An input file opened for a model: audio of any format, rate and channel count (downmixed,
/// resampled with libsoxr, cut into windows of the model's length, read from the file as they
/// are needed, so memory does not grow with the recording's length), PNG images (grey, scaled
/// to [0, 1]) and `.npy` arrays (images or volumes).
public final class InputReader {
    public let signal: InputSignal
    private var source: Source
    private var produced = 0

    private enum Source {
        case whole([InputWindow])
        case audio(AudioFileReader, WindowCutter, pending: [CutWindow], ended: Bool)
    }

    /// Opens `url` for a model taking examples of `exampleShape`; audio is cut with `hop`
    /// samples between window starts (default: the window length).
    /// - Throws: `WorkflowError` naming the file (or `--hop`) and what is wrong with it.
    public init(url: URL, exampleShape: [Int], sampleRate modelRate: Double, hop: Int?) throws {
        let name = url.path
        let spatial = exampleShape.first == 1 && exampleShape.count > 1 ? Array(exampleShape.dropFirst()) : exampleShape
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
            throw WorkflowError(source: name, reason: "is a folder; expected a sound file, a .png image or a .npy array")
        }
        switch url.pathExtension.lowercased() {
        case "png":
            guard spatial.count == 2 else {
                throw WorkflowError(source: name, reason: "a PNG needs an image model; this model takes examples of shape \(exampleShape)")
            }
            let image = try PNGCodec.decodeGrey(Data(contentsOf: url), name: name)
            guard [image.height, image.width] == spatial else {
                throw WorkflowError(source: name, reason: "image is \(image.width)x\(image.height); the model expects \(spatial[1])x\(spatial[0])")
            }
            signal = InputSignal(file: name, kind: .image, sampleRate: nil, fileSampleRate: nil, fileChannels: nil, windowCount: 1)
            source = .whole([InputWindow(index: 0, samples: image.values, startSample: 0, paddedSamples: 0)])
        case "npy":
            let array = try NpyFile.read(url).asFloat
            guard array.shape == exampleShape || array.shape == spatial else {
                throw WorkflowError(source: name, reason: "array has shape \(array.shape); the model expects \(exampleShape)")
            }
            guard spatial.count >= 2 else {
                throw WorkflowError(source: name, reason: "a .npy input must be an image or a volume; for audio use a sound file")
            }
            signal = InputSignal(
                file: name, kind: spatial.count == 2 ? .image : .volume, sampleRate: nil, fileSampleRate: nil,
                fileChannels: nil, windowCount: 1)
            source = .whole([InputWindow(index: 0, samples: array.storage, startSample: 0, paddedSamples: 0)])
        default:
            guard spatial.count == 1 else {
                throw WorkflowError(source: name, reason: "looks like audio, but the model takes examples of shape \(exampleShape)")
            }
            let length = spatial[0], step = hop ?? length
            guard step >= 1 else { throw WorkflowError(source: "--hop", reason: "hop = \(step); expected 1 or more samples") }
            let reader = try AudioFileReader(url: url)
            guard reader.frameCount != 0 else { throw WorkflowError(source: name, reason: "holds no audio frames") }
            // libsndfile announces the length (unknown lengths come as a huge count: clamp them).
            let frames = Int(min(Double(Int32.max), (Double(max(reader.frameCount, 1)) * modelRate / reader.sampleRate).rounded()))
            signal = InputSignal(
                file: name, kind: .audio, sampleRate: modelRate, fileSampleRate: reader.sampleRate,
                fileChannels: reader.channels,
                windowCount: max(1, WindowAssembler.windowCount(samples: frames, length: length, hop: step)))
            let cutter = try WindowCutter(
                streamRate: reader.sampleRate, channels: reader.channels, modelRate: modelRate,
                length: length, hop: step)
            source = .audio(reader, cutter, pending: [], ended: false)
        }
    }

    /// The next window; nil after the last.
    /// - Throws: when the file cannot be decoded further (the windows before are valid).
    public func next() throws -> InputWindow? {
        switch source {
        case let .whole(windows):
            guard produced < windows.count else { return nil }
            produced += 1
            return windows[produced - 1]
        case .audio(let reader, let cutter, var pending, var ended):
            while pending.isEmpty && !ended {
                if let block = try reader.read(frames: 65536) {
                    pending = cutter.append(block)
                } else {
                    pending = cutter.finish()
                    ended = true
                }
            }
            defer { source = .audio(reader, cutter, pending: pending, ended: ended) }
            guard !pending.isEmpty else {
                if produced == 0 { throw WorkflowError(source: signal.file, reason: "holds no audio frames") }
                return nil
            }
            let cut = pending.removeFirst()
            produced += 1
            return InputWindow(index: produced - 1, samples: cut.samples, startSample: cut.start, paddedSamples: cut.padding)
        }
    }

    /// The first window of `url` and what the input is (evaluations use one example per file).
    public static func first(url: URL, exampleShape: [Int], sampleRate: Double) throws -> (signal: InputSignal, window: InputWindow) {
        let reader = try InputReader(url: url, exampleShape: exampleShape, sampleRate: sampleRate, hop: nil)
        guard let window = try reader.next() else { throw WorkflowError(source: url.path, reason: "holds no example") }
        return (reader.signal, window)
    }
}
