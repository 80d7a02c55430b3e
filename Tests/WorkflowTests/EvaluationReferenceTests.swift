import Attribution
import Foundation
import Testing
import Wavelets

@testable import Workflow

/// The model-free references of `wam eval`: what a method must beat.
@Suite struct EvaluationReferenceTests {
    static let classifier = Result { try Classifier(url: DocumentContractTests.samples.appendingPathComponent("models/audio-resnet.onnx")) }

    static func signal(_ seed: UInt64) -> [Float] {
        var numbers = SplitMix(seed)
        return (0..<16000).map { _ in numbers.uniform() * 0.5 - 0.25 }
    }

    /// A small generator so that the test data does not come from the code under test.
    struct SplitMix {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func uniform() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24)
        }
    }

    func run(_ method: EvaluationMethod, _ signal: [Float], seed: UInt64 = 0) throws -> EvaluationMethod.Result {
        let settings = ExplanationSettings(wavelet: try Wavelet("db4"))
        return try method.run(
            signal, kind: .audio, classifier: try Self.classifier.get(), settings: settings, options: MethodOptions(seed: seed), target: 0)
    }

    @Test("magnitude ranks the wavelet coefficients by |z|, input-magnitude the samples by |x|; both are their own coefficients")
    func magnitude() throws {
        let x = Self.signal(1)
        let transform = try ExplanationSettings(wavelet: try Wavelet("db4")).transform(exampleShape: [1, 16000], kind: .audio)
        let wavelet = try run(.magnitude, x)
        #expect(wavelet.coefficients == transform.encode(x))
        #expect(wavelet.attribution == transform.encode(x).map(abs))
        #expect(Ranking(wavelet.attribution).order == Ranking(transform.encode(x)).order)
        let input = try run(.inputMagnitude, x)
        #expect(input.coefficients == x && input.attribution == x.map(abs))
        #expect(EvaluationMethod.magnitude.isReference && EvaluationMethod.magnitude.isWavelet)
        #expect(EvaluationMethod.inputMagnitude.isReference && !EvaluationMethod.inputMagnitude.isWavelet)
        #expect(!EvaluationMethod.wamIntgrad.isReference)
    }

    @Test("random is reproducible for a seed and an input, and changes with either; uniform in (0, 1)")
    func random() throws {
        let x = Self.signal(2), y = Self.signal(3)
        let first = try run(.random, x).attribution
        #expect(try run(.random, x).attribution == first)
        #expect(try run(.random, x, seed: 1).attribution != first)
        #expect(try run(.random, y).attribution != first)
        #expect(first.allSatisfy { $0 > 0 && $0 < 1 })
        let mean = first.reduce(0, +) / Float(first.count)
        #expect(abs(mean - 0.5) < 0.02)
        // Not ordered like the coefficients: a ranking unrelated to the signal.
        #expect(abs(Correlation.spearman(first, try run(.magnitude, x).attribution)) < 0.05)
        #expect(try run(.inputRandom, x).attribution.count == 16000)
    }

    @Test("the natural order: signed for contributions (integrated gradients, input x gradient), magnitude for gradients")
    func naturalOrder() {
        #expect(EvaluationMethod.allCases.filter { $0.naturalOrder == .signed } == [.wamIntgrad, .intgrad, .inputxgrad])
        #expect(MetricOrder.auto.order(for: .wamSmoothgrad) == .magnitude)
        #expect(MetricOrder.signed.order(for: .saliency) == .signed)
        #expect(
            FaithfulnessEvaluation.rows(methods: [.wamIntgrad, .saliency], orders: [.auto, .magnitude]).map { "\($0.method.rawValue) \($0.order)" }
                == ["wam-intgrad signed", "wam-intgrad magnitude", "saliency magnitude"])
    }
}

/// How `wam eval --separate` pairs clips, and the labelled sets it reads.
@Suite struct SeparationPairingTests {
    static func examples(_ counts: [String: Int]) -> [LabelledSet.Example] {
        counts.sorted { $0.key < $1.key }.flatMap { label, count in
            (0..<count).map { LabelledSet.Example(url: URL(fileURLWithPath: "/\(label)-\($0).wav"), label: label) }
        }
    }

    @Test("every class of a group takes its turn (was: the first classes' clips only), and a limit counts mixtures")
    func everyClassIsUsed() {
        let set = Self.examples(["yes": 3, "no": 3, "piano": 2, "violin": 4])
        let pairs = SeparationEvaluation.pairs(set, first: ["yes", "no"], second: ["piano", "violin"])
        #expect(pairs.map { "\($0.0.label)+\($0.1.label)" } == ["no+piano", "yes+violin", "no+piano", "yes+violin", "no+violin", "yes+violin"])
        #expect(Set(pairs.map(\.0.url)).count == 6 && Set(pairs.map(\.1.url)).count == 6)
        #expect(SeparationEvaluation.pairs(set, first: ["yes", "no"], second: ["piano", "violin"], limit: 2).count == 2)
    }

    @Test("a CSV may start with a `file,label,...` header (extra columns ignored), or `path,label`")
    func fileLabelHeader() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for header in ["file,label,snr", "path,label", "FILE,Label"] {
            let csv = folder.appendingPathComponent("set.csv")
            try "\(header)\na.wav,yes,3\nb.wav,no,\n".write(to: csv, atomically: true, encoding: .utf8)
            let set = try LabelledSet(path: csv.path)
            #expect(set.examples.map(\.label) == ["yes", "no"], "\(header)")
            #expect(set.examples.map(\.url.lastPathComponent) == ["a.wav", "b.wav"])
        }
    }
}
