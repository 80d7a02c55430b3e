import Inference
import NDArray

/// A tensor whose values are known at load time: an initializer, a `Constant`, or the folded
/// result of a shape computation. Integers (shapes, indices, masks) stay exact.
struct ConstantTensor: Sendable {
    /// The values, by the kind of number they are.
    enum Elements: Sendable {
        case float([Float])
        case integer([Int64])
        /// Other floating-point types (float64, float16, bfloat16), usable only through `Cast`.
        case otherFloat([Double])
    }

    let shape: [Int]
    let dataType: DataType
    let elements: Elements

    init(shape: [Int], dataType: DataType, elements: Elements) {
        self.shape = shape
        self.dataType = dataType
        self.elements = elements
    }

    /// A float32 tensor.
    init(_ array: NDArray<Float>) {
        self.init(shape: array.shape, dataType: .float, elements: .float(array.storage))
    }

    /// An int64 tensor.
    init(integers: [Int64], shape: [Int]) {
        self.init(shape: shape, dataType: .int64, elements: .integer(integers))
    }

    var count: Int { shape.reduce(1, *) }

    /// The values as a float32 array, `nil` unless the tensor is float32.
    var floatArray: NDArray<Float>? {
        if case let .float(values) = elements { return NDArray(shape: shape, storage: values) }
        return nil
    }

    /// The values as integers, `nil` unless the tensor has an integer type.
    var integers: [Int]? {
        if case let .integer(values) = elements { return values.map { Int(clamping: $0) } }
        return nil
    }

    /// The values as `Double`s, whatever their type.
    var doubles: [Double] {
        switch elements {
        case let .float(values): values.map(Double.init)
        case let .integer(values): values.map(Double.init)
        case let .otherFloat(values): values
        }
    }

    /// The same values under another shape with as many elements.
    func reshaped(_ newShape: [Int]) -> ConstantTensor {
        ConstantTensor(shape: newShape, dataType: dataType, elements: elements)
    }

    /// The elements moved by an index map (`fill` where the map has no source).
    func moved(_ map: IndexMaps.Map, fill: Double = 0) -> ConstantTensor {
        ConstantTensor(
            shape: map.shape, dataType: dataType,
            elements: transformed(
                float: { IndexMaps.apply(map.sources, to: $0, fill: Float(fill)) },
                integer: { IndexMaps.apply(map.sources, to: $0, fill: Int64(fill)) },
                other: { IndexMaps.apply(map.sources, to: $0, fill: fill) }))
    }

    /// The values converted to `target` (ONNX `Cast`), `nil` for types the engine does not hold.
    func cast(to target: DataType) -> ConstantTensor? {
        let elements: Elements
        switch (self.elements, target) {
        case (_, .float): elements = .float(doubles.map { Float($0) })
        case (_, .double), (_, .float16), (_, .bfloat16): elements = .otherFloat(doubles)
        case let (.integer(values), .bool): elements = .integer(values.map { $0 != 0 ? 1 : 0 })
        case let (.integer(values), _) where target.isInteger: elements = .integer(values)
        case (_, .bool): elements = .integer(doubles.map { $0 != 0 ? 1 : 0 })
        case (_, _) where target.isInteger: elements = .integer(doubles.map(Self.truncatedInteger))
        default: return nil
        }
        return ConstantTensor(shape: shape, dataType: target, elements: elements)
    }

    /// The elements of tensors of the same type joined as `concatenation` joins them.
    static func concatenated(_ parts: [ConstantTensor], by concatenation: Concatenation) -> ConstantTensor {
        let type = parts[0].dataType
        let elements: Elements
        switch parts[0].elements {
        case .float: elements = .float(concatenation.concatenate(parts.map { $0.doubles.map { Float($0) } }))
        case .otherFloat: elements = .otherFloat(concatenation.concatenate(parts.map(\.doubles)))
        case .integer: elements = .integer(concatenation.concatenate(parts.map { $0.exactIntegers }))
        }
        return ConstantTensor(shape: concatenation.outputShape, dataType: type, elements: elements)
    }

    /// The values as `Int64` (exact for integer tensors, truncated for floating-point ones).
    var exactIntegers: [Int64] {
        if case let .integer(values) = elements { return values }
        return doubles.map(Self.truncatedInteger)
    }

    private static func truncatedInteger(_ value: Double) -> Int64 {
        value.isFinite ? Int64(exactly: value.rounded(.towardZero)) ?? (value < 0 ? .min : .max) : 0
    }

    private func transformed(float: ([Float]) -> [Float], integer: ([Int64]) -> [Int64], other: ([Double]) -> [Double]) -> Elements {
        switch elements {
        case let .float(values): .float(float(values))
        case let .integer(values): .integer(integer(values))
        case let .otherFloat(values): .otherFloat(other(values))
        }
    }
}
