import CLibFuzzer
import FuzzTargets
import Glibc

/// One input, forwarded to `FuzzTargets.multipart`. Exported under libFuzzer's name as well, because
/// `-sanitize=fuzzer` links libFuzzer's own `main`, which refers to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.multipart(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// SwiftPM points `main` at this executable's Swift entry point (`--defsym main=<module>_main`),
/// which wins over libFuzzer's `main`: so the entry point starts libFuzzer's driver itself.
@main enum Harness {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
    }
}
