import Inference

/// Operators of shape computations, evaluated at load time: `Shape`, `Size`, `Cast`,
/// `ConstantOfShape`, `Range`, `Constant`, and the comparisons and selections exporters put
/// around them. Their inputs must be known at load time (shapes of program tensors are).
enum ShapeFolding {
    static let handlers: [String: OperatorHandler] = [
        "Shape": shape,
        "Size": { c in [.constant(ConstantTensor(integers: [Int64(try c.shape(0).reduce(1, *))], shape: []))] },
        "Cast": cast,
        "ConstantOfShape": constantOfShape,
        "Range": range,
        "Constant": constant,
        "Equal": { c in try compare(&c) { $0 == $1 } },
        "Less": { c in try compare(&c) { $0 < $1 } },
        "Greater": { c in try compare(&c) { $0 > $1 } },
        "Not": { c in
            if let unknown = try unknownPredicate(c) { return [unknown] }
            return [.constant(try operand(c, 0).mapped(integer: { $0 == 0 ? 1 : 0 }, real: { $0 == 0 ? 1 : 0 }))]
        },
        "Where": select,
        "Min": { c in try extremum(&c, integer: min, real: min) },
        "Max": { c in try extremum(&c, integer: max, real: max) },
    ]

    /// Input `index`, which must be known at load time.
    private static func operand(_ c: Compilation, _ index: Int) throws -> ConstantTensor {
        guard let tensor = try c.constant(index, role: "input \(index)") else { throw c.failure("input \(index) is required") }
        return tensor
    }

    /// The input's shape, optionally sliced by `start` / `end` (opset 15).
    private static func shape(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        let rank = shape.count
        func clamp(_ position: Int) -> Int { min(max(position < 0 ? position + rank : position, 0), rank) }
        let start = clamp(try c.int("start", default: 0)), end = clamp(try c.int("end", default: rank))
        let slice = start < end ? Array(shape[start..<end]) : []
        return [.constant(ConstantTensor(integers: slice.map(Int64.init), shape: [slice.count]))]
    }

    /// Casting constants converts them; casting program tensors to float32 changes nothing, to
    /// another type leaves float32 (an error as soon as something reads the result).
    private static func cast(_ c: inout Compilation) throws -> [CompiledValue] {
        let code = try c.int("to")
        let target = DataType(code: Int32(clamping: code))
        switch try c.value(0) {
        case let .constant(tensor):
            guard let converted = tensor.cast(to: target) else {
                throw ONNXError.nonFloatTensor(
                    tensor: c.node.outputs[0], dataType: target == .undefined ? "type \(code)" : target.name,
                    context: "the result of Cast (node '\(c.node.name)')")
            }
            return [.constant(converted)]
        case let .runtime(handle):
            // A folded constant (arithmetic on inputs given at load) converts like any constant.
            if target != .float, let folded = c.builder.constantValue(handle), let converted = ConstantTensor(folded).cast(to: target) {
                return [.constant(converted)]
            }
            guard target == .float else { return [.inputDependent(shape: handle.shape, dataType: target)] }
            return [.runtime(handle)]
        case let .inputDependent(shape, dataType):
            guard target == .float else { return [.inputDependent(shape: shape, dataType: target)] }
            throw ONNXError.nonFloatTensor(
                tensor: c.node.inputs[0], dataType: dataType.name,
                context: "computed from the input's values and cast back by Cast (node '\(c.node.name)'), "
                    + "which has no gradient")
        }
    }

    private static func constantOfShape(_ c: inout Compilation) throws -> [CompiledValue] {
        guard let shape = try c.integers(0, role: "shape"), shape.allSatisfy({ $0 >= 0 }) else {
            throw c.failure("input 0 (shape) must be non-negative integers")
        }
        let value: ConstantTensor
        if case let .tensor(tensor)? = c.node.attributes["value"] {
            value = tensor
        } else {
            value = ConstantTensor(.init(shape: [1], storage: [0]))
        }
        guard value.count == 1 else { throw c.failure("attribute 'value' must hold one element") }
        guard let count = LayoutOperators.product(shape) else { throw c.failure("shape \(shape) has too many elements") }
        let sources = [Int32](repeating: 0, count: count)
        return [.constant(value.moved((shape, sources)))]
    }

    private static func range(_ c: inout Compilation) throws -> [CompiledValue] {
        let (start, limit, delta) = (try operand(c, 0), try operand(c, 1), try operand(c, 2))
        guard [start, limit, delta].allSatisfy({ $0.count == 1 }), delta.doubles[0] != 0 else {
            throw c.failure("start, limit and delta must be single values (delta non-zero)")
        }
        let (first, last, step) = (start.doubles[0], limit.doubles[0], delta.doubles[0])
        let exactCount = ((last - first) / step).rounded(.up)
        guard exactCount.isFinite, exactCount <= Double(TensorLimits.maxElements) else {
            throw c.failure("start \(first), limit \(last) and delta \(step) make more than \(TensorLimits.maxElements) values")
        }
        let count = max(0, Int(exactCount))
        let values = (0..<count).map { first + Double($0) * step }
        let tensor = ConstantTensor(shape: [count], dataType: .double, elements: .otherFloat(values))
        guard let result = tensor.cast(to: start.dataType) else { throw c.failure("unsupported type \(start.dataType.name)") }
        return [.constant(result)]
    }

    private static func constant(_ c: inout Compilation) throws -> [CompiledValue] {
        switch (
            c.node.attributes["value"], c.node.attributes["value_float"], c.node.attributes["value_floats"],
            c.node.attributes["value_int"], c.node.attributes["value_ints"]
        ) {
        case let (.tensor(tensor)?, _, _, _, _):
            return [.constant(tensor)]
        case let (_, .float(value)?, _, _, _):
            return [.constant(ConstantTensor(.init(shape: [], storage: [value])))]
        case let (_, _, .floats(values)?, _, _):
            return [.constant(ConstantTensor(.init(values)))]
        case let (_, _, _, .int(value)?, _):
            return [.constant(ConstantTensor(integers: [Int64(value)], shape: []))]
        case let (_, _, _, _, .ints(values)?):
            return [.constant(ConstantTensor(integers: values.map(Int64.init), shape: [values.count]))]
        default:
            throw c.failure(
                "needs one of the attributes value, value_float, value_floats, value_int, value_ints "
                    + "(sparse and string constants are not supported)")
        }
    }

    /// A comparison of values not known at load (computed from the explained input): its result
    /// is too, as a boolean tensor that only what reads it can refuse (an `If` names the input).
    private static func unknownPredicate(_ c: Compilation) throws -> CompiledValue? {
        let present = c.node.inputs.indices.filter { c.hasInput($0) }
        guard try present.contains(where: { index in try !c.isConstant(index) }) else { return nil }
        let shapes = try present.map { try c.shape($0) }
        guard let shape = shapes.dropFirst().reduce(shapes.first, { result, next in result.flatMap { Broadcasting.shape($0, next) } }) else {
            throw c.failure("shapes \(shapes) do not broadcast")
        }
        return .inputDependent(shape: shape, dataType: .bool)
    }

    private static func compare(_ c: inout Compilation, _ predicate: @escaping (Double, Double) -> Bool) throws -> [CompiledValue] {
        if let unknown = try unknownPredicate(c) { return [unknown] }
        let (a, b) = (try operand(c, 0), try operand(c, 1))
        guard
            let result = ConstantTensor.combine(
                a, b, resultType: .bool, integer: { predicate(Double($0), Double($1)) ? 1 : 0 },
                real: { predicate($0, $1) ? 1 : 0 })
        else {
            throw c.failure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        return [.constant(result)]
    }

    /// `Where(condition, x, y)`: x where the condition holds, y elsewhere (all three broadcast).
    private static func select(_ c: inout Compilation) throws -> [CompiledValue] {
        let (condition, x, y) = (try operand(c, 0), try operand(c, 1), try operand(c, 2))
        guard let shape = Broadcasting.shape(condition.shape, x.shape).flatMap({ Broadcasting.shape($0, y.shape) }) else {
            throw c.failure("shapes \(condition.shape), \(x.shape) and \(y.shape) do not broadcast")
        }
        let mask = try condition.moved(IndexMaps.broadcast(condition.shape, to: shape)).doubles.map { $0 != 0 }
        let (chosen, other) = (try x.moved(IndexMaps.broadcast(x.shape, to: shape)), try y.moved(IndexMaps.broadcast(y.shape, to: shape)))
        if case let .integer(a) = chosen.elements, case let .integer(b) = other.elements {
            return [.constant(ConstantTensor(shape: shape, dataType: x.dataType, elements: .integer(mask.indices.map { mask[$0] ? a[$0] : b[$0] })))]
        }
        let (a, b) = (chosen.doubles, other.doubles)
        let merged = ConstantTensor(shape: shape, dataType: .double, elements: .otherFloat(mask.indices.map { mask[$0] ? a[$0] : b[$0] }))
        guard let result = merged.cast(to: x.dataType) else { throw c.failure("unsupported type \(x.dataType.name)") }
        return [.constant(result)]
    }

    private static func extremum(
        _ c: inout Compilation, integer: @escaping (Int64, Int64) -> Int64,
        real: @escaping (Double, Double) -> Double
    ) throws -> [CompiledValue] {
        let operands = try c.node.inputs.indices.filter { c.hasInput($0) }.map { try operand(c, $0) }
        guard var result = operands.first else { throw c.failure("needs at least one input") }
        for next in operands.dropFirst() {
            guard let combined = ConstantTensor.combine(result, next, integer: integer, real: real) else {
                throw c.failure("shapes \(result.shape) and \(next.shape) do not broadcast")
            }
            result = combined
        }
        return [.constant(result)]
    }
}
