import Inference
import NDArray

/// How a model's inputs and outputs are used: which input is explained, which are given at load
/// time, which carry state from one call to the next, and which output is explained.
public struct ModelBindings: Sendable, Equatable {
    /// The input whose gradient is taken; `nil` for the first float input that is neither given
    /// nor state.
    public var explainedInput: String?
    /// The output to explain; `nil` for the first.
    public var output: String?
    /// Values given at load time, by input name (for a state input: its initial value).
    public var values: [String: InputValue]
    /// State carried between calls: input name -> the output that holds its next value.
    public var state: [String: String]

    /// Bindings; the defaults explain the first float input's effect on the first output.
    public init(explainedInput: String? = nil, output: String? = nil, values: [String: InputValue] = [:], state: [String: String] = [:]) {
        self.explainedInput = explainedInput
        self.output = output
        self.values = values
        self.state = state
    }
}

/// A value given for a model input (`--input sr=16000`, `--input state=state.npy`). A single
/// number given for an input with more elements fills it (dynamic axes taken as 1).
public struct InputValue: Sendable, Equatable {
    /// The value's shape (empty for a scalar).
    public let shape: [Int]
    /// The elements in row-major order.
    public let elements: [Double]

    /// One number.
    public init(scalar: Double) {
        shape = []
        elements = [scalar]
    }

    /// An array (read from a .npy file).
    public init(_ array: NDArray<Float>) {
        self.init(array.map(Double.init))
    }

    /// An array of any precision (integers are exact up to 2^53).
    public init(_ array: NDArray<Double>) {
        shape = array.shape
        elements = array.storage
    }
}

/// What each input and output of a model does under given bindings (`wam model info`).
public enum TensorRole: String, Sendable, Equatable {
    /// The input explained, or the output explained.
    case explained
    /// An input given at load time.
    case fixed
    /// An input carried from an output of the previous call, or that output.
    case state
    /// An input that still needs a value.
    case unbound
    /// An output nothing reads.
    case unused
}

/// Bindings checked against a graph, with the given values in the inputs' types.
struct ResolvedBindings: Sendable {
    /// A state input as the program holds it.
    struct Held: Sendable {
        let name: String
        let initial: NDArray<Float>
        let output: String
    }

    let explained: GraphDescription.ValueInfo
    /// The tensor explained: the chosen output, or for a binary classifier whose one output per
    /// example is a Sigmoid (then reshapes), not chosen by name, the Sigmoid's input (its logit).
    let output: String
    /// Inputs given at load time (state inputs excluded), as constants.
    let constants: [String: ConstantTensor]
    let held: [Held]
}

extension ModelBindings {
    /// The role of every input and output of `graph` (inputs first, in declaration order).
    func roles(in graph: GraphDescription) -> (inputs: [TensorRole], outputs: [TensorRole]) {
        let explained = explainedInput ?? defaultExplainedInput(graph)
        let inputs = graph.inputs.map { input -> TensorRole in
            if state[input.name] != nil { return .state }
            if values[input.name] != nil { return .fixed }
            return input.name == explained ? .explained : .unbound
        }
        let explainedOutput = output ?? graph.outputs.first?.name
        let outputs = graph.outputs.map { output -> TensorRole in
            if output.name == explainedOutput { return .explained }
            return state.values.contains(output.name) ? .state : .unused
        }
        return (inputs, outputs)
    }

    /// The first float input neither given nor state; failing that the first such input of any
    /// type (so that the message says it is not float).
    private func defaultExplainedInput(_ graph: GraphDescription) -> String? {
        let open = graph.inputs.filter { values[$0.name] == nil && state[$0.name] == nil }
        return (open.first { $0.dataType == .float } ?? open.first)?.name
    }

    /// Checks the bindings against `graph`: every name exists, every input has a role, and every
    /// given value fits its input's declared type and shape.
    func resolve(in graph: GraphDescription) throws(ONNXError) -> ResolvedBindings {
        let inputNames = graph.inputs.map(\.name), outputNames = graph.outputs.map(\.name)
        func check(input name: String, _ what: String) throws(ONNXError) {
            guard inputNames.contains(name) else {
                throw .invalidBinding(name: name, reason: "\(what), but the model has no input of that name; its inputs are \(Self.list(inputNames))")
            }
        }
        func check(output name: String, _ what: String) throws(ONNXError) {
            guard outputNames.contains(name) else {
                throw .invalidBinding(
                    name: name, reason: "\(what), but the model has no output of that name; its outputs are \(Self.list(outputNames))")
            }
        }
        for name in values.keys.sorted() { try check(input: name, "a value is given for it") }
        for (input, output) in state.sorted(by: { $0.key < $1.key }) {
            try check(input: input, "it is named as a state input")
            try check(output: output, "it is named as the next value of state input '\(input)'")
        }
        guard let explainedName = explainedInput ?? defaultExplainedInput(graph) else {
            throw .invalidModel(
                reason: "no float input is left to explain (inputs: \(Self.list(inputNames))); "
                    + "give fewer inputs at load or name one with --explain-input")
        }
        try check(input: explainedName, "it is to be explained")
        guard values[explainedName] == nil, state[explainedName] == nil else {
            throw .invalidBinding(name: explainedName, reason: "the explained input cannot also be given a value or carry state")
        }
        let explained = graph.inputs.first { $0.name == explainedName }!
        guard explained.dataType == .float else {
            throw .nonFloatTensor(tensor: explainedName, dataType: explained.dataType.name, context: "the explained input")
        }
        let outputName = output ?? outputNames.first ?? ""
        try check(output: outputName, "it is to be explained")
        guard !state.values.contains(outputName) else {
            throw .invalidBinding(name: outputName, reason: "the explained output cannot also be the next value of a state input")
        }
        var constants: [String: ConstantTensor] = [:], held: [ResolvedBindings.Held] = []
        for input in graph.inputs where input.name != explainedName {
            if let next = state[input.name] {
                guard input.dataType == .float else {
                    throw .invalidBinding(name: input.name, reason: "a state input must be float32; it is \(input.dataType.name)")
                }
                let initial =
                    if let value = values[input.name] {
                        try value.tensor(for: input)
                    } else {
                        ConstantTensor(NDArray(shape: try InputValue.filledShape(of: input), repeating: Float(0)))
                    }
                held.append(ResolvedBindings.Held(name: input.name, initial: initial.floatArray!, output: next))
            } else if let value = values[input.name] {
                constants[input.name] = try value.tensor(for: input)
            } else {
                throw .invalidBinding(
                    name: input.name,
                    reason: "the model needs a value for this \(input.dataType.name) input\(Self.describe(input.dimensions)): give it at load "
                        + "(`--input \(input.name)=VALUE` or `=FILE.npy` for wam, `[model] inputs = { \(input.name) = VALUE }` for wamd)"
                        + (input.dataType == .float
                            ? ", carry it as state (`--state \(input.name)=OUTPUT`, `[model] state`), or explain it (--explain-input)" : ""))
            }
        }
        // A binary classifier's single probability is explained on its logit (declared [N, 1] or [N]).
        var explainedTensor = outputName
        let declared = graph.outputs.first { $0.name == outputName }?.dimensions
        if output == nil, let declared, !declared.isEmpty, declared.dropFirst().allSatisfy({ $0 == .fixed(1) }),
            let logit = graph.sigmoidInput(of: outputName)
        {
            explainedTensor = logit
        }
        return ResolvedBindings(explained: explained, output: explainedTensor, constants: constants, held: held)
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "(none)" : names.map { "'\($0)'" }.joined(separator: ", ")
    }

    fileprivate static func describe(_ dimensions: [GraphDescription.ValueInfo.Dimension]?) -> String {
        guard let dimensions else { return "" }
        return " of shape ["
            + dimensions.map { dimension in
                switch dimension {
                case let .fixed(size): String(size)
                case let .symbolic(name): name.isEmpty ? "?" : name
                }
            }.joined(separator: ", ") + "]"
    }
}

extension InputValue {
    /// The declared shape of `input` with dynamic axes taken as 1.
    fileprivate static func filledShape(of input: GraphDescription.ValueInfo) throws(ONNXError) -> [Int] {
        guard let dimensions = input.dimensions else {
            throw .invalidBinding(
                name: input.name, reason: "the model declares no shape for this input, so a single number cannot fill it; give an array (.npy)")
        }
        return dimensions.map { $0.fixedValue ?? 1 }
    }

    /// The value as a constant of `input`'s type and shape.
    fileprivate func tensor(for input: GraphDescription.ValueInfo) throws(ONNXError) -> ConstantTensor {
        var shape = self.shape, elements = self.elements
        let declared = input.dimensions
        if elements.count == 1, let declared, !declared.isEmpty, shape.count != declared.count {
            shape = try Self.filledShape(of: input)
            let count = shape.reduce(1, *)
            guard count <= TensorLimits.maxElements else {
                throw .invalidBinding(name: input.name, reason: "filling shape \(shape) would exceed \(TensorLimits.maxElements) elements")
            }
            elements = Array(repeating: elements[0], count: count)
        }
        if let declared {
            guard declared.count == shape.count,
                zip(declared, shape).allSatisfy({ dimension, size in dimension.fixedValue.map { $0 == size } ?? true })
            else {
                throw .invalidBinding(
                    name: input.name, reason: "the value given has shape \(shape); the model declares\(ModelBindings.describe(declared))")
            }
        }
        guard elements.allSatisfy(\.isFinite) else {
            throw .invalidBinding(name: input.name, reason: "the value given holds NaN or infinity")
        }
        switch input.dataType {
        case .float:
            let floats = elements.map { Float($0) }
            guard floats.allSatisfy(\.isFinite) else {
                throw .invalidBinding(name: input.name, reason: "the value given does not fit float32 (magnitudes up to 3.4e38)")
            }
            return ConstantTensor(shape: shape, dataType: .float, elements: .float(floats))
        case .double, .float16, .bfloat16:
            return ConstantTensor(shape: shape, dataType: input.dataType, elements: .otherFloat(elements))
        case let type where type.isInteger:
            guard elements.allSatisfy({ $0 == $0.rounded() }) else {
                throw .invalidBinding(name: input.name, reason: "this input is \(type.name), but the value given is not a whole number")
            }
            // Int64's range, -2^63 included (exact as a double), 2^63 excluded.
            guard elements.allSatisfy({ $0 >= -9_223_372_036_854_775_808.0 && $0 < 9_223_372_036_854_775_808.0 }) else {
                throw .invalidBinding(name: input.name, reason: "the value given is outside the range of \(type.name)")
            }
            return ConstantTensor(shape: shape, dataType: type, elements: .integer(elements.map { Int64($0) }))
        default:
            throw .invalidBinding(name: input.name, reason: "values of type \(input.dataType.name) cannot be given")
        }
    }
}
