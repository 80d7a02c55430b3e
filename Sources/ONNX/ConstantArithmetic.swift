import Inference

extension ConstantTensor {
    /// `f` applied to the broadcast elements of `a` and `b`: exact `Int64` arithmetic when both are
    /// integers (`integer` returns `nil` for an undefined result such as a division by zero),
    /// `Double` arithmetic otherwise. `resultType` overrides the result's type (comparisons give bool).
    static func combine(
        _ a: ConstantTensor, _ b: ConstantTensor, resultType: DataType? = nil,
        integer: (Int64, Int64) -> Int64?, real: (Double, Double) -> Double
    ) -> ConstantTensor? {
        guard let shape = Broadcasting.shape(a.shape, b.shape),
            let mapA = try? IndexMaps.broadcast(a.shape, to: shape), let mapB = try? IndexMaps.broadcast(b.shape, to: shape)
        else {
            return nil
        }
        if case let .integer(x) = a.elements, case let .integer(y) = b.elements {
            var values: [Int64] = []
            values.reserveCapacity(mapA.sources.count)
            for (i, j) in zip(mapA.sources, mapB.sources) {
                guard let value = integer(x[Int(i)], y[Int(j)]) else { return nil }
                values.append(value)
            }
            return ConstantTensor(shape: shape, dataType: resultType ?? a.dataType, elements: .integer(values))
        }
        let (x, y) = (a.doubles, b.doubles)
        let values = zip(mapA.sources, mapB.sources).map { real(x[Int($0)], y[Int($1)]) }
        let type = resultType ?? (a.dataType == .float || b.dataType == .float ? .float : a.dataType)
        switch type {
        case .float: return ConstantTensor(shape: shape, dataType: type, elements: .float(values.map { Float($0) }))
        case _ where type.isInteger: return ConstantTensor(shape: shape, dataType: type, elements: .integer(values.map { Int64($0) }))
        default: return ConstantTensor(shape: shape, dataType: type, elements: .otherFloat(values))
        }
    }

    /// `f` applied to every element, keeping integers exact.
    func mapped(integer: (Int64) -> Int64, real: (Double) -> Double) -> ConstantTensor {
        switch elements {
        case let .integer(values): ConstantTensor(shape: shape, dataType: dataType, elements: .integer(values.map(integer)))
        case let .float(values): ConstantTensor(shape: shape, dataType: dataType, elements: .float(values.map { Float(real(Double($0))) }))
        case let .otherFloat(values): ConstantTensor(shape: shape, dataType: dataType, elements: .otherFloat(values.map(real)))
        }
    }
}
