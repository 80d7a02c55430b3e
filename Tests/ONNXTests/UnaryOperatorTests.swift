import Foundation
import Inference
import NDArray
import SwiftProtobuf
import Testing

@testable import ONNX

/// Unary operators read from ONNX nodes with their attributes and ONNX's defaults.
struct UnaryOperatorTests {
    /// A model `y = op(x)` for `x` of shape `shape` (default [1, count]), output `outputShape`.
    static func model(
        _ opType: String, count: Int, attributes: [String: Float] = [:], integers: [String: [Int64]] = [:], shape: [Int]? = nil,
        outputShape: [Int]? = nil, initializers: [(name: String, shape: [Int], values: [Float])] = []
    ) throws -> ONNXModel {
        var node = Onnx_NodeProto()
        (node.opType, node.name, node.input, node.output) = (opType, "op", ["x"] + initializers.map(\.name), ["y"])
        node.attribute = attributes.sorted { $0.key < $1.key }.map { key, value in
            var attribute = Onnx_AttributeProto()
            (attribute.name, attribute.type, attribute.f) = (key, .float, value)
            return attribute
        }
        node.attribute += integers.sorted { $0.key < $1.key }.map { key, values in
            var attribute = Onnx_AttributeProto()
            (attribute.name, attribute.type) = (key, values.count == 1 && key != "axes" ? .int : .ints)
            if attribute.type == .int { attribute.i = values[0] } else { attribute.ints = values }
            return attribute
        }
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph.name = opType
        model.graph.node = [node]
        model.graph.initializer = initializers.map { initializer in
            var tensor = Onnx_TensorProto()
            (tensor.name, tensor.dataType, tensor.dims) = (initializer.name, 1, initializer.shape.map(Int64.init))
            tensor.floatData = initializer.values
            return tensor
        }
        model.graph.input = [floatValueInfo("x", shape ?? [1, count])]
        model.graph.output = [floatValueInfo("y", outputShape ?? shape ?? [1, count])]
        return try ONNXModel(data: try model.serializedData(), name: "\(opType).onnx")
    }

    static let x: [Float] = [-3, -1.5, -0.4, 0.25, 0.5, 1, 2.5, 4]

    struct Case: Sendable, CustomTestStringConvertible {
        let opType: String
        let attributes: [String: Float]
        let reference: @Sendable (Double) -> Double
        var testDescription: String { "\(opType) \(attributes)" }
    }

    static let seluAlpha = 1.673_263_192_176_818_8, seluGamma = 1.050_701_022_148_132_3

    static let cases: [Case] = [
        Case(opType: "Abs", attributes: [:]) { abs($0) },
        Case(opType: "Reciprocal", attributes: [:]) { 1 / $0 },
        Case(opType: "Selu", attributes: [:]) { x in seluGamma * (x > 0 ? x : seluAlpha * (exp(x) - 1)) },
        Case(opType: "Selu", attributes: ["alpha": 2, "gamma": 0.5]) { x in 0.5 * (x > 0 ? x : 2 * (exp(x) - 1)) },
        Case(opType: "HardSigmoid", attributes: [:]) { x in max(0, min(1, 0.2 * x + 0.5)) },
        Case(opType: "HardSigmoid", attributes: ["alpha": 0.5, "beta": 0.25]) { x in max(0, min(1, 0.5 * x + 0.25)) },
    ]

    @Test("Abs, Reciprocal, Selu and HardSigmoid: outputs by the ONNX formulas, default and given attributes", arguments: cases)
    func formula(_ c: Case) throws {
        let (opType, reference) = (c.opType, c.reference)
        let engine = try Self.model(opType, count: Self.x.count, attributes: c.attributes).makeEngine()
        let y = try engine.logits(NDArray(shape: [1, Self.x.count], storage: Self.x)).storage
        for (value, input) in zip(y, Self.x) {
            let expected = reference(Double(input))
            #expect(abs(Double(value) - expected) <= 1e-6 * max(1, abs(expected)), "\(opType)(\(input))")
        }
        #expect(y.count == Self.x.count)
    }

    @Test("ReduceMin and the norms ReduceL1, ReduceL2, ReduceSumSquare over an axis, kept or dropped")
    func reductions() throws {
        // x: [2, 4], reduced over axis 1.
        let x: [Float] = [3, -1, 2, -4, 0.5, 0.25, -2, 1]
        let rows = [Array(x[0..<4]), Array(x[4..<8])]
        let cases: [(String, ([Float]) -> Float)] = [
            ("ReduceMin", { $0.min()! }),
            ("ReduceL1", { $0.reduce(0) { $0 + abs($1) } }),
            ("ReduceL2", { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }),
            ("ReduceSumSquare", { $0.reduce(0) { $0 + $1 * $1 } }),
        ]
        for (opType, reference) in cases {
            for keep in [Int64(1), 0] {
                let model = try Self.model(
                    opType, count: 4, integers: ["axes": [1], "keepdims": [keep]], shape: [2, 4], outputShape: keep == 1 ? [2, 1] : [2])
                let engine = try model.makeEngine(exampleShape: [4])
                let y = try engine.logits(NDArray(shape: [2, 4], storage: x))
                #expect(y.storage.count == 2, "\(opType)")
                for (value, row) in zip(y.storage, rows) { #expect(abs(value - reference(row)) < 1e-5, "\(opType) keepdims=\(keep)") }
            }
        }
        // A zero row: the L2 norm's gradient there is 0, as PyTorch's (was NaN).
        let l2 = try Self.model("ReduceL2", count: 4, integers: ["axes": [1], "keepdims": [1]], shape: [2, 4], outputShape: [2, 1])
        let gradient = try l2.makeEngine(exampleShape: [4]).inputGradient(NDArray(shape: [1, 4], storage: [0, 0, 0, 0]), classes: [0]).gradient
        #expect(gradient.storage == [0, 0, 0, 0])
    }

    @Test("LayerNormalization over the last axes: the formula, and input gradients that match central differences")
    func layerNormalization() throws {
        let scale: [Float] = [1.5, -0.5, 2, 0.25], bias: [Float] = [0.1, 0, -0.3, 1]
        let model = try Self.model(
            "LayerNormalization", count: 4, attributes: ["epsilon": 1e-3], shape: [2, 4],
            initializers: [("scale", [4], scale), ("bias", [4], bias)])
        let engine = try model.makeEngine(exampleShape: [4])
        let x: [Float] = [3, -1, 2, -4, 0.5, 0.25, -2, 1]
        func reference(_ row: [Double]) -> [Double] {
            let mean = row.reduce(0, +) / 4
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            return row.indices.map { (row[$0] - mean) / (variance + 1e-3).squareRoot() * Double(scale[$0]) + Double(bias[$0]) }
        }
        let y = try engine.logits(NDArray(shape: [2, 4], storage: x)).storage
        let expected = reference(x[0..<4].map(Double.init)) + reference(x[4..<8].map(Double.init))
        for (value, wanted) in zip(y, expected) { #expect(abs(Double(value) - wanted) < 1e-5) }
        // d y[0, 2] / d x[0, :] by central differences of the Float64 formula.
        let gradient = try engine.inputGradient(NDArray(shape: [1, 4], storage: Array(x[0..<4])), classes: [2]).gradient.storage
        let h = 1e-5
        for i in 0..<4 {
            var plus = x[0..<4].map(Double.init), minus = plus
            plus[i] += h
            minus[i] -= h
            let slope = (reference(plus)[2] - reference(minus)[2]) / (2 * h)
            #expect(abs(Double(gradient[i]) - slope) < 1e-3 * max(1, abs(slope)), "d/dx\(i)")
        }
    }
}

extension UnaryOperatorTests {
    @Test("InstanceNormalization: per example and channel over the spatial axis, scale and bias per channel")
    func instanceNormalization() throws {
        let scale: [Float] = [2, -0.5], bias: [Float] = [0.25, 1]
        let model = try Self.model(
            "InstanceNormalization", count: 3, attributes: ["epsilon": 1e-2], shape: [2, 2, 3],
            initializers: [("scale", [2], scale), ("bias", [2], bias)])
        let x: [Float] = [1, 2, 4, -3, 0, 3, 0.5, 0.5, 2, 10, -10, 4]
        let y = try model.makeEngine(exampleShape: [2, 3]).logits(NDArray(shape: [2, 2, 3], storage: x)).storage
        for group in 0..<4 {
            let values = x[(group * 3)..<(group * 3 + 3)].map(Double.init)
            let mean = values.reduce(0, +) / 3
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3
            for (offset, value) in values.enumerated() {
                let expected = (value - mean) / (variance + 1e-2).squareRoot() * Double(scale[group % 2]) + Double(bias[group % 2])
                #expect(abs(Double(y[group * 3 + offset]) - expected) < 1e-5)
            }
        }
    }
}

/// `Split`: sizes given (an input since opset 13) or equal parts (`num_outputs` since opset 18).
struct SplitOperatorTests {
    /// `y = Concat(reversed parts of Split(x))` for x [2, width].
    static func model(width: Int, sizes: [Int64]?, outputs: Int, opset: Int64, numOutputs: Int64? = nil) throws -> ONNXModel {
        var split = Onnx_NodeProto()
        (split.opType, split.name, split.input, split.output) = ("Split", "split", ["x"], (0..<outputs).map { "part\($0)" })
        var axis = Onnx_AttributeProto()
        (axis.name, axis.type, axis.i) = ("axis", .int, 1)
        split.attribute = [axis]
        if let numOutputs {
            var count = Onnx_AttributeProto()
            (count.name, count.type, count.i) = ("num_outputs", .int, numOutputs)
            split.attribute.append(count)
        }
        var model = Onnx_ModelProto()
        if let sizes {
            split.input.append("sizes")
            var tensor = Onnx_TensorProto()
            (tensor.name, tensor.dataType, tensor.dims, tensor.int64Data) = ("sizes", 7, [Int64(sizes.count)], sizes)
            model.graph.initializer = [tensor]
        }
        var concat = Onnx_NodeProto()
        (concat.opType, concat.name, concat.input, concat.output) = ("Concat", "concat", (0..<outputs).reversed().map { "part\($0)" }, ["y"])
        concat.attribute = [axis]
        model.irVersion = 8
        var set = Onnx_OperatorSetIdProto()
        set.version = opset
        model.opsetImport = [set]
        model.graph.name = "split"
        model.graph.node = [split, concat]
        model.graph.input = [floatValueInfo("x", [2, width])]
        model.graph.output = [floatValueInfo("y", [2, width])]
        return try ONNXModel(data: try model.serializedData(), name: "split.onnx")
    }

    @Test("given sizes and equal parts split in order (reversed by the concatenation); bad sizes are refused")
    func parts() throws {
        let x = NDArray<Float>(shape: [2, 7], storage: (0..<14).map(Float.init))
        let given = try Self.model(width: 7, sizes: [1, 2, 4], outputs: 3, opset: 13).makeEngine(exampleShape: [7]).logits(x)
        #expect(given.storage == [3, 4, 5, 6, 1, 2, 0, 10, 11, 12, 13, 8, 9, 7])
        let equal = try Self.model(width: 7, sizes: nil, outputs: 3, opset: 18, numOutputs: 3).makeEngine(exampleShape: [7]).logits(x)
        #expect(equal.storage == [6, 3, 4, 5, 0, 1, 2, 13, 10, 11, 12, 7, 8, 9])
        // Sizes that do not add up, sizes whose sum would overflow, and a num_outputs that is not the
        // node's output count (was a trap, or an allocation of terabytes) are errors.
        for bad in [
            { try Self.model(width: 7, sizes: [1, 2, 3], outputs: 3, opset: 13) },
            { try Self.model(width: 7, sizes: [Int64.max, 1], outputs: 2, opset: 13) },
            { try Self.model(width: 7, sizes: nil, outputs: 3, opset: 18, numOutputs: 1 << 40) },
            { try Self.model(width: 7, sizes: nil, outputs: 2, opset: 18, numOutputs: Int64.max) },
        ] as [() throws -> ONNXModel] {
            #expect(throws: ONNXError.self) { _ = try bad().makeEngine(exampleShape: [7]) }
        }
    }
}

/// A float32 graph input or output of fixed `dimensions`.
func floatValueInfo(_ name: String, _ dimensions: [Int]) -> Onnx_ValueInfoProto {
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type.tensorType.elemType = 1  // FLOAT
    info.type.tensorType.shape.dim = dimensions.map { size in
        var dimension = Onnx_TensorShapeProto.Dimension()
        dimension.dimValue = Int64(size)
        return dimension
    }
    return info
}
