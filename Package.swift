// swift-tools-version:6.0
import PackageDescription

// No unsafe flags anywhere: SwiftPM refuses a package with them as a dependency required by
// version (scripts/check_dependency.sh checks that one can). Debug builds of the numeric code
// are 10-100x slower than optimised ones, so scripts/test.sh builds and runs the tests in
// release with -enable-testing (for @testable imports) rather than in debug.

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
        // `saestore serve` only (the Serve target); its cost on a clean build is in docs/SERVE.md.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in Hummingbird's graph; named so Serve imports NIOCore (ByteBuffer, Channel) and NIOPosix
        // (its event loops as Swift Concurrency's executor) explicitly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        // Also in Hummingbird's graph: Serve names it to send the server's log to stderr.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.14.0"),
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

        .target(name: "TensorIO"),
        // BLAS kernel selection: CPU features, OpenBLAS's core, self-checks, the verdict cache (docs/PERFORMANCE.md).
        .target(name: "BLASKernels", dependencies: ["CBLAS", "CCPUID", "TensorIO"]),
        .target(name: "ActStore", dependencies: ["CZstd", "CLMDB", "TensorIO"]),
        .target(name: "Extract", dependencies: ["ActStore", "TensorIO", "BLASKernels", "CZstd", "CZlib"]),
        .target(name: "StreamTrain", dependencies: ["ActStore", "TensorIO", "BLASKernels", "CMPIShim"]),
        // The layer above training (docs/ARCHITECTURE.md): an SAE as users name it, then what is
        // done with one. Dependencies point down only: Pipeline -> FeatureAnalysis, Sweep ->
        // Evaluation, and all of them -> SAELoading -> StreamTrain.
        .target(name: "SAELoading", dependencies: ["ActStore", "StreamTrain"]),
        .target(name: "Evaluation", dependencies: ["SAELoading", "ActStore", "Extract", "StreamTrain"]),
        // The report's script and stylesheet are plain files in FeatureAnalysis/Assets, compiled in by
        // the EmbedAssets plugin (Plugins/EmbedAssets) so the binary needs no resource bundle.
        .target(name: "FeatureAnalysis", dependencies: ["SAELoading", "ActStore", "Extract", "StreamTrain", "TensorIO", "BLASKernels"],
                exclude: ["Assets"], plugins: ["EmbedAssets"]),
        .executableTarget(name: "embed-assets"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["embed-assets"]),
        .target(name: "Sweep", dependencies: ["Evaluation", "SAELoading", "ActStore", "Extract", "StreamTrain", "BLASKernels"]),
        .target(name: "Pipeline", dependencies: ["FeatureAnalysis", "SAELoading", "ActStore", "Extract", "StreamTrain"]),
        // `saestore serve`: the API's handlers as plain functions over the libraries above
        // (ServeAPI, testable without sockets) and one file that puts them behind Hummingbird.
        // Its page and OpenAPI text are plain files in Serve/Assets, compiled in by EmbedAssets.
        .target(name: "Serve", dependencies: [
            "ActStore", "Extract", "StreamTrain", "SAELoading", "FeatureAnalysis",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Assets"], plugins: ["EmbedAssets"]),
        .executableTarget(
            name: "saestore",
            dependencies: [
                "ActStore", "Extract", "StreamTrain", "TensorIO", "BLASKernels",
                "SAELoading", "Evaluation", "FeatureAnalysis", "Sweep", "Pipeline", "Serve",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Side-by-side benchmarks' Swift half (benchmarks/*/run.sh drive it).
        .executableTarget(
            name: "saestore-bench",
            dependencies: [
                "Extract", "ActStore", "StreamTrain", "TensorIO", "BLASKernels",
                "SAELoading", "FeatureAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/swift"),

        // A child process the crash tests SIGKILL at chosen points while it writes or appends to a store.
        .executableTarget(name: "crash-writer", dependencies: ["ActStore", "Extract"],
                          path: "Tests/CrashWriter"),

        // The real-tool checks every test target shares (a skip locally, a failure under CI=true).
        .target(name: "TestTools", path: "Tests/TestTools"),

        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO", "TestTools"], exclude: ["Fixtures"]),
        .testTarget(name: "BLASKernelsTests", dependencies: ["BLASKernels", "TensorIO"]),
        .testTarget(name: "ActStoreTests", dependencies: ["ActStore", "TensorIO"]),
        .testTarget(name: "ExtractTests", dependencies: ["Extract", "ActStore", "TensorIO", "BLASKernels", "TestTools"],
                    exclude: ["Support"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StreamTrainTests", dependencies: ["StreamTrain", "ActStore", "TensorIO", "Extract", "TestTools"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "FeaturesTests", dependencies: ["SAELoading", "Evaluation", "FeatureAnalysis", "Sweep", "Pipeline", "ActStore", "Extract", "StreamTrain", "TensorIO", "BLASKernels", "TestTools"]),
        // Runs the built `saestore` binary as a user would (commands, exit codes, SIGKILL + resume).
        .testTarget(name: "CLITests", dependencies: ["ActStore", "StreamTrain", "TensorIO", "BLASKernels", "TestTools"]),
        .testTarget(name: "ServeTests", dependencies: ["Serve", "ActStore", "Extract", "StreamTrain", "SAELoading", "FeatureAnalysis", "TestTools"]),
    ],
    swiftLanguageModes: [.v5]
)
