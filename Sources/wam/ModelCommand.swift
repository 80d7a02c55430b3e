import ArgumentParser
import ArrayIO
import CommandSupport
import Foundation
import Inference
import NDArray
import ONNX
import Workflow

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect and run ONNX classifiers with the built-in differentiable engine.",
        subcommands: [Info.self, Run.self]
    )

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a model's inputs, outputs, opset, operators, parameter count and whether the engine runs it."
        )

        @Argument(help: "The model (.onnx).")
        var model: String

        @OptionGroup var modelInputs: ModelInputOptions

        @Option(parsing: .upToNextOption, help: "Shape of one example, for models with dynamic input axes (e.g. 1 16000).")
        var inputShape: [Int] = []

        func validate() throws {
            for size in inputShape { try Check.range(size, 1...100_000_000, "--input-shape") }
        }

        func run() throws {
            let onnx = try ONNXModel(contentsOf: URL(fileURLWithPath: model))
            let summary = onnx.summary
            let bindings = try modelInputs.bindings()
            let roles = onnx.roles(under: bindings)
            func describe(_ tensor: ModelSummary.Tensor) -> String {
                "\(tensor.name) \(tensor.dataType) " + (tensor.shape.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(no shape)")
            }
            func role(_ role: TensorRole, input: ModelSummary.Tensor?) -> String {
                switch role {
                case .explained: "explained"
                case .fixed: "given at load"
                case .state: "state"
                case .unbound:
                    "needs a value (--input \(input?.name ?? "NAME")=VALUE)"
                        + (input?.dataType == "float32" ? " or to carry state (--state \(input?.name ?? "NAME")=OUTPUT)" : "")
                case .unused: "not used"
                }
            }
            print(model)
            print("  opset:      \(summary.opset)" + (summary.producer.isEmpty ? "" : " (written by \(summary.producer))"))
            for (input, inputRole) in zip(summary.inputs, roles.inputs) {
                print("  input:      \(describe(input)): \(role(inputRole, input: input))")
            }
            for (output, outputRole) in zip(summary.outputs, roles.outputs) {
                print("  output:     \(describe(output)): \(role(outputRole, input: nil))")
            }
            print("  parameters: \(summary.parameterCount)")
            let nodes = summary.operatorCounts.values.reduce(0, +)
            let counts = summary.operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            print("  operators:  \(nodes) nodes: " + counts.joined(separator: ", "))
            if summary.unsupportedOperators.isEmpty {
                print("  supported:  yes, every operator")
            } else {
                print(
                    "  supported:  no, the engine lacks \(summary.missingOperators.count) operator\(summary.missingOperators.count == 1 ? "" : "s"):")
                for missing in summary.missingOperators { print("              \(missing)") }
                return
            }
            do {
                let engine = try onnx.makeEngine(exampleShape: inputShape.isEmpty ? nil : inputShape, bindings: bindings)
                print(
                    "  runs:       yes, one example \(engine.inputShape) -> \(engine.outputShape)"
                        + (engine.heldInputs.isEmpty
                            ? "" : ", one example per pass (state: \(engine.heldInputs.map(\.name).joined(separator: ", ")))"))
            } catch {
                print("  runs:       not as given: \(error)")
            }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a model on a batch and write its logits (and an input gradient) to an .npz.",
            discussion: """
                INPUT.npy holds a batch in the model's layout, batch axis first. The archive gets \
                `logits` [N, classes] and, with --grad, `input_grad` (the shape of the input): the \
                gradient of that class's logit with respect to each example. With --state, the \
                examples are a stream: each runs with the state the one before left (its gradient \
                holds that state fixed), and the archive also gets the final state (`state.NAME`).
                """
        )

        @Argument(help: "The model (.onnx).")
        var model: String

        @Argument(help: "The input batch (.npy; float32, float64 or integers).")
        var input: String

        @Option(help: "Also compute the gradient of this class's logit with respect to the input.")
        var grad: Int?

        @Option(help: "Output archive (.npz).")
        var out: String

        @Option(parsing: .upToNextOption, help: "Shape of one example, for models with dynamic input axes (e.g. 1 16000).")
        var inputShape: [Int] = []

        @OptionGroup var modelInputs: ModelInputOptions

        @Option(help: "Threads to use.")
        var threads: Int = 1

        func validate() throws {
            try Check.range(threads, 1...64, "--threads")
            if let grad { try Check.range(grad, 0...1_000_000, "--grad") }
            for size in inputShape { try Check.range(size, 1...100_000_000, "--input-shape") }
        }

        func run() throws {
            let classifier = try Classifier(
                url: URL(fileURLWithPath: model), threads: threads,
                exampleShape: inputShape.isEmpty ? nil : inputShape, bindings: try modelInputs.bindings())
            let engine = classifier.engine
            let batch = try NpyFile.read(URL(fileURLWithPath: input)).asFloat
            let count = batch.shape.first ?? 0
            var entries: [(key: String, array: NpyArray)]
            if !classifier.bindings.state.isEmpty {
                // A stateful model: the examples are a stream, each run with the state the one before left.
                guard batch.rank == engine.inputShape.count + 1, Array(batch.shape.dropFirst()) == engine.inputShape else {
                    throw InferenceError.inputShapeMismatch(expected: [-1] + engine.inputShape, actual: batch.shape)
                }
                var carrier = StateCarrier(classifier: classifier)
                var logits: [Float] = [], gradients: [Float] = []
                let size = engine.inputShape.reduce(1, *)
                for example in 0..<count {
                    let result = try carrier.advance(Array(batch.storage[(example * size)..<((example + 1) * size)]), gradientOf: grad)
                    logits += result.outputs
                    gradients += result.gradient ?? []
                }
                entries = [("logits", .float32(NDArray(shape: [count] + engine.outputShape, storage: logits)))]
                if grad != nil { entries.append(("input_grad", .float32(NDArray(shape: batch.shape, storage: gradients)))) }
                for (name, value) in carrier.state.sorted(by: { $0.key < $1.key }) { entries.append(("state.\(name)", .float32(value))) }
            } else if let grad {
                let (logits, gradient) = try engine.inputGradient(batch, classes: Array(repeating: grad, count: count))
                entries = [("logits", .float32(logits)), ("input_grad", .float32(gradient))]
            } else {
                entries = [("logits", .float32(try engine.logits(batch)))]
            }
            try NpzArchive.write(entries, to: URL(fileURLWithPath: out))
            print("\(input): \(batch.shape) -> " + entries.map { "\($0.key) \($0.array.shape)" }.joined(separator: ", ") + " in \(out)")
        }
    }
}
