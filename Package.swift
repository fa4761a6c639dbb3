// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "rnncheck",
    platforms: [.macOS(.v13)],
    // MARK: - Public API
    products: [
        .executable(name: "rnncheck", targets: ["rnncheck"]),
        .library(name: "RNNEngine", targets: ["RNNEngine"]),
        .library(name: "RNNModelFile", targets: ["RNNModelFile"]),
        .library(name: "KerasImport", targets: ["KerasImport"]),
        .library(name: "Conformance", targets: ["Conformance"]),
        .library(name: "HDF5", targets: ["HDF5"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        // `swift package generate-documentation`: the DocC catalogs in Sources/*/*.docc. Links nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Implementation details
        /// libhdf5, seen through one shim header. pkg-config name `hdf5`: Homebrew's `hdf5`
        /// installs `hdf5.pc`; Debian's `libhdf5-dev` installs `hdf5-serial.pc` and points the
        /// `hdf5.pc` alternative at it.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]
        ),
        /// The only module that calls libhdf5: files, groups, datasets and attributes as Swift values.
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        /// The float32 kernels (tile products, fused gates, vector exp/tanh/sigmoid) as static
        /// inline C with per-function target attributes and run-time CPU dispatch: no compiler
        /// flags needed. Header only; links nothing.
        .systemLibrary(name: "CRNNKernels"),
        /// Keras-compatible recurrent inference. Knows nothing of files.
        .target(
            name: "RNNEngine",
            dependencies: [.product(name: "RealModule", package: "swift-numerics"), "CRNNKernels"]
        ),
        /// rnncheck's own model file (`.rnn`, docs/model-format.md): engine models written and read
        /// back with no C library, for apps. Depends on RNNEngine only.
        .target(name: "RNNModelFile", dependencies: ["RNNEngine"]),
        /// Keras files and configs (`.keras`, `.weights.h5`, Keras 2 `.h5`) turned into engine models.
        .target(
            name: "KerasImport",
            dependencies: ["RNNEngine", "RNNModelFile", "HDF5", "CSystem", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        /// The operating-system calls Swift cannot import directly (prctl, O_TMPFILE), and zlib's
        /// CRC-32 for archive members. Header only (links libz, which libhdf5 needs anyway).
        .systemLibrary(name: "CSystem"),
        /// Fixtures, element-wise diffs and reports.
        .target(name: "Conformance", dependencies: ["RNNEngine", "RNNModelFile", "KerasImport", "HDF5", "CSystem"]),
        /// The command-line tool: parses arguments, calls the modules above.
        .executableTarget(
            name: "rnncheck",
            dependencies: [
                "Conformance", "KerasImport", "RNNEngine", "RNNModelFile", "HDF5",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .target(name: "_TestSupport", dependencies: ["RNNEngine", "HDF5"], path: "Tests/_TestSupport"),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"], exclude: ["Resources", "make_resources.py"]),
        .testTarget(name: "RNNEngineTests", dependencies: ["RNNEngine", "_TestSupport"]),
        .testTarget(name: "RNNModelFileTests", dependencies: ["RNNModelFile", "KerasImport", "Conformance", "_TestSupport"]),
        .testTarget(
            name: "KerasImportTests", dependencies: ["KerasImport", "Conformance", "HDF5", "_TestSupport"],
            exclude: ["Resources"]),
        .testTarget(
            name: "ConformanceTests", dependencies: ["Conformance", "KerasImport", "HDF5", "_TestSupport"],
            exclude: ["Hostile"]),
        .testTarget(name: "RNNCheckCLITests", dependencies: ["HDF5", "_TestSupport"], exclude: ["Resources"]),
        /// The Swift code of README.md and the DocC articles, compiled and run (SnippetTests keeps them equal).
        .testTarget(
            name: "DocumentationTests", dependencies: ["RNNEngine", "RNNModelFile", "KerasImport", "Conformance", "_TestSupport"],
            exclude: ["Resources"]),
    ]
)
