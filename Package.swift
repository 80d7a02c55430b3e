// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wam",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wam", targets: ["wam"]),
        .library(name: "Wavelets", targets: ["Wavelets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .target(name: "NDArray"),
        .target(name: "ArrayIO", dependencies: ["NDArray", "ZIPFoundation"]),
        .target(name: "Wavelets", dependencies: ["NDArray"]),
        .executableTarget(
            name: "wam",
            dependencies: [
                "NDArray", "ArrayIO", "Wavelets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WaveletsTests", dependencies: ["Wavelets", "ArrayIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArrayIOTests", dependencies: ["ArrayIO"]),
        .testTarget(name: "CLITests", dependencies: ["ArrayIO", "NDArray"]),
    ],
    swiftLanguageModes: [.v6]
)
