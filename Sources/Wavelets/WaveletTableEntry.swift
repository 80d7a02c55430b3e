/// Namespace of the generated filter tables (`FilterTables.swift`).
enum WaveletTables {}

/// One row of the generated table: a wavelet exactly as PyWavelets defines it.
struct WaveletTableEntry: Sendable {
    let name: String
    let familyName: String
    let shortFamilyName: String
    let orthogonal: Bool
    let biorthogonal: Bool
    let symmetry: String
    let vanishingMomentsPsi: Int
    let vanishingMomentsPhi: Int
    let decLo: [Double]
    let decHi: [Double]
    let recLo: [Double]
    let recHi: [Double]
}
