import Inference
import NumericTestSupport
import Testing

/// The element-moving maps against their definitions, element by element: each output position's
/// multi-index turned into the input position it copies, written out per operator.
struct IndexMapsTests {
    /// Every multi-index of `shape`, row-major.
    static func indices(of shape: [Int]) -> [[Int]] {
        shape.reduce([[]]) { prefixes, length in prefixes.flatMap { prefix in (0..<length).map { prefix + [$0] } } }
    }

    /// The row-major flat position of `index` in `shape`.
    static func flat(_ index: [Int], in shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// Random shapes of rank 1 to 4 with extents 1 to 5, from a fixed seed.
    static func shapes(_ count: Int) -> [[Int]] {
        var generator = SplitMix64(seed: 7)
        return (0..<count).map { _ in (0...Int(generator.next() % 4)).map { _ in 1 + Int(generator.next() % 5) } }
    }

    @Test("Tile: output index i copies input index i mod shape", arguments: shapes(12))
    func tile(_ shape: [Int]) throws {
        let repeats = shape.indices.map { ($0 * 2 + shape[$0]) % 3 + 1 }
        let map = try IndexMaps.tile(shape, repeats: repeats)
        #expect(map.shape == zip(shape, repeats).map(*))
        #expect(map.sources == Self.indices(of: map.shape).map { Int32(Self.flat(zip($0, shape).map { $0 % $1 }, in: shape)) })
    }

    @Test("Transpose: output index i copies input index i permuted back", arguments: shapes(12))
    func transpose(_ shape: [Int]) throws {
        let permutation = Array(shape.indices.reversed())
        let map = try IndexMaps.transpose(shape, permutation: permutation)
        #expect(map.shape == permutation.map { shape[$0] })
        let expected = Self.indices(of: map.shape).map { index -> Int32 in
            var input = Array(repeating: 0, count: shape.count)
            for (axis, source) in permutation.enumerated() { input[source] = index[axis] }
            return Int32(Self.flat(input, in: shape))
        }
        #expect(map.sources == expected)
    }

    @Test(
        "Pad in every mode: positions outside the input are -1 (constant), clamped (edge) or mirrored (reflect)",
        arguments: shapes(12))
    func pad(_ shape: [Int]) throws {
        for mode in IndexMaps.PadMode.allCases {
            let limit = shape.map { mode == .reflect ? $0 - 1 : 2 }
            let begin = limit.map { min($0, 2) }, end = limit.map { min($0, 1) }
            let map = try IndexMaps.pad(shape, begin: begin, end: end, mode: mode)
            let expected = Self.indices(of: map.shape).map { index -> Int32 in
                var input: [Int] = []
                for axis in shape.indices {
                    let position = index[axis] - begin[axis], length = shape[axis]
                    if (0..<length).contains(position) {
                        input.append(position)
                    } else if mode == .constant {
                        return -1
                    } else if mode == .edge {
                        input.append(position < 0 ? 0 : length - 1)
                    } else {
                        input.append(position < 0 ? -position : 2 * (length - 1) - position)
                    }
                }
                return Int32(Self.flat(input, in: shape))
            }
            #expect(map.sources == expected, "\(mode)")
        }
    }

    @Test("Slice with negative steps and Expand from axes of one", arguments: shapes(12))
    func stridedAndBroadcast(_ shape: [Int]) throws {
        let counts = shape.map { ($0 + 1) / 2 }
        let starts = shape.map { $0 - 1 }, steps = shape.map { _ in -2 }
        let sliced = try IndexMaps.strided(shape, starts: starts, steps: steps, counts: counts)
        #expect(
            sliced.sources
                == Self.indices(of: counts).map { index in
                    Int32(Self.flat(shape.indices.map { starts[$0] + index[$0] * steps[$0] }, in: shape))
                })
        let ones = shape.map { $0 % 2 == 0 ? 1 : $0 }
        let target = [2] + shape
        let broadcast = try IndexMaps.broadcast(ones, to: target)
        #expect(broadcast.shape == target)
        #expect(
            broadcast.sources
                == Self.indices(of: target).map { index in
                    Int32(Self.flat(ones.indices.map { ones[$0] == 1 ? 0 : index[$0 + 1] }, in: ones))
                })
    }

    @Test("shapes of more than 64 axes are refused, however few their elements")
    func rankLimit() throws {
        #expect(try IndexMaps.broadcast([1], to: Array(repeating: 1, count: 64)).sources == [0])
        #expect(throws: InferenceError.self) { try IndexMaps.broadcast([1], to: Array(repeating: 1, count: 65)) }
        #expect(TensorLimits.elementCount(Array(repeating: 1, count: 262_146)) == nil)
    }

    @Test("maps with an empty axis have no elements")
    func emptyAxis() throws {
        #expect(try IndexMaps.tile([3, 2], repeats: [0, 4]).sources.isEmpty)
        #expect(try IndexMaps.pad([0, 2], begin: [0, 1], end: [0, 1], mode: .constant).sources.isEmpty)
    }
}
