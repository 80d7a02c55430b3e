// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wam",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wam", targets: ["wam"]),
        .executable(name: "wamd", targets: ["wamd"]),
        .library(name: "Wavelets", targets: ["Wavelets"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "ONNX", targets: ["ONNX"]),
        .library(name: "Attribution", targets: ["Attribution"]),
        // One entry point per parser, for the fuzzers of Fuzz/ (see Fuzz/README.md); not part of the toolkit.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Without swift-configuration support (wamd reads its own TOML): less to build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries (Debian packages installed by Tools/setup-system.sh).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),

        // Numeric core: no I/O, no logging.
        .target(name: "NDArray"),
        .target(name: "Wavelets", dependencies: ["NDArray"]),
        .target(name: "Inference", dependencies: ["NDArray", "CBLAS"]),
        .target(name: "Attribution", dependencies: ["NDArray", "Wavelets", "Inference"]),
        .target(
            name: "ONNX",
            dependencies: [
                "Inference", "NDArray", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),

        // Files and devices.
        .target(name: "AtomicFiles"),
        .target(name: "ArrayIO", dependencies: ["NDArray", "AtomicFiles", "ZIPFoundation"]),
        .target(name: "AudioIO", dependencies: ["AtomicFiles", "CSndfile", "CSoxr", "CALSA"]),
        .target(name: "Rendering", dependencies: ["CPNG"]),

        // Shared by the CLI and the daemon: models, inputs, windows, explanation documents, outputs.
        .target(
            name: "Workflow",
            dependencies: [
                "NDArray", "Wavelets", "Inference", "ONNX", "Attribution", "AtomicFiles", "ArrayIO", "AudioIO", "Rendering",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // The daemon: configuration, windows, gates, queues, outputs, disk budget, lifecycle.
        .target(
            name: "Daemon",
            dependencies: [
                "Workflow", "AudioIO", "AtomicFiles", "Attribution", "Wavelets", "NDArray", "ONNX", "CSystemd", "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),

        // The live view: HTTP API, Prometheus metrics, health and the dashboard, served from the daemon.
        .target(
            name: "LiveView",
            dependencies: [
                "Daemon", "Workflow", "AudioIO", "AtomicFiles", "Rendering",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [
                // The dashboard, compiled into the binary (no resource bundle to install).
                .embedInCode("Dashboard/index.html"), .embedInCode("Dashboard/dashboard.js"), .embedInCode("Dashboard/dashboard.css"),
            ]),

        // The parsers' fuzz entry points (Fuzz/ builds them with libFuzzer; FuzzRegressionTests replays crashers).
        .target(name: "FuzzTargets", dependencies: ["ArrayIO", "Daemon", "Inference", "LiveView", "NDArray", "ONNX"]),

        // Executables.
        .executableTarget(
            name: "wam",
            dependencies: [
                "NDArray", "ArrayIO", "AudioIO", "Wavelets", "Inference", "ONNX", "Attribution", "Workflow", "CommandSupport", "AtomicFiles",
                "Rendering",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Range checks of numeric options, shared by the command-line tools.
        .target(
            name: "CommandSupport",
            dependencies: ["AudioIO", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // The Swift side of the benchmarks (Benchmarks/run.sh runs them next to their references);
        // built with everything else, so CI builds it.
        .executableTarget(
            name: "wam-bench",
            dependencies: [
                "NDArray", "Wavelets", "Inference", "ONNX", "Attribution", "Workflow", "CommandSupport", "Daemon", "Rendering",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/wam-bench"
        ),

        .executableTarget(
            name: "wamd",
            dependencies: [
                "Daemon", "LiveView",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),

        // Length-checked error measures and a seeded generator, for every numeric test target.
        .target(name: "NumericTestSupport", dependencies: ["NDArray"], path: "Tests/NumericTestSupport"),
        .testTarget(name: "NDArrayTests", dependencies: ["NDArray", "NumericTestSupport"]),
        .testTarget(
            name: "WaveletsTests", dependencies: ["Wavelets", "NDArray", "ArrayIO", "NumericTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "ArrayIOTests", dependencies: ["ArrayIO", "NDArray"]),
        .testTarget(name: "AtomicFilesTests", dependencies: ["AtomicFiles"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "NDArray", "NumericTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ONNXTests",
            dependencies: [
                "ONNX", "Inference", "NDArray", "ArrayIO", "NumericTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "AttributionTests",
            dependencies: [
                "Attribution", "Wavelets", "Inference", "ONNX", "NDArray", "ArrayIO", "NumericTestSupport",
            ], resources: [.copy("Fixtures")]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering"]),
        // Running wamd as a child process, its outputs, a stand-in for systemd's notify socket, WAV bytes.
        .target(name: "DaemonTestSupport", path: "Tests/DaemonTestSupport"),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "Attribution", "AudioIO", "ArrayIO", "DaemonTestSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "LiveViewTests",
            dependencies: [
                "LiveView", "Daemon", "Workflow", "AudioIO", "Rendering", "DaemonTestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflow", "Attribution", "Wavelets", "NDArray", "AudioIO"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"], resources: [.copy("Crashers")]),
        .testTarget(name: "CLITests", dependencies: ["ArrayIO", "NDArray", "AudioIO", "DaemonTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
