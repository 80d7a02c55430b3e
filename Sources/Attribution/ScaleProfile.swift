import Foundation
import Wavelets

/// How the attribution is spread over scales: `sum |a|` of each level (and, with several axes,
/// of each orientation) over `sum |a|` of all coefficients (METHOD.md section 4).
public struct ScaleProfile: Sendable, Equatable, Codable {
    /// One level: the approximation, or all detail bands of a level.
    public struct Level: Sendable, Equatable, Codable {
        /// `A5` for the approximation of a 5-level transform, `D3` for the details of level 3.
        public let name: String
        public let level: Int
        public let isApproximation: Bool
        /// Share of the total `|a|`, in [0, 1].
        public let importance: Double
        /// Frequencies the level covers, in Hz, when a sample rate is known (1D signals).
        public let frequencyBand: [Double]?
    }

    /// One band (orientation) of a level.
    public struct Band: Sendable, Equatable, Codable {
        /// pywt-style band name (`cA5`, `cD3`, `cH2`, `ada1`, ...).
        public let name: String
        public let level: Int
        /// `dwtn` key (`a`, `d`, `ad`, ...).
        public let key: String
        public let importance: Double
    }

    public let levels: [Level]
    public let bands: [Band]

    /// The profile of `attribution` laid out by `layout`; `sampleRate` adds frequency bands
    /// (detail level `j` covers `[fs / 2^(j+1), fs / 2^j]`, the approximation `[0, fs / 2^(J+1)]`).
    public init(attribution: [Float], layout: CoefficientLayout, sampleRate: Double? = nil) {
        let total = attribution.reduce(0.0) { $0 + Double(abs($1)) }
        func share(_ ranges: [Range<Int>]) -> Double {
            guard total > 0 else { return 0 }
            return ranges.reduce(0.0) { sum, range in attribution[range].reduce(sum) { $0 + Double(abs($1)) } } / total
        }
        let groups = LevelGroups(layout)
        levels = zip(groups.levels, groups.ranges).map { info, ranges in
            let band = sampleRate.map { fs -> [Double] in
                info.isApproximation
                    ? [0, fs / pow(2, Double(info.level + 1))]
                    : [fs / pow(2, Double(info.level + 1)), fs / pow(2, Double(info.level))]
            }
            return Level(
                name: (info.isApproximation ? "A" : "D") + "\(info.level)", level: info.level,
                isApproximation: info.isApproximation, importance: share(ranges), frequencyBand: band)
        }
        bands = layout.bands.map { Band(name: layout.name(of: $0), level: $0.level, key: $0.key, importance: share([$0.range])) }
    }
}
