import ArrayIO
import AtomicFiles
import AudioIO
import Foundation
import NDArray
import Rendering
import Wavelets

/// Writes results to a folder: per window `<stem>.json`, the interpretation (`<stem>.wav` for
/// audio), the picture (`<stem>.png`), optionally the input window (`<stem>_input.wav`). Every
/// file is written to a temporary name and renamed, so readers never see half a file.
public struct ResultWriter: Sendable {
    public let folder: URL
    public var writeAudio = true
    public var writeInputAudio = false
    public var writePicture = true

    public init(folder: URL) throws {
        self.folder = folder
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError(source: folder.path, reason: "cannot create the output folder (\(FileErrorReason.describe(error)))")
        }
    }

    /// Writes one window's files named after `stem`; returns the document with its file names.
    @discardableResult
    public func write(_ result: WindowResult, stem: String, picture: () -> Raster) throws -> ExplanationDocument {
        var document = result.document
        let isAudio = document.input.kind == .audio
        if isAudio && writeAudio, let rate = document.input.sampleRate {
            try AudioFile.writeWAV(result.interpretation, sampleRate: Int(rate), to: folder.appendingPathComponent("\(stem).wav"))
            document.files.interpretationWav = "\(stem).wav"
        }
        if isAudio && writeInputAudio, let rate = document.input.sampleRate {
            try AudioFile.writeWAV(result.window.samples, sampleRate: Int(rate), to: folder.appendingPathComponent("\(stem)_input.wav"))
            document.files.inputWav = "\(stem)_input.wav"
        }
        if writePicture {
            try AtomicFile.write(PNGCodec.encode(picture()), to: folder.appendingPathComponent("\(stem).png"))
            document.files.picture = "\(stem).png"
        }
        document.files.json = "\(stem).json"
        try writeJSON(document, to: folder.appendingPathComponent("\(stem).json"))
        return document
    }

    /// Writes any encodable value as pretty, key-sorted JSON with snake_case keys, atomically.
    public func writeJSON<Value: Encodable>(_ value: Value, to url: URL) throws {
        try AtomicFile.write(Self.encode(value), to: url)
    }

    /// The JSON bytes of `value` as the documents are written.
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }
}

/// Raw signed attributions per band, keyed like pywt, with a leading window axis for audio;
/// gathered window by window (only the attributions are kept, not the windows' other results)
/// and written as one `.npz` at the end.
public struct AttributionArchive {
    public let url: URL
    public let windowAxis: Bool
    private var layout: CoefficientLayout?
    private var bands: [[Float]] = []
    private var windows = 0

    public init(url: URL, windowAxis: Bool) {
        self.url = url
        self.windowAxis = windowAxis
    }

    /// Adds one window's attributions.
    public mutating func append(_ result: WindowResult) {
        let layout = layout ?? result.transform.layout
        if self.layout == nil { (self.layout, bands) = (layout, Array(repeating: [], count: layout.bands.count)) }
        for (index, band) in layout.bands.enumerated() { bands[index] += result.explanation.attribution[band.range] }
        windows += 1
    }

    /// Writes the archive (nothing when no window was added).
    public func write() throws {
        guard let layout else { return }
        let entries: [(key: String, array: NpyArray)] = zip(layout.bands, bands).map { band, storage in
            (layout.name(of: band), .float32(NDArray(shape: windowAxis ? [windows] + band.shape : band.shape, storage: storage)))
        }
        try NpzArchive.write(entries, to: url)
    }
}
