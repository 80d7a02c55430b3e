/// What one pass over a program must produce beyond the output.
struct PassRequest: Hashable, Sendable {
    /// Whether the pass back-propagates a cotangent from the output.
    var backward: Bool
    /// Values whose forward contents must survive to the end of the pass.
    var keptValues: [Int] = []
    /// Values whose gradients must survive to the end of the pass (the input's always does).
    var keptGradients: [Int] = []
}

/// The schedule and memory layout of one kind of pass over a program: which steps run forward
/// and backward, and which shared buffer holds each value and gradient. Buffers are reused as
/// soon as nothing reads them any more (greedy interval allocation, inclusive lifetimes).
final class ExecutionPlan: Sendable {
    let program: Program
    let forwardSteps: [Int]
    let backwardSteps: [Int]
    /// Buffer of each value, `nil` for constants and values the pass never computes.
    let valueBuffer: [Int?]
    /// Buffer of each value's gradient, `nil` where the pass computes none.
    let gradientBuffer: [Int?]
    /// Elements each buffer must hold.
    let bufferCapacities: [Int]
    /// Values whose gradients start at each backward step and must be cleared right before it
    /// (parallel to `backwardSteps`).
    let clearBeforeBackwardStep: [[Int]]
    /// Whether each backward step writes its only input's gradient instead of adding to it (it
    /// is the first to contribute, so nothing needs clearing).
    let writesInputGradient: [Bool]

    init(program: Program, request: PassRequest) throws(InferenceError) {
        self.program = program
        let schedule = try Schedule(program: program, request: request)
        forwardSteps = schedule.forwardSteps
        backwardSteps = schedule.backwardSteps
        let lifetimes = Self.lifetimes(program: program, request: request, schedule: schedule)
        (valueBuffer, gradientBuffer, bufferCapacities) = Self.assignBuffers(lifetimes, valueCount: program.valueCounts.count)
        var startingAt: [Int: [Int]] = [:]
        for (value, step) in schedule.firstContributor { startingAt[step, default: []].append(value) }
        let starting = backwardSteps.map { (startingAt[$0] ?? []).sorted() }
        writesInputGradient = zip(backwardSteps, starting).map { step, starting in
            program.steps[step].inputs.count == 1 && starting == program.steps[step].inputs
        }
        clearBeforeBackwardStep = zip(starting, writesInputGradient).map { $1 ? [] : $0 }
    }

    /// Which steps run, and which values have gradients.
    private struct Schedule {
        var forwardSteps: [Int]
        var backwardSteps: [Int]
        /// Values the forward pass computes (or that are constants it reads).
        var needed: [Bool]
        var hasGradient: [Bool]
        /// The steps consuming each value, and the step producing it (-1 for the input and constants).
        var consumers: [[Int]]
        var producer: [Int]
        /// For each gradient (but the output's), the backward step that writes it first.
        var firstContributor: [Int: Int] = [:]

        init(program: Program, request: PassRequest) throws(InferenceError) {
            let steps = program.steps
            let valueCount = program.valueCounts.count
            consumers = Array(repeating: [], count: valueCount)
            producer = Array(repeating: -1, count: valueCount)
            for (index, step) in steps.enumerated() {
                for input in Set(step.inputs) { consumers[input].append(index) }
                producer[step.output] = index
            }
            // Forward: the steps the output and the kept values depend on.
            needed = Array(repeating: false, count: valueCount)
            for value in [program.input.id, program.output.id] + request.keptValues + request.keptGradients { needed[value] = true }
            var runsForward = Array(repeating: false, count: steps.count)
            for index in steps.indices.reversed() where needed[steps[index].output] {
                runsForward[index] = true
                for input in steps[index].inputs { needed[input] = true }
            }
            forwardSteps = steps.indices.filter { runsForward[$0] }

            // Backward: steps on a path from the input to the output.
            var reachesOutput = Array(repeating: false, count: valueCount)
            reachesOutput[program.output.id] = true
            for index in forwardSteps.reversed() where reachesOutput[steps[index].output] {
                for input in steps[index].inputs { reachesOutput[input] = true }
            }
            let hasGradient = (0..<valueCount).map { request.backward && reachesOutput[$0] && program.dependsOnInput[$0] }
            for value in request.keptGradients where !hasGradient[value] {
                let name = program.namedTensors.first { $0.value.id == value }?.key ?? "#\(value)"
                throw .unknownTensor(
                    name: "\(name) (it has no gradient: it does not lie between the input and the output)",
                    known: program.namedTensors.filter { hasGradient[$0.value.id] }.map(\.key))
            }
            self.hasGradient = hasGradient
            backwardSteps = forwardSteps.reversed().filter { hasGradient[steps[$0].output] }
            let runsBackward = Set(backwardSteps)
            for value in 0..<valueCount where hasGradient[value] && value != program.output.id {
                firstContributor[value] = consumers[value].filter { runsBackward.contains($0) }.max()!
            }
        }
    }

    /// When a value or gradient is written first and read last.
    private struct Lifetime {
        let start: Int, end: Int, count: Int, isGradient: Bool, value: Int
    }

    /// Lifetimes on one timeline: the input at -1, forward step s at s, its backward step at
    /// 2S-1-s; the output, kept values and kept gradients live to the end.
    private static func lifetimes(program: Program, request: PassRequest, schedule: Schedule) -> [Lifetime] {
        let steps = program.steps
        let forever = Int.max
        let backwardTime = { (step: Int) in 2 * steps.count - 1 - step }
        let runsForward = Set(schedule.forwardSteps), runsBackward = Set(schedule.backwardSteps)
        let reads = { (step: Int, what: BackwardReads) in runsBackward.contains(step) && steps[step].operation.backwardReads.contains(what) }
        var lifetimes: [Lifetime] = []
        let kept = Set(request.keptValues + [program.output.id])
        for value in program.valueCounts.indices where schedule.needed[value] {
            if case .constant = program.sources[value] { continue }
            let start = schedule.producer[value]
            var end = max(start, 0)
            for consumer in schedule.consumers[value] where runsForward.contains(consumer) {
                end = max(end, reads(consumer, .inputs) ? backwardTime(consumer) : consumer)
            }
            if start >= 0 && reads(start, .output) { end = max(end, backwardTime(start)) }
            lifetimes.append(
                Lifetime(
                    start: start, end: kept.contains(value) ? forever : end, count: program.valueCounts[value],
                    isGradient: false, value: value))
        }
        let keptGradients = Set(request.keptGradients + [program.input.id])
        for value in program.valueCounts.indices where schedule.hasGradient[value] {
            let start = schedule.firstContributor[value].map(backwardTime) ?? steps.count  // The output's is seeded first.
            let producer = schedule.producer[value]
            let end = keptGradients.contains(value) || producer < 0 ? forever : backwardTime(producer)
            lifetimes.append(Lifetime(start: start, end: end, count: program.valueCounts[value], isGradient: true, value: value))
        }
        return lifetimes
    }

    /// Greedy interval allocation: each lifetime takes the smallest free buffer that fits (or
    /// grows the largest free one, or opens a new one); buffers free up after their last reader.
    /// Lifetimes are released in order of their ends and free buffers are kept sorted by
    /// capacity, so planning stays near-linear in the number of values (an unrolled recurrent
    /// layer has tens of thousands).
    private static func assignBuffers(_ lifetimes: [Lifetime], valueCount: Int)
        -> (values: [Int?], gradients: [Int?], capacities: [Int])
    {
        var values = [Int?](repeating: nil, count: valueCount)
        var gradients = [Int?](repeating: nil, count: valueCount)
        var capacities: [Int] = []
        let byStart = lifetimes.indices.sorted {
            (lifetimes[$0].start, lifetimes[$0].isGradient ? 1 : 0, $0) < (lifetimes[$1].start, lifetimes[$1].isGradient ? 1 : 0, $1)
        }
        let byEnd = lifetimes.indices.sorted { (lifetimes[$0].end, $0) < (lifetimes[$1].end, $1) }
        var buffer = [Int](repeating: -1, count: lifetimes.count)
        var released = 0
        /// Free buffers sorted by (capacity, index).
        var free: [(capacity: Int, buffer: Int)] = []
        func firstFree(atLeast capacity: Int) -> Int {
            var (low, high) = (0, free.count)
            while low < high {
                let middle = (low + high) / 2
                if free[middle].capacity < capacity { low = middle + 1 } else { high = middle }
            }
            return low
        }
        for index in byStart {
            let lifetime = lifetimes[index]
            // Every lifetime ending before this one starts began earlier, so it has its buffer.
            while released < byEnd.count, lifetimes[byEnd[released]].end < lifetime.start {
                let owner = buffer[byEnd[released]]
                let entry = (capacity: capacities[owner], buffer: owner)
                let position = firstFree(atLeast: entry.capacity)
                free.insert(entry, at: free[position...].firstIndex { ($0.capacity, $0.buffer) > (entry.capacity, entry.buffer) } ?? free.count)
                released += 1
            }
            let fit = firstFree(atLeast: lifetime.count)
            let chosen: Int
            if fit < free.count {
                chosen = free.remove(at: fit).buffer
            } else if let largest = free.popLast() {
                chosen = largest.buffer
                capacities[chosen] = lifetime.count
            } else {
                chosen = capacities.count
                capacities.append(lifetime.count)
            }
            buffer[index] = chosen
            if lifetime.isGradient { gradients[lifetime.value] = chosen } else { values[lifetime.value] = chosen }
        }
        return (values, gradients, capacities)
    }
}
