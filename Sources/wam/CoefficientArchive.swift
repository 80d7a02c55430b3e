import ArrayIO
import NDArray
import Wavelets

/// Maps an `.npz` of pywt-named bands back onto a `WaveletTransform`.
enum CoefficientArchive {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The transform that produced the archive's bands: levels from the `cA<J>` key, signal shape
    /// and axes from the archive (or the options), checked against every band's shape.
    static func plan(
        entries: [(key: String, array: NpyArray)], file: String, wavelet: Wavelet,
        mode: ExtensionMode, axes requestedAxes: [Int]?, shape: [Int]?
    ) throws -> WaveletTransform {
        let byKey = Dictionary(entries.map { ($0.key, $0.array) }, uniquingKeysWith: { first, _ in first })
        guard let approximation = entries.first(where: { $0.key.hasPrefix("cA") }),
            let levels = Int(approximation.key.dropFirst(2))
        else {
            throw Failure(description: "\(file): no approximation band (key cA<level>) in the archive")
        }
        let rank = approximation.array.shape.count
        let axes = requestedAxes ?? byKey["axes"]?.asIntegers ?? Array(0..<rank)
        var signalShape: [Int]
        if let shape {
            signalShape = shape
        } else if let stored = byKey["signal_shape"]?.asIntegers {
            signalShape = stored
        } else {
            // pywt keeps the full synthesized length: invert the finest level's band shape.
            let finest =
                entries.first { !$0.key.hasPrefix("cA") && $0.key.hasSuffix("1") && $0.key != "axes" }?.array.shape
                ?? approximation.array.shape
            signalShape = finest
            let f = wavelet.filterLength
            for axis in axes.compactMap({ NDArrayGeometry.normalizedAxis($0, rank: rank) }) {
                signalShape[axis] = mode == .periodization ? 2 * finest[axis] : 2 * finest[axis] - f + 2
            }
        }
        let plan = try WaveletTransform(wavelet: wavelet, mode: mode, signalShape: signalShape, levels: levels, axes: axes)
        for band in plan.layout.bands {
            let name = plan.layout.name(of: band)
            guard let array = byKey[name] else {
                throw Failure(
                    description: "\(file): band \(name) is missing; expected the bands "
                        + plan.layout.bands.map { plan.layout.name(of: $0) }.joined(separator: ", "))
            }
            guard array.shape == band.shape else {
                throw Failure(
                    description: "\(file): band \(name) has shape \(array.shape); expected \(band.shape) for a "
                        + "\(levels)-level \(wavelet.name) (\(mode.rawValue)) transform of shape \(signalShape) along axes \(plan.axes)")
            }
        }
        return plan
    }

    /// The archive's bands as one coefficient vector of `plan`'s layout.
    static func coefficients<T: WaveletScalar>(
        _ entries: [(key: String, array: NpyArray)], plan: WaveletTransform,
        file: String, convert: (NpyArray) -> NDArray<T>
    ) throws -> WaveletCoefficients<T> {
        var coefficients = WaveletCoefficients<T>(zerosFor: plan.layout)
        for band in plan.layout.bands {
            let name = plan.layout.name(of: band)
            let array = entries.first { $0.key == name }!.array
            try coefficients.setBand(band, to: convert(array))
        }
        return coefficients
    }
}
