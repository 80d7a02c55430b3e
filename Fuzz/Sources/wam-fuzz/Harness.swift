import CLibFuzzer
import FuzzTargets
import Glibc

/// The target this process fuzzes: the one `WAM_FUZZ_TARGET` names (`Tools/fuzz.sh` sets it;
/// libFuzzer's worker and fork processes inherit it).
let chosenTarget: @Sendable ([UInt8]) -> Void = {
    let names = FuzzTargets.all.map(\.name).joined(separator: " ")
    guard let value = getenv("WAM_FUZZ_TARGET"), let run = FuzzTargets.named(String(cString: value)) else {
        let message = "wam-fuzz: set WAM_FUZZ_TARGET to one of: \(names)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    return run
}()

/// One input, forwarded to the chosen target. Exported under libFuzzer's name as well, because
/// `-sanitize=fuzzer` links libFuzzer's own `main`, which refers to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    chosenTarget(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// SwiftPM points `main` at this executable's Swift entry point (`--defsym main=<module>_main`),
/// which wins over libFuzzer's `main`: so the entry point starts libFuzzer's driver itself.
@main enum Harness {
    static func main() {
        _ = chosenTarget  // an unset or unknown target fails before libFuzzer starts
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
    }
}
