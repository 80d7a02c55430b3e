import Foundation
@testable import LiveView
import Testing

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
}
