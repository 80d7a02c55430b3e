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
