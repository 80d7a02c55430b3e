import Inference

/// `MaxPool`, `AveragePool`, `GlobalAveragePool` and `GlobalMaxPool`.
enum PoolingOperators {
    static let handlers: [String: OperatorHandler] = [
        "MaxPool": { c in try pooling(&c, .max) },
        "AveragePool": { c in try pooling(&c, .average(countIncludePad: try c.int("count_include_pad", default: 0) != 0)) },
        "GlobalAveragePool": { c in try global(&c, .mean) },
        "GlobalMaxPool": { c in try global(&c, .max) },
    ]

    private static func pooling(_ c: inout Compilation, _ kind: Pooling.Kind) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        guard let kernel = try c.ints("kernel_shape") else { throw c.failure("attribute 'kernel_shape' is required") }
        guard input.shape.count == kernel.count + 2 else {
            throw c.failure("input has shape \(input.shape); expected [N, C] and \(kernel.count) spatial axes for kernel_shape \(kernel)")
        }
        let attributes = try SpatialAttributes(c, kernel: kernel, inputSize: Array(input.shape.dropFirst(2)))
        let ceilMode = try c.int("ceil_mode", default: 0) != 0
        // The optional Indices output of MaxPool is not computed.
        return [
            try c.apply(
                try Pooling(
                    kind, inputShape: input.shape, kernelSize: kernel, strides: attributes.strides,
                    dilations: attributes.dilations, padsBegin: attributes.padsBegin,
                    padsEnd: attributes.padsEnd, ceilMode: ceilMode), to: [input])
        ]
    }

    private static func global(_ c: inout Compilation, _ kind: Reduction.Kind) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        guard input.shape.count >= 3 else { throw c.failure("input has shape \(input.shape); expected [N, C, spatial...]") }
        let name = c.node.opType
        return [
            try c.apply(
                try Reduction(
                    kind, shape: input.shape, axes: Array(2..<input.shape.count), keepDimensions: true,
                    name: name), to: [input])
        ]
    }
}
