// swift-tools-version:6.1
// The libFuzzer executable for wam's parsers, kept out of the main package so that `swift test`
// never builds it. It only forwards libFuzzer's bytes to the `FuzzTargets` function WAM_FUZZ_TARGET names.
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address
// Tools/fuzz.sh builds and runs it; see README.md.
import PackageDescription

let package = Package(
    name: "wam-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wam", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        // One executable for every target: WAM_FUZZ_TARGET picks it.
        .executableTarget(name: "wam-fuzz", dependencies: ["CLibFuzzer", .product(name: "FuzzTargets", package: "wam")]),
    ],
    swiftLanguageModes: [.v6]
)
