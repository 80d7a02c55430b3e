import Attribution
import Crypto
import Foundation
import Inference
import NDArray
import ONNX

/// A loaded classifier with what explanations need to describe it: class labels, the file's
/// SHA-256 and, for audio models, the sample rate.
public struct Classifier: Sendable {
    public let url: URL
    /// The decoded model.
    public let model: ONNXModel
    public let engine: InferenceEngine
    /// Class names in output order (from `<model>.labels.json`, else the class indices).
    public let labels: [String]
    /// Hex SHA-256 of the model file.
    public let sha256: String
    /// How the model's inputs and outputs are used.
    public let bindings: ModelBindings
    /// The values the state inputs start from, by input name (empty for a model without state).
    public let initialState: [String: NDArray<Float>]
    /// What the explained output is: logits, or probabilities already.
    public let scale: OutputScale
    private let exampleShape: [Int]?

    /// Shape of one example, e.g. `[1, 16000]` for a raw-waveform model.
    public var inputShape: [Int] { engine.inputShape }

    /// Loads `url` and its labels; `threads` and `maxBatch` set the engine's parallelism and
    /// memory; `exampleShape` resolves a model's dynamic input axes (e.g. `[1, 16000]`);
    /// `bindings` say which input and output are explained and give the others.
    public init(
        url: URL, threads: Int = 1, maxBatch: Int = 16, exampleShape: [Int]? = nil, bindings: ModelBindings = ModelBindings()
    ) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WorkflowError(
                source: url.path,
                reason: FileManager.default.fileExists(atPath: url.path)
                    ? "unreadable model file" : "no such model file")
        }
        model = try ONNXModel(data: data, name: url.path, externalDataDirectory: url.deletingLastPathComponent())
        self.url = url
        engine = try model.makeEngine(
            exampleShape: exampleShape, bindings: bindings, options: EngineOptions(threads: threads, maxBatch: maxBatch))
        self.bindings = bindings
        self.exampleShape = exampleShape
        initialState = try model.initialState(under: bindings)
        scale = model.outputIsProbability(under: bindings) ? .probabilities : .logits
        sha256 = StableHash.hex(bytes: SHA256.hash(data: data))
        let labelsURL = url.deletingPathExtension().appendingPathExtension("labels.json")
        if let labelData = try? Data(contentsOf: labelsURL) {
            guard let names = try? JSONDecoder().decode([String].self, from: labelData), names.count == engine.classCount else {
                throw WorkflowError(source: labelsURL.path, reason: "expected a JSON list of \(engine.classCount) class names")
            }
            var seen: [String: Int] = [:]
            for (index, name) in names.enumerated() {
                if let first = seen.updateValue(index, forKey: name) {
                    throw WorkflowError(
                        source: labelsURL.path,
                        reason: "class \(index) has the name \"\(name.prefix(80))\" of class \(first); "
                            + "expected \(engine.classCount) distinct class names")
                }
                if name.isEmpty { throw WorkflowError(source: labelsURL.path, reason: "class \(index) has an empty name") }
            }
            labels = names
        } else {
            labels = (0..<engine.classCount).map(String.init)
        }
    }

    private init(randomizing classifier: Classifier, model: ONNXModel, engine: InferenceEngine) {
        (url, labels, sha256) = (classifier.url, classifier.labels, classifier.sha256)
        (bindings, initialState, exampleShape) = (classifier.bindings, classifier.initialState, classifier.exampleShape)
        scale = classifier.scale
        self.model = model
        self.engine = engine
    }

    /// What each input other than the explained one is (`nil` when there is none): given at
    /// load, or a state held fixed at its value when the window began (`carried`: from the
    /// previous window; else its initial value).
    public func otherInputs(carried: Bool) -> [String: String]? {
        var described: [String: String] = [:]
        for (name, value) in bindings.values where bindings.state[name] == nil {
            described[name] = "given at load" + (value.shape.isEmpty ? ": \(value.elements[0])" : " (shape \(value.shape))")
        }
        for (name, output) in bindings.state {
            described[name] =
                carried
                ? "state carried from the previous window ('\(output)'), held fixed while this window was explained"
                : "state at its initial value, held fixed"
        }
        return described.isEmpty ? nil : described
    }

    /// The model as a classifier of the explained input, with its state inputs (if any) fixed
    /// to `state` (by input name).
    public func holding(_ state: [String: NDArray<Float>]) -> any InspectableClassifier {
        state.isEmpty && engine.heldInputs.isEmpty ? engine : HeldInputClassifier(engine: engine, heldInputs: state)
    }

    /// The same classifier with its `count` topmost parameterised layers re-initialised
    /// (`ONNXModel.randomizingTopLayers`), for the randomisation check.
    public func randomizingTopLayers(_ count: Int, seed: UInt64) throws -> Classifier {
        let randomized = model.randomizingTopLayers(count, seed: seed)
        return Classifier(
            randomizing: self, model: randomized,
            engine: try randomized.makeEngine(exampleShape: exampleShape, bindings: bindings, options: engine.options))
    }

    /// The class index of `name` (a label or an index).
    public func classIndex(_ name: String) throws -> Int {
        if let index = labels.firstIndex(of: name) { return index }
        if let index = Int(name) {
            guard labels.indices.contains(index) else {
                throw WorkflowError(
                    source: "--target", reason: "class index \(index) is out of range; expected 0...\(labels.count - 1) or a class name")
            }
            return index
        }
        throw WorkflowError(
            source: "--target",
            reason: "unknown class '\(name)'; the model's classes are "
                + labels.joined(separator: ", "))
    }

    /// The bundled audio model: `WAM_MODELS` if set, else `share/wam/models` beside the
    /// executable's folder, else the `Samples/models` folder of the source tree it was built in.
    public static func bundledModel(named name: String = "audio-resnet.onnx") -> URL? {
        var folders: [URL] = []
        if let custom = ProcessInfo.processInfo.environment["WAM_MODELS"] { folders.append(URL(fileURLWithPath: custom)) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        folders.append(executable.deletingLastPathComponent().appendingPathComponent("share/wam/models"))
        var directory = executable
        for _ in 0..<6 {
            folders.append(directory.appendingPathComponent("Samples/models"))
            directory = directory.deletingLastPathComponent()
        }
        folders.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Samples/models"))
        return folders.map { $0.appendingPathComponent(name) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}

/// Why an input, model or output could not be handled.
public struct WorkflowError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let reason: String

    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}
