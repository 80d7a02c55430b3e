import ArrayIO
import Foundation
import NDArray

/// The files `Tools/make_engine_fixtures.py` wrote into this target's `Fixtures` folder.
enum Fixtures {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ path: String) -> URL {
        folder.appendingPathComponent(path)
    }

    /// The arrays of an `.npz` fixture by key.
    static func arrays(_ path: String) throws -> [String: NpyArray] {
        Dictionary(try NpzArchive.read(url(path)).map { ($0.key, $0.array) }, uniquingKeysWith: { first, _ in first })
    }
}

/// `max |actual - expected| / max |expected|`: the error measure of the parity tests.
func relativeError(_ actual: NDArray<Float>, _ expected: NDArray<Float>) -> Float {
    precondition(actual.shape == expected.shape, "shapes \(actual.shape) and \(expected.shape) differ")
    let scale = expected.storage.map(abs).max() ?? 0
    let error = zip(actual.storage, expected.storage).map { abs($0 - $1) }.max() ?? 0
    return scale > 0 ? error / scale : error
}
