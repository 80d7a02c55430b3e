/// `If` whose condition is known at load time (from constants, shapes or inputs fixed at load):
/// the taken branch is compiled in its place, so the program stays straight-line. A condition
/// that depends on the values of the explained input or of a state input cannot fold.
enum ControlFlowOperators {
    static let handlers: [String: OperatorHandler] = ["If": branch]

    private static func branch(_ c: inout Compilation) throws -> [CompiledValue] {
        let condition: ConstantTensor
        do {
            guard let folded = try c.constant(0, role: "condition") else { throw c.failure("the condition (input 0) is required") }
            condition = folded
        } catch ONNXError.unresolvedShape {
            let sources = c.graphInputs(feeding: c.node.inputs[0])
            throw c.failure(
                "its condition '\(c.node.inputs[0])' depends on the values of "
                    + (sources.isEmpty ? "the model input" : sources.map { "'\($0)'" }.joined(separator: ", "))
                    + ", so the branch cannot be chosen at load time; only conditions computed from constants, shapes "
                    + "and inputs given at load (`--input NAME=VALUE` for wam, `[model] inputs` for wamd) fold")
        }
        guard condition.count == 1 else { throw c.failure("the condition must be a single value; it has shape \(condition.shape)") }
        let name = condition.doubles[0] != 0 ? "then_branch" : "else_branch"
        guard case let .graph(subgraph)? = c.node.attributes[name] else { throw c.failure("attribute '\(name)' must be a graph") }
        guard subgraph.outputs.count == c.node.outputs.count else {
            throw c.failure("its \(name) has \(subgraph.outputs.count) outputs; the node has \(c.node.outputs.count)")
        }
        let node = c.node
        for (tensorName, tensor) in subgraph.initializers.sorted(by: { $0.key < $1.key }) {
            // A branch's own initializer may not reuse a name of the enclosing graph (onnxruntime
            // reads the outer one, a scoped reading the inner one: refused rather than guessed).
            guard c.values[tensorName] == nil else {
                throw c.failure(
                    "its \(name) has an initializer '\(tensorName)' that shadows a tensor of the enclosing graph; ONNX names each tensor once")
            }
            c.values[tensorName] = .constant(tensor)
        }
        try c.compile(subgraph.nodes)
        return try subgraph.outputs.map { output in
            guard let value = c.values[output] else {
                throw ONNXError.invalidNode(opType: node.opType, node: node.name, reason: "no node of its \(name) computes its output '\(output)'")
            }
            return value
        }
    }
}
