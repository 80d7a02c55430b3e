/// The memory of one worker running one `ExecutionPlan`: the plan's shared buffers, scratch,
/// and the per-step pointer tables, all allocated once and reused for every pass.
///
/// A workspace is used by one thread at a time (the engine checks it out of a pool).
final class Workspace: @unchecked Sendable {
    let plan: ExecutionPlan
    let parallelism: Parallelism
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private let scratch: UnsafeMutableBufferPointer<Float>
    private var forwardInputs: [[UnsafeBufferPointer<Float>]] = []
    private var forwardOutputs: [UnsafeMutableBufferPointer<Float>] = []
    private var backwardInputs: [[UnsafeBufferPointer<Float>]] = []
    private var backwardOutputs: [UnsafeBufferPointer<Float>] = []
    private var inputGradients: [[UnsafeMutableBufferPointer<Float>?]] = []
    private var outputGradients: [UnsafeBufferPointer<Float>] = []
    /// The entries of `forwardInputs` and `backwardInputs` that read the program input.
    private var inputReaders: (forward: [(step: Int, slot: Int)], backward: [(step: Int, slot: Int)]) = ([], [])
    /// The caller's memory the program input is read from, when the pass borrows it.
    private var borrowedInput: UnsafeBufferPointer<Float>?

    init(plan: ExecutionPlan, parallelism: Parallelism) {
        self.plan = plan
        self.parallelism = parallelism
        buffers = plan.bufferCapacities.map { capacity in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: capacity)
            buffer.initialize(repeating: Self.unwritten)
            return buffer
        }
        let steps = plan.program.steps
        let scratchCount = plan.forwardSteps.map { steps[$0].operation.scratchCount(for: parallelism) }.max() ?? 0
        scratch = .allocate(capacity: scratchCount)
        scratch.initialize(repeating: Self.unwritten)

        for index in plan.forwardSteps {
            forwardInputs.append(steps[index].inputs.map { UnsafeBufferPointer(value($0)!) })
            forwardOutputs.append(value(steps[index].output)!)
        }
        let empty = UnsafeBufferPointer<Float>(start: nil, count: 0)
        for index in plan.backwardSteps {
            let step = steps[index]
            let reads = step.operation.backwardReads
            backwardInputs.append(
                reads.contains(.inputs)
                    ? step.inputs.map { UnsafeBufferPointer(value($0)!) }
                    : step.inputs.map { _ in empty })
            backwardOutputs.append(reads.contains(.output) ? UnsafeBufferPointer(value(step.output)!) : empty)
            inputGradients.append(step.inputs.map { gradient($0) })
            outputGradients.append(UnsafeBufferPointer(gradient(step.output)!))
        }
        let input = plan.program.input.id
        for (position, index) in plan.forwardSteps.enumerated() {
            for (slot, value) in steps[index].inputs.enumerated() where value == input { inputReaders.forward.append((position, slot)) }
        }
        for (position, index) in plan.backwardSteps.enumerated() where steps[index].operation.backwardReads.contains(.inputs) {
            for (slot, value) in steps[index].inputs.enumerated() where value == input { inputReaders.backward.append((position, slot)) }
        }
    }

    /// What fresh memory holds: NaN in debug builds, so that an operation reading memory nobody
    /// wrote (a missed clear, a partial output) fails the tests instead of passing by luck.
    #if DEBUG
        private static let unwritten = Float.nan
    #else
        private static let unwritten: Float = 0
    #endif

    deinit {
        for buffer in buffers { buffer.deallocate() }
        scratch.deallocate()
    }

    /// The memory of `value` (constants included), `nil` when this pass never computes it.
    func value(_ value: Int) -> UnsafeMutableBufferPointer<Float>? {
        if case let .constant(index) = plan.program.sources[value] {
            return UnsafeMutableBufferPointer(mutating: plan.program.constants[index])
        }
        if value == plan.program.input.id, let borrowedInput { return UnsafeMutableBufferPointer(mutating: borrowedInput) }
        return plan.valueBuffer[value].map { slice(buffers[$0], count: plan.program.valueCounts[value]) }
    }

    /// The memory of `value`'s gradient, `nil` when this pass computes none.
    func gradient(_ value: Int) -> UnsafeMutableBufferPointer<Float>? {
        plan.gradientBuffer[value].map { slice(buffers[$0], count: plan.program.valueCounts[value]) }
    }

    /// Runs the forward steps on `input`: read in place when `borrowing` (the caller keeps it
    /// alive and unchanged until the pass's backward steps are done), copied otherwise. `held`
    /// gives the values of the program's held inputs, in order.
    func runForward(input: UnsafeBufferPointer<Float>, borrowing: Bool, held: [[Float]] = []) {
        for (heldInput, values) in zip(plan.program.heldInputs, held) {
            _ = value(heldInput.handle.id)?.update(fromContentsOf: values)
        }
        borrowedInput = nil
        if borrowing {
            borrowedInput = input
        } else {
            _ = value(plan.program.input.id)!.update(fromContentsOf: input)
        }
        let source = UnsafeBufferPointer(value(plan.program.input.id)!)
        for reader in inputReaders.forward { forwardInputs[reader.step][reader.slot] = source }
        for reader in inputReaders.backward { backwardInputs[reader.step][reader.slot] = source }
        let context = OperationContext(scratch: scratch, parallelism: parallelism)
        let steps = plan.program.steps
        for (position, index) in plan.forwardSteps.enumerated() {
            steps[index].operation.forward(forwardInputs[position], into: forwardOutputs[position], context: context)
        }
    }

    /// Seeds the output gradient with `cotangent` and runs the backward steps (after `runForward`).
    func runBackward(cotangent: UnsafeBufferPointer<Float>) {
        _ = gradient(plan.program.output.id)!.update(fromContentsOf: cotangent)
        let context = OperationContext(scratch: scratch, parallelism: parallelism)
        let steps = plan.program.steps
        for (position, index) in plan.backwardSteps.enumerated() {
            for value in plan.clearBeforeBackwardStep[position] {
                gradient(value)!.update(repeating: 0)
            }
            if plan.writesInputGradient[position] {
                steps[index].operation.backwardWriting(
                    outputGradients[position], inputs: backwardInputs[position],
                    output: backwardOutputs[position], into: inputGradients[position][0]!,
                    context: context)
            } else {
                steps[index].operation.backward(
                    outputGradients[position], inputs: backwardInputs[position],
                    output: backwardOutputs[position], into: inputGradients[position],
                    context: context)
            }
        }
    }

    private func slice(_ buffer: UnsafeMutableBufferPointer<Float>, count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
    }
}
