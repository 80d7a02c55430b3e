import Foundation
import Testing

@testable import LiveView

@Suite struct APITimeTests {
    @Test("times are written to the millisecond in UTC and read back to the same millisecond")
    func roundTrip() throws {
        for seconds in [0.0, 1_796_000_000.612, 1_796_000_000.6129999, 1_796_000_000.9995, -0.25, 951_782_400.001] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = APITime.format(date)
            #expect(text.count == 24 && text.hasSuffix("Z"), "\(text)")
            #expect(APITime.parse(text) == APITime.milliseconds(date), "\(text)")
        }
        #expect(APITime.format(Date(timeIntervalSince1970: 951_782_400.0019)) == "2000-02-29T00:00:00.001Z")
        #expect(APITime.format(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750Z")
        #expect(APITime.parse("2000-02-29T00:00:00Z") == 951_782_400_000)
        #expect(APITime.parse("yesterday") == nil)
    }

    @Test(
        "RFC 3339 times in every form: offsets up to ±23:59, lower-case t and z, fractions of any length",
        arguments: [
            ("2025-01-31T12:00:00Z", Int64(1_738_324_800_000)), ("2025-01-31t12:00:00z", 1_738_324_800_000),
            ("2025-01-31T12:00:00+00:00", 1_738_324_800_000), ("2025-01-31T12:00:00-22:00", 1_738_404_000_000),
            ("2025-01-31T12:00:00+18:30", 1_738_258_200_000), ("2025-01-31T12:00:00.5Z", 1_738_324_800_500),
            ("2025-01-31T12:00:00.123456789Z", 1_738_324_800_123), ("2025-01-31 12:00:00Z", 1_738_324_800_000),
        ])
    func rfc3339(_ text: String, _ milliseconds: Int64) {
        #expect(APITime.parse(text) == milliseconds, "\(text)")
    }

    @Test(
        "not RFC 3339",
        arguments: [
            "2025-01-31", "2025-01-31T12:00:00", "2025-02-30T12:00:00Z", "2025-13-01T00:00:00Z", "2025-01-31T24:00:00Z",
            "2025-01-31T12:00:00+24:00", "2025-01-31T12:00:00.Z", "2025-01-31T12:00:00ZZ", "+2025-01-31T12:00:00Z", "",
        ])
    func notRFC3339(_ text: String) {
        #expect(APITime.parse(text) == nil, "\(text)")
    }
}
