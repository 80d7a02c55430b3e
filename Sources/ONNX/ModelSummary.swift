/// What `wam model info` shows: the model's interface, size and operators.
public struct ModelSummary: Sendable {
    /// A declared input or output.
    public struct Tensor: Sendable, Equatable {
        /// Tensor name.
        public let name: String
        /// Element type (`float32`, `int64`, ...).
        public let dataType: String
        /// Declared axes: numbers, or the names of dynamic axes (`nil` when undeclared).
        public let shape: [String]?
    }

    /// Graph inputs (initializers excluded).
    public let inputs: [Tensor]
    /// Graph outputs.
    public let outputs: [Tensor]
    /// Version of the default operator set.
    public let opset: Int
    /// The program that wrote the file (may be empty).
    public let producer: String
    /// How many nodes use each operator.
    public let operatorCounts: [String: Int]
    /// Elements of all floating-point initializers.
    public let parameterCount: Int
    /// Operators the engine does not implement, each with the nodes using it (empty when the
    /// model can run).
    public let missingOperators: [MissingOperator]

    /// The names of the operators the engine does not implement, sorted.
    public var unsupportedOperators: [String] { missingOperators.map(\.name).sorted() }

    init(_ graph: GraphDescription) {
        func tensor(_ info: GraphDescription.ValueInfo) -> Tensor {
            Tensor(
                name: info.name, dataType: info.dataType.name,
                shape: info.dimensions?.map { dimension in
                    switch dimension {
                    case let .fixed(value): String(value)
                    case let .symbolic(name): name.isEmpty ? "?" : name
                    }
                })
        }
        inputs = graph.inputs.map(tensor)
        outputs = graph.outputs.map(tensor)
        opset = graph.opset
        producer = graph.producer
        operatorCounts = graph.allNodes.reduce(into: [:]) { $0[OperatorTable.qualifiedName($1), default: 0] += 1 }
        parameterCount = graph.initializers.values.filter { tensor in
            if case .integer = tensor.elements { return false }
            return true
        }.reduce(0) { $0 + $1.count }
        missingOperators = MissingOperator.all(in: graph.allNodes)
    }
}
