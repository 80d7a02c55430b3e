extension GraphDescription {
    /// Operators that move, select or average values without changing what they are: a
    /// probability stays one through them.
    private static let probabilityPreserving: Set<String> = [
        "Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Transpose", "ReduceMean", "Slice", "Gather", "Concat",
    ]

    /// Operators that only reshape: a logistic of a tensor, reshaped, is the logistic of it reshaped.
    private static let reshaping: Set<String> = ["Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten"]

    /// The input of the `Sigmoid` that `tensor` is (through reshapes only), in the main graph:
    /// the logit a single-output binary classifier hides behind its probability.
    func sigmoidInput(of tensor: String) -> String? {
        var name = tensor
        for _ in 0..<nodes.count {
            guard let node = nodes.first(where: { $0.outputs.first == name }) else { return nil }
            if node.opType == "Sigmoid" { return node.inputs.first }
            guard Self.reshaping.contains(node.opType), let input = node.inputs.first else { return nil }
            name = input
        }
        return nil
    }

    /// Whether `tensor` is a probability: computed by `Sigmoid` or `Softmax`, then only through
    /// operators that move, select or average values, and through every branch of an `If`.
    func isProbability(_ tensor: String) -> Bool {
        var producers: [String: (node: Node, output: Int)] = [:]
        for node in allNodes {
            for (index, output) in node.outputs.enumerated() where !output.isEmpty { producers[output] = (node, index) }
        }
        // Answers by tensor; `false` while one is being answered, so a crafted cycle ends.
        var answers: [String: Bool] = [:]
        func check(_ name: String) -> Bool {
            if let known = answers[name] { return known }
            answers[name] = false
            let answer = answer(name)
            answers[name] = answer
            return answer
        }
        func answer(_ name: String) -> Bool {
            guard let (node, output) = producers[name] else { return false }
            switch node.opType {
            case "Sigmoid", "Softmax": return true
            case "If":
                let branches = ["then_branch", "else_branch"].compactMap { key -> Subgraph? in
                    if case let .graph(subgraph)? = node.attributes[key] { return subgraph }
                    return nil
                }
                return branches.count == 2 && branches.allSatisfy { output < $0.outputs.count && check($0.outputs[output]) }
            case let type where Self.probabilityPreserving.contains(type):
                // The data input; Concat needs every input to be a probability.
                let data = type == "Concat" ? node.inputs : Array(node.inputs.prefix(1))
                return !data.isEmpty && data.allSatisfy(check)
            default: return false
            }
        }
        return check(tensor)
    }
}
