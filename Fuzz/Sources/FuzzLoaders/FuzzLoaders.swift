import Conformance
import Foundation
import HDF5
import KerasImport
import RNNEngine

/// One fuzz input: arbitrary bytes handed to every loader rnncheck has. Any thrown error is a
/// correct answer; a crash, a hang or a huge allocation is a bug.
///
/// The first byte picks the loader, so one corpus exercises all of them:
/// 0: a model file (.keras archive or Keras .h5); 1: a fixture/reference HDF5 image;
/// 2: a Keras 3 config.json against a fixed, valid weights file;
/// 3: a config.json inside a .keras archive (the archive reader, the strict JSON reader and the
///    version check); 4: a metadata.json inside an archive with a valid config.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 1 else { return 0 }
    HDF5Library.maxReadBytes = 64 << 20
    let selector = start[0] % 5
    let bytes = [UInt8](UnsafeBufferPointer(start: start + 1, count: count - 1))
    switch selector {
    case 0:
        if let loaded = try? KerasModelLoader.load(bytes: bytes, name: "fuzz-model") {
            _ = loaded.summary()
            runSmall(loaded.model)
        }
    case 1:
        if let file = try? HDF5.File.open(image: bytes, name: "fuzz-reference"), let root = try? file.root {
            _ = try? ReferenceData.read(from: root, file: "fuzz-reference", outputsRequired: false)
        }
    case 3, 4:
        let members: [(String, [UInt8])] = selector == 3
            ? [("metadata.json", Array(#"{"keras_version": "3.15.1"}"#.utf8)), ("config.json", bytes), ("model.weights.h5", FuzzSeeds.weights)]
            : [("metadata.json", bytes), ("config.json", FuzzSeeds.config), ("model.weights.h5", FuzzSeeds.weights)]
        if let loaded = try? KerasModelLoader.load(bytes: StoredZip.archive(members), name: "fuzz-archive.keras") {
            _ = loaded.summary()
            runSmall(loaded.model)
        }
    default:
        let config = (data: Data(bytes), name: "fuzz-config.json")
        if let loaded = try? KerasModelLoader.load(bytes: FuzzSeeds.weights, name: "fuzz-weights", config: config) {
            runSmall(loaded.model)
        }
    }
    return 0
}

/// Runs a loaded model on a tiny zero input when its input shapes are small and known.
func runSmall(_ model: Model<Double>) {
    var inputs: [Tensor<Float>] = []
    for index in model.inputs {
        guard let shape = (model.nodes[index].layer as? InputLayer<Double>)?.shape else { return }
        let dims = [1] + shape.map { $0 ?? 2 }
        guard dims.allSatisfy({ $0 > 0 && $0 <= 64 }), dims.reduce(1, *) <= 4096 else { return }
        inputs.append(Tensor(shape: dims, repeating: 0))
    }
    guard model.parameterCount <= 1 << 20 else { return }
    _ = try? model.converted(to: Float.self).predict(inputs)
}

/// A zip archive of stored (uncompressed) members, as Keras writes `.keras` files.
enum StoredZip {
    static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { c, b in table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    }

    static func archive(_ members: [(String, [UInt8])]) -> [UInt8] {
        func le(_ value: Int, _ width: Int) -> [UInt8] { (0..<width).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        var out: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in members {
            let offset = out.count, crc = Int(crc32(data)), n = Array(name.utf8)
            let fields = le(20, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0x21, 2) + le(crc, 4) + le(data.count, 4) + le(data.count, 4) + le(n.count, 2)
            out += le(0x0403_4B50, 4) + fields + le(0, 2) + n + data
            directory += le(0x0201_4B50, 4) + le(20, 2) + fields + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + n
        }
        let start = out.count
        out += directory
        out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(members.count, 2) + le(members.count, 2) + le(directory.count, 4) + le(start, 4) + le(0, 2)
        return out
    }
}

enum FuzzSeeds {
    /// The config that goes with `weights`.
    static let config = Array(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 5, 3], "name": "x"}}, {"class_name": "LSTM", "config": {"name": "lstm", "units": 4}}]}}"#.utf8)

    /// A valid Keras 3 weights file for Sequential([Input((5, 3)), LSTM(4)]), so that config
    /// mutations reach the graph builder; written once at start-up.
    static let weights: [UInt8] = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rnncheck-fuzz-\(getpid()).weights.h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let file = try HDF5.File.create(path)
            let vars = try file.root.createGroup("layers").createGroup("lstm").createGroup("cell").createGroup("vars")
            _ = try vars.write("0", [Float](repeating: 0.1, count: 3 * 16), shape: [3, 16])
            _ = try vars.write("1", [Float](repeating: 0.1, count: 4 * 16), shape: [4, 16])
            _ = try vars.write("2", [Float](repeating: 0, count: 16), shape: [16])
            try file.close()
            return [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        } catch {
            fatalError("cannot write the fuzzer's seed weights: \(error)")
        }
    }()
}

// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzLoaders_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
