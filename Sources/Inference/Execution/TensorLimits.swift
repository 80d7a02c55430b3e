/// How large a tensor a model may state. Model files are untrusted: a few hundred bytes can
/// ask for tiled, padded or constant tensors of any size, which compilation would allocate and
/// fill before anything runs.
public enum TensorLimits {
    /// Elements per tensor (per example for activations): 2^25, 128 MiB of `Float`, about 30
    /// times the largest activation of the models wam runs (a 1 s audio window's is about 10^6;
    /// 64 channels x 10 s at 48 kHz would still fit), and well within the `Int32` index maps use.
    #if FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
        /// In fuzzing builds (`Tools/fuzz.sh`), 2^20: every input must run well within libFuzzer's
        /// timeout in an unoptimised, AddressSanitizer build, where 2^25 elements take over 10 s.
        public static let maxElements = 1 << 20
    #else
        public static let maxElements = 1 << 25
    #endif

    /// Axes per tensor: NumPy's limit since 2.0, far beyond any model's (shapes come from model
    /// files: a computed shape of 262,145 axes of one element each is small but slow to map).
    public static let maxRank = 64

    /// The element count of `shape`, nil when it overflows or exceeds `maxElements`, or when
    /// `shape` has more than `maxRank` axes.
    public static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.count <= maxRank else { return nil }
        var count = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= maxElements else { return nil }
            count = product
        }
        return count
    }

    /// `elementCount(shape)`, or a thrown error naming `operation`.
    static func checkedElementCount(_ shape: [Int], operation: String) throws(InferenceError) -> Int {
        guard let count = elementCount(shape) else {
            throw .invalidShapes(operation: operation, shapes: [shape], expected: "at most \(maxElements) elements and \(maxRank) axes per tensor")
        }
        return count
    }
}
