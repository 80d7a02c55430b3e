import Wavelets

/// A linear, invertible change of coordinates in which attributions are computed: the wavelet
/// transform for WAM, the identity for the input-domain baselines (METHOD.md section 3).
public protocol SignalRepresentation: Sendable {
    /// Shape of one signal (one model example).
    var signalShape: [Int] { get }
    /// `z = W(x)`.
    func encode(_ signal: [Float]) -> [Float]
    /// `x = W^-1(z)`.
    func decode(_ coefficients: [Float]) -> [Float]
    /// `(W^-1)^T y`: turns a gradient with respect to the signal into one with respect to the coefficients.
    func decodeAdjoint(_ cotangent: [Float]) -> [Float]
}

extension WaveletTransform: SignalRepresentation {
    public func encode(_ signal: [Float]) -> [Float] { decompose(values: signal) }
    public func decode(_ coefficients: [Float]) -> [Float] { reconstruct(values: coefficients) }
    public func decodeAdjoint(_ cotangent: [Float]) -> [Float] { reconstructionAdjoint(values: cotangent) }
}

/// The signal itself as coordinates: what saliency, SmoothGrad and Integrated Gradients use.
public struct InputRepresentation: SignalRepresentation {
    public let signalShape: [Int]

    public init(signalShape: [Int]) {
        self.signalShape = signalShape
    }

    public func encode(_ signal: [Float]) -> [Float] { signal }
    public func decode(_ coefficients: [Float]) -> [Float] { coefficients }
    public func decodeAdjoint(_ cotangent: [Float]) -> [Float] { cotangent }
}
