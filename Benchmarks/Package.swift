// swift-tools-version:6.1
// Benchmarks of wam, kept out of the main package so that CI never builds them.
//   swift run -c release --package-path Benchmarks engine-bench --threads 1
import PackageDescription

let package = Package(
    name: "wam-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wam", path: "..")],
    targets: [
        .executableTarget(
            name: "engine-bench",
            dependencies: [.product(name: "Inference", package: "wam"), .product(name: "ONNX", package: "wam")]
        )
    ],
    swiftLanguageModes: [.v6]
)
