import Testing

@testable import Wavelets

@Suite struct FilterTests {
    @Test("the catalogue holds every discrete wavelet pywt ships")
    func catalogue() throws {
        #expect(Wavelet.all.count == 106)
        let names = Set(Wavelet.all.map(\.name))
        let expected = ["haar", "dmey"] + (1...38).map { "db\($0)" } + (2...20).map { "sym\($0)" } + (1...17).map { "coif\($0)" }
        #expect(Set(expected).isSubset(of: names))
        for prefix in ["bior", "rbio"] {
            for name in ["1.1", "1.3", "1.5", "2.2", "2.4", "2.6", "2.8", "3.1", "3.3", "3.5", "3.7", "3.9", "4.4", "5.5", "6.8"] {
                #expect(names.contains(prefix + name))
            }
        }
        #expect(Wavelet.families.map(\.shortName) == ["haar", "db", "sym", "coif", "bior", "rbio", "dmey"])
        #expect(Wavelet.families[1].members.map(\.name).prefix(3) == ["db1", "db2", "db3"])
    }

    /// `dmey` is an FIR truncation of the Meyer wavelet: its identities hold only to about 2e-3.
    static func tolerance(_ wavelet: Wavelet, exact: Double) -> Double { wavelet.name == "dmey" ? 5e-3 : exact }

    @Test("sum(dec_lo) = sqrt 2 and sum(dec_hi) = 0", arguments: Wavelet.all)
    func sums(wavelet: Wavelet) {
        let tolerance = Self.tolerance(wavelet, exact: 1e-6)
        #expect(abs(wavelet.decLo.reduce(0, +) - 2.0.squareRoot()) < tolerance, "\(wavelet.name) low-pass sum")
        #expect(abs(wavelet.decHi.reduce(0, +)) < tolerance, "\(wavelet.name) high-pass sum")
        #expect(abs(wavelet.recLo.reduce(0, +) - 2.0.squareRoot()) < tolerance)
        #expect(wavelet.filterLength % 2 == 0)
    }

    @Test(
        "orthogonal banks: unit norm, orthogonal to even shifts, synthesis = time-reversed analysis",
        arguments: Wavelet.all.filter(\.isOrthogonal))
    func orthogonality(wavelet: Wavelet) {
        let h = wavelet.decLo, g = wavelet.decHi, f = wavelet.filterLength
        let tolerance = Self.tolerance(wavelet, exact: 1e-9)
        for shift in stride(from: 0, to: f, by: 2) {
            let hh = (0..<(f - shift)).reduce(0.0) { $0 + h[$1] * h[$1 + shift] }
            let gg = (0..<(f - shift)).reduce(0.0) { $0 + g[$1] * g[$1 + shift] }
            let target = shift == 0 ? 1.0 : 0.0
            #expect(abs(hh - target) < tolerance, "\(wavelet.name) <h, h shifted by \(shift)>")
            #expect(abs(gg - target) < tolerance, "\(wavelet.name) <g, g shifted by \(shift)>")
        }
        for shift in stride(from: -(f - 2), to: f, by: 2) {
            let hg = (0..<f).reduce(0.0) { sum, i in
                let j = i + shift
                return j >= 0 && j < f ? sum + h[i] * g[j] : sum
            }
            #expect(abs(hg) < tolerance, "\(wavelet.name) <h, g shifted by \(shift)>")
        }
        #expect(wavelet.recLo == Array(wavelet.decLo.reversed()))
        #expect(wavelet.recHi == Array(wavelet.decHi.reversed()))
    }

    @Test(
        "biorthogonal banks: analysis and synthesis low-pass filters are dual",
        arguments: Wavelet.all.filter { !$0.isOrthogonal })
    func biorthogonality(wavelet: Wavelet) {
        let h = wavelet.decLo, g = wavelet.recLo, f = wavelet.filterLength
        for shift in stride(from: -(f - 2), to: f, by: 2) {
            let value = (0..<f).reduce(0.0) { sum, i in
                let j = f - 1 - i + shift
                return j >= 0 && j < f ? sum + h[i] * g[j] : sum
            }
            #expect(abs(value - (shift == 0 ? 1 : 0)) < 1e-9, "\(wavelet.name) duality at shift \(shift)")
        }
    }
}
