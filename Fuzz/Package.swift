// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets over rnncheck's loaders. Build and run with tools/fuzz.sh; kept out of the
// main package so that its sanitizer flags never touch the product.
let package = Package(
    name: "rnncheck-fuzz",
    dependencies: [.package(name: "rnncheck", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzLoaders",
            dependencies: [
                .product(name: "KerasImport", package: "rnncheck"),
                .product(name: "Conformance", package: "rnncheck"),
                .product(name: "HDF5", package: "rnncheck"),
            ]
        ),
    ]
)
