import Foundation

/// A hash of a string that is the same in every run and on every machine (Swift's `Hasher` is
/// seeded per process), for names that must stay apart after sanitising: FNV-1a, 64 bits.
public enum StableHash {
    public static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// `fnv1a(text)` as 16 hexadecimal digits.
    public static func hex(_ text: String) -> String {
        let digits = String(fnv1a(text), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// `bytes` (a digest) as lowercase hexadecimal, two digits a byte.
    public static func hex(bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
