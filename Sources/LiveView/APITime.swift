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
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(ms.remainder(dividingBy: 1000)))
    }

    /// The milliseconds of an ISO 8601 time, with or without fractional seconds.
    static func parse(_ text: String) -> Int64? {
        guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
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
