import Foundation
import Inference
import NDArray
import SwiftProtobuf
import Testing

@testable import ONNX

/// Models with several inputs and outputs: inputs given at load in their declared types, state
/// held per pass, the explained input and output chosen by name, and `If` folded at load.
struct BindingsAndControlFlowTests {
    static func node(_ opType: String, _ inputs: [String], _ outputs: [String], graphs: [String: Onnx_GraphProto] = [:]) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        (node.opType, node.name, node.input, node.output) = (opType, outputs[0] + "_node", inputs, outputs)
        node.attribute = graphs.sorted { $0.key < $1.key }.map { name, graph in
            var attribute = Onnx_AttributeProto()
            (attribute.name, attribute.type, attribute.g) = (name, .graph, graph)
            return attribute
        }
        return node
    }

    static func valueInfo(_ name: String, _ type: Int32, _ shape: [Int64?]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType.elemType = type
        info.type.tensorType.shape.dim = shape.map { size in
            var dimension = Onnx_TensorShapeProto.Dimension()
            if let size { dimension.dimValue = size } else { dimension.dimParam = "N" }
            return dimension
        }
        return info
    }

    static func initializer(_ name: String, _ values: [Float], shape: [Int64]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        (tensor.name, tensor.dataType, tensor.dims, tensor.floatData) = (name, 1, shape, values)
        return tensor
    }

    static func branch(
        _ name: String, _ nodes: [Onnx_NodeProto], output: String, initializers: [Onnx_TensorProto] = []
    ) -> Onnx_GraphProto {
        var graph = Onnx_GraphProto()
        (graph.name, graph.node, graph.output, graph.initializer) = (name, nodes, [valueInfo(output, 1, [])], initializers)
        return graph
    }

    /// x float [N, 4], k int64 scalar, s float [1, 4]:
    /// y = (k == 1 ? 2x : -x) + s;  s_next = s + 1;  p = sigmoid(y).
    static func gatedModel(condition: [Onnx_NodeProto]? = nil, thenInitializers: [Onnx_TensorProto] = []) throws -> ONNXModel {
        var one = Onnx_TensorProto()
        (one.name, one.dataType, one.int64Data) = ("one", 7, [1])
        var graph = Onnx_GraphProto()
        graph.name = "gated"
        graph.initializer = [one, initializer("two", [2], shape: []), initializer("ones", [1, 1, 1, 1], shape: [1, 4])]
        let then = branch("then", [node("Mul", ["x", "two"], ["doubled"])], output: "doubled", initializers: thenInitializers)
        let otherwise = branch("else", [node("Neg", ["x"], ["negated"])], output: "negated")
        graph.node =
            (condition ?? [node("Equal", ["k", "one"], ["c"])])
            + [
                node("If", ["c"], ["chosen"], graphs: ["then_branch": then, "else_branch": otherwise]),
                node("Add", ["chosen", "s"], ["y"]),
                node("Add", ["s", "ones"], ["s_next"]),
                node("Sigmoid", ["y"], ["p"]),
            ]
        graph.input = [valueInfo("x", 1, [nil, 4]), valueInfo("k", 7, []), valueInfo("s", 1, [1, 4])]
        graph.output = [valueInfo("y", 1, [nil, 4]), valueInfo("s_next", 1, [1, 4]), valueInfo("p", 1, [nil, 4])]
        return try load(graph, name: "gated.onnx")
    }

    /// `graph` as an opset-17 model file, loaded.
    static func load(_ graph: Onnx_GraphProto, name: String) throws -> ONNXModel {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph = graph
        return try ONNXModel(data: try model.serializedData(), name: name)
    }

    static let x = NDArray<Float>(shape: [1, 4], storage: [1, -2, 3, 0.5])
    static let s = NDArray<Float>(shape: [1, 4], storage: [10, 20, 30, 40])

    static func bindings(k: Double, state: Bool = false) -> ModelBindings {
        ModelBindings(
            values: ["k": InputValue(scalar: k), "s": InputValue(s)],
            state: state ? ["s": "s_next"] : [:])
    }

    @Test("the branch an integer input given at load chooses is the one compiled")
    func ifFoldsOnAnInputGivenAtLoad() throws {
        let model = try Self.gatedModel()
        let taken = try model.makeEngine(bindings: Self.bindings(k: 1)).logits(Self.x).storage
        #expect(taken == [12, 16, 36, 41])
        let other = try model.makeEngine(bindings: Self.bindings(k: 0)).logits(Self.x).storage
        #expect(other == [9, 22, 27, 39.5])
        #expect(model.summary.operatorCounts["Mul"] == 1 && model.summary.operatorCounts["Neg"] == 1)
    }

    @Test("an If whose condition depends on the explained input's values is refused, naming the node and the input")
    func ifOnInputValuesIsRefused() throws {
        var cast = Self.node("Cast", ["total"], ["c"])
        var to = Onnx_AttributeProto()
        (to.name, to.type, to.i) = ("to", .int, 9)
        cast.attribute = [to]
        let model = try Self.gatedModel(condition: [Self.node("ReduceSum", ["x"], ["total"]), cast])
        do {
            _ = try model.makeEngine(bindings: Self.bindings(k: 1))
            Issue.record("an If on the input's values compiled")
        } catch {
            let text = "\(error)"
            #expect(text.contains("If (node 'chosen_node')"), "\(text)")
            #expect(text.contains("depends on the values of 'x'"), "\(text)")
        }
    }

    @Test("a condition computed by arithmetic on a float input given at load folds; a comparison of the input's values is refused at the If")
    func conditionsThroughArithmeticAndComparisons() throws {
        var castToBool = Onnx_AttributeProto()
        (castToBool.name, castToBool.type, castToBool.i) = ("to", .int, 9)
        var sumCast = Self.node("Cast", ["total"], ["c"])
        sumCast.attribute = [castToBool]
        // c = bool(ReduceSum(s)): s is given at load, so c is known.
        let folded = try Self.gatedModel(condition: [Self.node("ReduceSum", ["s"], ["total"]), sumCast])
        #expect(try folded.makeEngine(bindings: Self.bindings(k: 1)).logits(Self.x).storage == [12, 16, 36, 41])
        // c = ReduceSum(x) > 0: the explained input's values decide; the If names 'x'.
        let runtime = try Self.gatedModel(condition: [Self.node("ReduceSum", ["x"], ["total"]), Self.node("Greater", ["total", "two"], ["c"])])
        do {
            _ = try runtime.makeEngine(bindings: Self.bindings(k: 1))
            Issue.record("an If on a comparison of the input's values compiled")
        } catch {
            #expect("\(error)".contains("If (node 'chosen_node')") && "\(error)".contains("depends on the values of 'x'"), "\(error)")
        }
    }

    @Test("each input needs a role; given values must fit the declared type and shape")
    func bindingErrors() throws {
        let model = try Self.gatedModel()
        func message(_ bindings: ModelBindings) -> String {
            do {
                _ = try model.makeEngine(bindings: bindings)
                return "compiled"
            } catch { return "\(error)" }
        }
        #expect(message(ModelBindings(values: ["s": InputValue(Self.s)])).contains("'k': the model needs a value for this int64 input of shape []"))
        #expect(message(Self.bindings(k: 1.5)).contains("'k': this input is int64, but the value given is not a whole number"))
        var wrongShape = Self.bindings(k: 1)
        wrongShape.values["s"] = InputValue(NDArray<Float>(shape: [4], repeating: 0))
        #expect(message(wrongShape).contains("'s': the value given has shape [4]; the model declares of shape [1, 4]"))
        var unknown = Self.bindings(k: 1)
        unknown.values["rate"] = InputValue(scalar: 1)
        #expect(message(unknown).contains("'rate': a value is given for it, but the model has no input of that name; its inputs are 'x', 'k', 's'"))
        var explainsInteger = Self.bindings(k: 1)
        explainsInteger.explainedInput = "k"
        #expect(message(explainsInteger).contains("cannot also be given a value"))
        var badOutput = Self.bindings(k: 1)
        badOutput.output = "z"
        #expect(message(badOutput).contains("'z': it is to be explained, but the model has no output of that name"))
        var overflow = Self.bindings(k: 1)
        overflow.values["s"] = InputValue(scalar: 1e39)
        #expect(message(overflow).contains("'s': the value given does not fit float32"))
        #expect(message(Self.bindings(k: 9_223_372_036_854_775_808.0)).contains("'k': the value given is outside the range of int64"))
        #expect(try model.makeEngine(bindings: Self.bindings(k: -9_223_372_036_854_775_808.0)).logits(Self.x).storage == [9, 22, 27, 39.5])
        var filled = Self.bindings(k: 1)
        filled.values["s"] = InputValue(scalar: 3)
        #expect(try model.makeEngine(bindings: filled).logits(Self.x).storage == [5, -1, 9, 4])
    }

    @Test("a state input is held per pass: no gradient flows into it, its next value is read by name")
    func heldState() throws {
        let model = try Self.gatedModel()
        let engine = try model.makeEngine(bindings: Self.bindings(k: 1, state: true))
        #expect(engine.heldInputs.map(\.name) == ["s"] && engine.heldInputs[0].shape == [1, 4])
        let state = NDArray<Float>(shape: [1, 4], storage: [1, 1, 1, 1])
        let result = try engine.evaluate(
            Self.x, EvaluationRequest(cotangent: .classes([2]), activations: ["s_next"], heldInputs: ["s": state]))
        #expect(result.output.storage == [3, -3, 7, 2])
        #expect(result.inputGradient!.storage == [0, 0, 2, 0])
        #expect(result.activations["s_next"]!.storage == [2, 2, 2, 2])
        #expect(throws: InferenceError.self) { try engine.logits(Self.x) }
        #expect(throws: InferenceError.self) {
            try engine.evaluate(Self.x, EvaluationRequest(heldInputs: ["s": NDArray(shape: [4], repeating: 0)]))
        }
        // Several examples run one per pass, each with the same state.
        let batch = NDArray<Float>(shape: [2, 4], storage: Self.x.storage + Self.x.storage)
        let held = HeldInputClassifier(engine: engine, heldInputs: ["s": state])
        #expect(try held.logits(batch).storage == [3, -3, 7, 2, 3, -3, 7, 2])
        #expect(try model.initialState(under: Self.bindings(k: 1, state: true))["s"] == Self.s)
    }

    @Test("roles: explained, given at load, state, unbound, unused; --output picks another output")
    func rolesAndOutputChoice() throws {
        let model = try Self.gatedModel()
        let roles = model.roles(under: ModelBindings(values: ["k": InputValue(scalar: 1)], state: ["s": "s_next"]))
        #expect(roles.inputs == [.explained, .fixed, .state])
        #expect(roles.outputs == [.explained, .state, .unused])
        #expect(model.roles(under: ModelBindings()).inputs == [.explained, .unbound, .unbound])
        var bindings = Self.bindings(k: 1)
        bindings.output = "p"
        let p = try model.makeEngine(bindings: bindings).logits(Self.x).storage
        let y: [Double] = [12, 16, 36, 41]
        #expect(zip(p, y).allSatisfy { abs(Double($0) - 1 / (1 + exp(-$1))) < 1e-6 })
    }

    @Test("one sigmoid output per example is explained on its logit unless the output is chosen by name; multi-label sigmoids stay probabilities")
    func sigmoidOutputIsExplainedOnItsLogit() throws {
        var graph = Onnx_GraphProto()
        graph.name = "binary"
        graph.initializer = [Self.initializer("two", [2], shape: [])]
        graph.node = [Self.node("Mul", ["x", "two"], ["z"]), Self.node("Sigmoid", ["z"], ["s"]), Self.node("Flatten", ["s"], ["prob"])]
        graph.input = [Self.valueInfo("x", 1, [nil, 1])]
        graph.output = [Self.valueInfo("prob", 1, [nil, 1])]
        let model = try Self.load(graph, name: "binary.onnx")
        let x = NDArray<Float>(shape: [4, 1], storage: [1, -2, 3, 0.5])
        #expect(try model.explainedTensor(under: ModelBindings()) == "z")
        #expect(!model.outputIsProbability(under: ModelBindings()))
        #expect(try model.makeEngine().logits(x).storage == [2, -4, 6, 1])
        let chosen = ModelBindings(output: "prob")
        #expect(try model.explainedTensor(under: chosen) == "prob" && model.outputIsProbability(under: chosen))
        let probabilities = try model.makeEngine(bindings: chosen).logits(x).storage
        #expect(zip(probabilities, [2.0, -4, 6, 1]).allSatisfy { abs(Double($0) - 1 / (1 + exp(-$1))) < 1e-6 })
        // Several sigmoid outputs per example (multi-label) are probabilities, explained as they are.
        graph.input = [Self.valueInfo("x", 1, [nil, 4])]
        graph.output = [Self.valueInfo("prob", 1, [nil, 4])]
        let multiLabel = try Self.load(graph, name: "multilabel.onnx")
        #expect(try multiLabel.explainedTensor(under: ModelBindings()) == "prob" && multiLabel.outputIsProbability(under: ModelBindings()))
    }

    @Test("a branch initializer that reuses a name of the enclosing graph is refused (onnxruntime would read the outer one)")
    func shadowingBranchInitializer() throws {
        let model = try Self.gatedModel(thenInitializers: [Self.initializer("two", [100], shape: [])])
        do {
            _ = try model.makeEngine(bindings: Self.bindings(k: 1))
            Issue.record("a shadowing branch initializer compiled")
        } catch {
            #expect("\(error)".contains("then_branch has an initializer 'two' that shadows a tensor of the enclosing graph"), "\(error)")
        }
        #expect(try model.makeEngine(bindings: Self.bindings(k: 0)).logits(Self.x).storage == [9, 22, 27, 39.5])
    }

    @Test("STFT refuses a frame_step or frame_length of several values, a window that is not 1-D, and neither window nor length")
    func stftRefusals() throws {
        func stft(step: [Int64], window: (values: [Float], shape: [Int64])?, length: [Int64]?) throws -> String {
            var graph = Onnx_GraphProto()
            graph.name = "stft"
            var stepTensor = Onnx_TensorProto()
            (stepTensor.name, stepTensor.dataType, stepTensor.int64Data, stepTensor.dims) = (
                "step", 7, step, step.count == 1 ? [] : [Int64(step.count)]
            )
            graph.initializer = [stepTensor]
            var inputs = ["x", "step", "", ""]
            if let window {
                graph.initializer.append(Self.initializer("window", window.values, shape: window.shape))
                inputs[2] = "window"
            }
            if let length {
                var lengthTensor = Onnx_TensorProto()
                (lengthTensor.name, lengthTensor.dataType, lengthTensor.int64Data, lengthTensor.dims) = (
                    "length", 7, length, length.count == 1 ? [] : [Int64(length.count)]
                )
                graph.initializer.append(lengthTensor)
                inputs[3] = "length"
            }
            graph.node = [Self.node("STFT", inputs, ["y"])]
            graph.input = [Self.valueInfo("x", 1, [nil, 32, 1])]
            graph.output = [Self.valueInfo("y", 1, [nil, nil, nil, nil])]
            do {
                _ = try Self.load(graph, name: "stft.onnx").makeEngine()
                return "compiled"
            } catch { return "\(error)" }
        }
        #expect(try stft(step: [4], window: nil, length: [8]) == "compiled")
        #expect(try stft(step: [8, 4], window: nil, length: [8]).contains("frame_step must be one positive integer"))
        #expect(try stft(step: [4], window: ([Float](repeating: 1, count: 16), [4, 4]), length: nil).contains("the window has shape [4, 4]"))
        #expect(try stft(step: [4], window: nil, length: [8, 8]).contains("frame_length must be one integer"))
        #expect(try stft(step: [4], window: nil, length: nil).contains("needs a window or a frame_length"))
    }

    @Test("a tensor written by two nodes is refused, naming both")
    func tensorWrittenTwice() throws {
        var graph = Onnx_GraphProto()
        graph.name = "twice"
        graph.node = [Self.node("Relu", ["x"], ["y"]), Self.node("Neg", ["x"], ["y"])]
        graph.input = [Self.valueInfo("x", 1, [nil, 4])]
        graph.output = [Self.valueInfo("y", 1, [nil, 4])]
        #expect(
            throws: ONNXError.invalidModel(reason: "tensor 'y' is written by node 'y_node' and again by node 'y_node'; ONNX names each tensor once")
        ) {
            try Self.load(graph, name: "twice.onnx").makeEngine()
        }
    }

    @Test("subgraphs nested deeper than the limit are refused at load, not followed")
    func nestingLimit() throws {
        let leaf = Self.branch("leaf", [Self.node("Identity", ["x"], ["leaf"])], output: "leaf")
        var inner = leaf
        for depth in 0...GraphDescription.maxNesting {
            inner = Self.branch(
                "level\(depth)", [Self.node("If", ["c"], ["level\(depth)"], graphs: ["then_branch": inner, "else_branch": leaf])],
                output: "level\(depth)")
        }
        inner.input = [Self.valueInfo("x", 1, [nil, 4])]
        #expect(throws: ONNXError.self) { try Self.load(inner, name: "deep.onnx") }
    }
}
