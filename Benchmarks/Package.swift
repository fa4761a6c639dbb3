// swift-tools-version:6.0
// Engine-only timings of rnncheck's float32 fast path on the issue-5 shapes (S1–S4 and more),
// with weights made in-process: no files, no Keras. Run from this folder:
//     swift run -c release rnnbench [--threads 1,2] [--shapes S1,S2] [--repeat 20]
// For Keras / ONNX Runtime / PyTorch side by side, see tools/bench_compare.py.
import PackageDescription

let package = Package(
    name: "rnncheck-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "rnncheck", path: "..")],
    targets: [
        .executableTarget(name: "rnnbench", dependencies: [.product(name: "RNNEngine", package: "rnncheck")]),
    ]
)
