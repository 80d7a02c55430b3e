// swift-tools-version:6.1
// libFuzzer executables, one per parser of wam, kept out of the main package so that `swift test`
// never builds them. Each only forwards libFuzzer's bytes to `FuzzTargets` in the main package.
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address
// Tools/fuzz.sh builds and runs them; see README.md.
import PackageDescription

let targets = ["onnx", "npy", "npz", "config", "multipart", "window-id"]

let package = Package(
    name: "wam-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wam", path: "..")],
    targets: [.target(name: "CLibFuzzer")] + targets.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: ["CLibFuzzer", .product(name: "FuzzTargets", package: "wam")],
            path: "Sources/fuzz-\(name)"
        )
    },
    swiftLanguageModes: [.v6]
)
