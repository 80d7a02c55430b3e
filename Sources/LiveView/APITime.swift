import Foundation
import Glibc

/// Times as the API writes and reads them: ISO 8601 in UTC with milliseconds
/// (`2025-01-31T12:00:00.250Z`), compared to the millisecond, so that a client passing a time it
/// was given selects exactly what came after it.
enum APITime {
    /// Whole milliseconds since 1970 (rounded down).
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// `date` written to the millisecond.
    static func format(_ date: Date) -> String {
        let ms = milliseconds(date)
        var seconds = time_t(ms.quotient(dividingBy: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(ms.remainder(dividingBy: 1000)))
    }

    /// The milliseconds of an RFC 3339 time (`2025-01-31T12:00:00Z`, `...00.250+05:30`; `T` and
    /// `Z` in either case, any offset up to ±23:59), nil for anything else.
    static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ (48...57).contains(bytes[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(bytes[$1] - 48) }
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var cursor = 19, milliseconds = 0
        if bytes[cursor] == UInt8(ascii: ".") {
            let digits = (cursor + 1)..<(bytes[(cursor + 1)...].firstIndex { !(48...57).contains($0) } ?? bytes.count)
            guard !digits.isEmpty, let fraction = number(digits.lowerBound..<min(digits.upperBound, digits.lowerBound + 3)) else { return nil }
            milliseconds = fraction * [100, 10, 1][min(digits.count, 3) - 1]
            cursor = digits.upperBound
        }
        var offset = 0
        if cursor == bytes.count - 1, [UInt8(ascii: "Z"), UInt8(ascii: "z")].contains(bytes[cursor]) {
            offset = 0
        } else if cursor == bytes.count - 6, [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[cursor]),
            bytes[cursor + 3] == UInt8(ascii: ":"), let hours = number((cursor + 1)..<(cursor + 3)),
            let minutes = number((cursor + 4)..<(cursor + 6)), hours <= 23, minutes <= 59
        {
            offset = (bytes[cursor] == UInt8(ascii: "-") ? -1 : 1) * (hours * 60 + minutes) * 60
        } else {
            return nil
        }
        var parts = tm()
        (parts.tm_year, parts.tm_mon, parts.tm_mday) = (Int32(year - 1900), Int32(month - 1), Int32(day))
        (parts.tm_hour, parts.tm_min, parts.tm_sec) = (Int32(hour), Int32(minute), Int32(min(second, 59)))
        let seconds = Int64(timegm(&parts))
        // timegm normalises impossible dates (31 February): refuse those instead.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { return nil }
        return (seconds - Int64(offset)) * 1000 + Int64(milliseconds)
    }
}

private extension Int64 {
    /// Division rounding towards minus infinity (times before 1970 stay well formed).
    func quotient(dividingBy divisor: Int64) -> Int64 {
        (self - remainder(dividingBy: divisor)) / divisor
    }

    func remainder(dividingBy divisor: Int64) -> Int64 {
        ((self % divisor) + divisor) % divisor
    }
}
