// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wam",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wam", targets: ["wam"]),
        .library(name: "Wavelets", targets: ["Wavelets"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "ONNX", targets: ["ONNX"]),
        .library(name: "Attribution", targets: ["Attribution"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // System libraries (Debian packages installed by Tools/setup-system.sh).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),

        // Numeric core: no I/O, no logging.
        .target(name: "NDArray"),
        .target(name: "Wavelets", dependencies: ["NDArray"]),
        .target(name: "Inference", dependencies: ["NDArray", "CBLAS"]),
        .target(name: "Attribution", dependencies: ["NDArray", "Wavelets", "Inference"]),
        .target(name: "ONNX", dependencies: [
            "Inference", "NDArray", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),

        // Files and devices.
        .target(name: "ArrayIO", dependencies: ["NDArray", "ZIPFoundation"]),
        .target(name: "AudioIO", dependencies: ["CSndfile", "CSoxr", "CALSA"]),
        .target(name: "Rendering", dependencies: ["CPNG"]),

        // Shared by the CLI and the daemon: models, inputs, windows, explanation documents, outputs.
        .target(name: "Workflow", dependencies: [
            "NDArray", "Wavelets", "Inference", "ONNX", "Attribution", "ArrayIO", "AudioIO", "Rendering",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Executables.
        .executableTarget(
            name: "wam",
            dependencies: [
                "NDArray", "ArrayIO", "Wavelets", "Inference", "ONNX", "Attribution", "Workflow",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "WaveletsTests", dependencies: ["Wavelets", "ArrayIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArrayIOTests", dependencies: ["ArrayIO"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "ArrayIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Inference", "ArrayIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AttributionTests", dependencies: ["Attribution", "Wavelets", "Inference", "ONNX", "ArrayIO"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering"]),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflow", "Attribution", "Wavelets"]),
        .testTarget(name: "CLITests", dependencies: ["ArrayIO", "NDArray", "AudioIO"]),
    ],
    swiftLanguageModes: [.v6]
)
