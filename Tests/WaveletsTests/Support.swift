import ArrayIO
import Foundation
import NDArray
import NumericTestSupport

@testable import Wavelets

/// The PyWavelets reference archives, loaded once.
enum Reference {
    static let wavedec1d = load("wavedec1d")
    static let waverec1d = load("waverec1d")
    static let wavedecn = load("wavedecn")

    private static func load(_ name: String) -> [String: NpyArray] {
        let url = Bundle.module.url(forResource: name, withExtension: "npz", subdirectory: "Fixtures")!
        let entries = try! NpzArchive.read(url)
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.array) })
    }
}

/// Root-mean-square difference of two arrays.
func rmsDifference<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
    precondition(a.count == b.count)
    let sum = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0 - $1.1), 2) }
    return (sum / Double(max(a.count, 1))).squareRoot()
}
