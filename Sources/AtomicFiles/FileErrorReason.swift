import Foundation

/// The short reason of a file-system error as the system says it ("Permission denied", "No
/// space left on device"), instead of Foundation's generic "The operation could not be
/// completed. (NSCocoaErrorDomain error 513.)".
public enum FileErrorReason {
    public static func describe(_ error: any Error) -> String {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        // (Bridged through `any Error`: on Linux the value is not an `NSError` to `as?`.)
        if let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }),
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
