/// The depthwise strategy: one input channel per group, so each output channel is a sum of
/// shifted, weighted copies of one input channel.
extension Correlation {
    func applyDirect(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
        accumulate: Bool, context: OperationContext
    ) {
        let g = geometry
        let positions = g.outputPositions, step = g.volume.stride.w, taps = g.taps
        nonisolated(unsafe) let (input, output) = (input, output)
        weights.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights
            context.parallelism.forEachSlice(of: g.batch * g.groups) { _, units in
                for unit in units {
                    let (example, group) = unit.quotientAndRemainder(dividingBy: g.groups)
                    let plane = input.baseAddress! + (example * g.inputChannels + group) * g.inputPositions
                    for channel in (group * g.outputChannelsPerGroup)..<((group + 1) * g.outputChannelsPerGroup) {
                        let target = output.baseAddress! + (example * g.outputChannels + channel) * positions
                        if !accumulate { target.update(repeating: 0, count: positions) }
                        for tap in 0..<taps {
                            let weight = weights[channel * taps + tap]
                            g.forEachRun(tap: tap, positions: 0..<positions) { outputOffset, inputOffset, runLength in
                                let (into, from) = (target + outputOffset, plane + inputOffset)
                                for j in 0..<runLength { into[j] += weight * from[j &* step] }
                            }
                        }
                    }
                }
            }
        }
    }

    func applyDirectAdjoint(
        _ outputGradient: UnsafeBufferPointer<Float>,
        addingInto inputGradient: UnsafeMutableBufferPointer<Float>, context: OperationContext
    ) {
        let g = geometry
        let positions = g.outputPositions, step = g.volume.stride.w, taps = g.taps
        nonisolated(unsafe) let (outputGradient, inputGradient) = (outputGradient, inputGradient)
        weights.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights
            context.parallelism.forEachSlice(of: g.batch * g.groups) { _, units in
                for unit in units {
                    let (example, group) = unit.quotientAndRemainder(dividingBy: g.groups)
                    let plane = inputGradient.baseAddress! + (example * g.inputChannels + group) * g.inputPositions
                    for channel in (group * g.outputChannelsPerGroup)..<((group + 1) * g.outputChannelsPerGroup) {
                        let source = outputGradient.baseAddress! + (example * g.outputChannels + channel) * positions
                        for tap in 0..<taps {
                            let weight = weights[channel * taps + tap]
                            g.forEachRun(tap: tap, positions: 0..<positions) { outputOffset, inputOffset, runLength in
                                let (into, from) = (plane + inputOffset, source + outputOffset)
                                for j in 0..<runLength { into[j &* step] += weight * from[j] }
                            }
                        }
                    }
                }
            }
        }
    }
}
