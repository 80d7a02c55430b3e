/// An operation whose output is an affine function of its only input (`W x + b`, with `W` and
/// `b` held by the operation), so that its backward pass is the same linear map whatever the
/// input was.
protocol AffineOperation: DifferentiableOperation {}

extension Convolution: AffineOperation {}

/// A program cut after its first operation when that operation is affine and the only reader of
/// the input: `program(x) = tail(head(x))`. Averaging input gradients then needs the head's
/// backward pass once, on the averaged gradient of the tail's input, instead of once per point;
/// and the head of a point on a segment is the same point on the segment of the heads.
struct AffineHead: Sendable {
    let head: any AffineOperation
    /// The rest of the program; its input is the head's output.
    let tail: Program

    /// `nil` when the program does not start with an affine operation that alone reads the input.
    init?(splitting program: Program) {
        let readers = program.steps.indices.filter { program.steps[$0].inputs.contains(program.input.id) }
        guard readers.count == 1, let first = readers.first,
            let head = program.steps[first].operation as? any AffineOperation,
            program.steps[first].inputs == [program.input.id],
            program.steps[first].output != program.output.id
        else { return nil }
        let headOutput = program.steps[first].output
        var sources = program.sources
        sources[headOutput] = .input
        for index in sources.indices {
            if case let .step(step) = sources[index], step > first { sources[index] = .step(step - 1) }
        }
        var steps = program.steps
        steps.remove(at: first)
        self.head = head
        tail = Program(
            input: TensorHandle(id: headOutput, shape: head.outputShape), output: program.output,
            namedTensors: program.namedTensors.filter { $0.value.id != program.input.id }, heldInputs: program.heldInputs,
            valueCounts: program.valueCounts, sources: sources, constants: program.constants,
            steps: steps, dependsOnInput: program.dependsOnInput)
    }
}

/// Compiles the tail programs of a compiler's programs (see `AffineHead`).
struct TailCompiler: ProgramCompiler {
    let base: any ProgramCompiler
    let exampleShape: [Int]

    var fixedBatchSize: Int? { base.fixedBatchSize }

    func program(batchSize: Int) throws -> Program {
        guard let split = AffineHead(splitting: try base.program(batchSize: batchSize)) else {
            throw InferenceError.invalidParameter(
                operation: "model", parameter: "first operation at batch size \(batchSize)",
                value: "not affine", expected: "the same first operation at every batch size")
        }
        return split.tail
    }
}
