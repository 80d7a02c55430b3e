/// The element types the transforms run on: `Float` (what the engine uses) and `Double`
/// (which proves the algorithm against PyWavelets).
public protocol WaveletScalar: BinaryFloatingPoint, Sendable {}

extension Float: WaveletScalar {}
extension Double: WaveletScalar {}
