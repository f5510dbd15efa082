// swift-tools-version:6.0
import PackageDescription

// Debug builds of the numeric code are 10-100x slower than optimised ones; the tests
// exercise real kernels on real model files, so every Swift target is built with -O
// even in debug (tests still get -enable-testing for @testable imports).
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "saestore",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "saestore", targets: ["saestore"]),
        .library(name: "ActStore", targets: ["ActStore"]),
        .library(name: "Extract", targets: ["Extract"]),
        .library(name: "StreamTrain", targets: ["StreamTrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"]), .brew(["lmdb"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),

        // MPI through dlopen() at run time (no mpi.h at build time; Open MPI's ABI): docs/MPI.md.
        .target(name: "CMPIShim", path: "Sources/CMPIShim", linkerSettings: [.linkedLibrary("dl")]),

        // CPUID and XGETBV, which Swift cannot issue (kernel selection reads the CPU's features).
        .target(name: "CCPUID", path: "Sources/CCPUID"),

        .target(name: "TensorIO", swiftSettings: optimised),
        // BLAS kernel selection: CPU features, OpenBLAS's core, self-checks, the verdict cache (docs/PERFORMANCE.md).
        .target(name: "BLASKernels", dependencies: ["CBLAS", "CCPUID"], swiftSettings: optimised),
        .target(name: "ActStore", dependencies: ["CZstd", "CLMDB", "TensorIO"], swiftSettings: optimised),
        .target(name: "Extract", dependencies: ["ActStore", "TensorIO", "CBLAS", "CZstd", "CZlib"],
                swiftSettings: optimised),
        .target(name: "StreamTrain", dependencies: ["ActStore", "TensorIO", "CBLAS", "CMPIShim"],
                swiftSettings: optimised),
        .target(name: "Features", dependencies: ["ActStore", "Extract", "StreamTrain", "TensorIO", "CBLAS"],
                swiftSettings: optimised),
        .executableTarget(
            name: "saestore",
            dependencies: [
                "ActStore", "Extract", "StreamTrain", "TensorIO", "Features", "BLASKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimised),

        // Side-by-side benchmarks' Swift half (benchmarks/*/run.sh drive it).
        .executableTarget(
            name: "saestore-bench",
            dependencies: [
                "Extract", "ActStore", "StreamTrain", "TensorIO", "CBLAS", "Features", "BLASKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/swift", swiftSettings: optimised),

        // A child process the crash tests SIGKILL at random points while it writes a store.
        .executableTarget(name: "crash-writer", dependencies: ["ActStore"],
                          path: "Tests/CrashWriter", swiftSettings: optimised),

        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO"], exclude: ["Fixtures"], swiftSettings: optimised),
        .testTarget(name: "BLASKernelsTests", dependencies: ["BLASKernels"], swiftSettings: optimised),
        .testTarget(name: "ActStoreTests", dependencies: ["ActStore", "TensorIO"], swiftSettings: optimised),
        .testTarget(name: "ExtractTests", dependencies: ["Extract", "ActStore", "TensorIO"],
                    exclude: ["Support"], resources: [.copy("Fixtures")], swiftSettings: optimised),
        .testTarget(name: "StreamTrainTests", dependencies: ["StreamTrain", "ActStore", "TensorIO", "Extract"],
                    resources: [.copy("Fixtures")], swiftSettings: optimised),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "ActStore", "Extract", "StreamTrain", "TensorIO"],
                    swiftSettings: optimised),
        // Runs the built `saestore` binary as a user would (commands, exit codes, SIGKILL + resume).
        .testTarget(name: "CLITests", dependencies: ["ActStore", "StreamTrain", "TensorIO", "BLASKernels"], swiftSettings: optimised),
    ],
    swiftLanguageModes: [.v5]
)
