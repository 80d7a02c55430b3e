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
            backwardInputs.append(reads.contains(.inputs) ? step.inputs.map { UnsafeBufferPointer(value($0)!) }
                                                          : step.inputs.map { _ in empty })
            backwardOutputs.append(reads.contains(.output) ? UnsafeBufferPointer(value(step.output)!) : empty)
            inputGradients.append(step.inputs.map { gradient($0) })
            outputGradients.append(UnsafeBufferPointer(gradient(step.output)!))
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
        return plan.valueBuffer[value].map { slice(buffers[$0], count: plan.program.valueCounts[value]) }
    }

    /// The memory of `value`'s gradient, `nil` when this pass computes none.
    func gradient(_ value: Int) -> UnsafeMutableBufferPointer<Float>? {
        plan.gradientBuffer[value].map { slice(buffers[$0], count: plan.program.valueCounts[value]) }
    }

    /// Copies `input` into the program input and runs the forward steps.
    func runForward(input: UnsafeBufferPointer<Float>) {
        _ = value(plan.program.input.id)!.update(fromContentsOf: input)
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
                steps[index].operation.backwardWriting(outputGradients[position], inputs: backwardInputs[position],
                                                       output: backwardOutputs[position], into: inputGradients[position][0]!,
                                                       context: context)
            } else {
                steps[index].operation.backward(outputGradients[position], inputs: backwardInputs[position],
                                                output: backwardOutputs[position], into: inputGradients[position],
                                                context: context)
            }
        }
    }

    private func slice(_ buffer: UnsafeMutableBufferPointer<Float>, count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
    }
}
