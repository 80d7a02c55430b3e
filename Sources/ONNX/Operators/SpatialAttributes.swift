/// The attributes convolutions and poolings share: strides, dilations and padding
/// (explicit `pads` or `auto_pad`), resolved for concrete input sizes.
struct SpatialAttributes {
    let strides: [Int]
    let dilations: [Int]
    let padsBegin: [Int]
    let padsEnd: [Int]

    /// Reads the attributes of the current node for a window of `kernel` over `inputSize`.
    init(_ c: Compilation, kernel: [Int], inputSize: [Int]) throws(ONNXError) {
        let rank = kernel.count
        strides = try c.ints("strides") ?? Array(repeating: 1, count: rank)
        dilations = try c.ints("dilations") ?? Array(repeating: 1, count: rank)
        guard strides.count == rank, dilations.count == rank else {
            throw c.failure("strides \(strides) and dilations \(dilations) must have \(rank) values, one per spatial axis")
        }
        guard kernel.allSatisfy({ $0 >= 1 }), strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }) else {
            throw c.failure("kernel \(kernel), strides \(strides) and dilations \(dilations) must be 1 or more")
        }
        guard inputSize.count == rank else {
            throw c.failure("the input has \(inputSize.count) spatial axes \(inputSize); the kernel \(kernel) has \(rank)")
        }
        let autoPad = try c.string("auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET":
            let pads = try c.ints("pads") ?? Array(repeating: 0, count: 2 * rank)
            guard pads.count == 2 * rank else { throw c.failure("pads \(pads) must have \(2 * rank) values (begins, then ends)") }
            padsBegin = Array(pads[..<rank])
            padsEnd = Array(pads[rank...])
        case "VALID":
            padsBegin = Array(repeating: 0, count: rank)
            padsEnd = padsBegin
        case "SAME_UPPER", "SAME_LOWER":
            var begin: [Int] = [], end: [Int] = []
            for axis in 0..<rank {
                // ceil(input / stride) outputs; the padding that lets the last window fit, in
                // arithmetic that reports overflow (sizes and attributes come from the file).
                let output = inputSize[axis] == 0 ? 0 : (inputSize[axis] - 1) / strides[axis] + 1
                let (dilated, overflow1) = dilations[axis].multipliedReportingOverflow(by: kernel[axis] - 1)
                let (span, overflow2) = dilated.addingReportingOverflow(1)
                let (reach, overflow3) = (output - 1).multipliedReportingOverflow(by: strides[axis])
                let (needed, overflow4) = reach.addingReportingOverflow(span)
                guard !(overflow1 || overflow2 || overflow3 || overflow4) else {
                    throw c.failure("kernel \(kernel), strides \(strides) and dilations \(dilations) are too large for \(autoPad)")
                }
                let total = max(0, needed - inputSize[axis])
                let small = total / 2
                begin.append(autoPad == "SAME_UPPER" ? small : total - small)
                end.append(autoPad == "SAME_UPPER" ? total - small : small)
            }
            padsBegin = begin
            padsEnd = end
        default:
            throw c.failure("auto_pad '\(autoPad)' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
        }
    }
}
