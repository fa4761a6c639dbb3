import Conformance
import Foundation
import HDF5
import KerasImport
import Testing

/// Inputs the fuzzer (`tools/fuzz.sh`) once crashed on, kept so that they never crash again.
/// The first byte picks the loader, as in the fuzz target: 0 model file, 1 reference HDF5, 2 config.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Hostile/fuzz-crashes")

    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()

    @Test("found crashes are kept")
    func present() {
        #expect(!Self.files.isEmpty)
    }

    @Test("is refused with an error, not a crash", arguments: files)
    func refused(_ name: String) throws {
        let data = try #require(FileManager.default.contents(atPath: Self.folder.appendingPathComponent(name).path))
        let bytes = [UInt8](data)
        try #require(bytes.count > 1)
        let payload = Array(bytes.dropFirst())
        switch bytes[0] % 3 {
        case 0:
            #expect(throws: (any Error).self) { try KerasModelLoader.load(bytes: payload, name: name) }
        case 1:
            #expect(throws: (any Error).self) {
                let file = try HDF5.File.open(image: payload, name: name)
                _ = try ReferenceData.read(from: try file.root, file: name)
            }
        default:
            #expect(throws: (any Error).self) {
                _ = try KerasModelLoader.load(bytes: payload, name: name, config: (Data(payload), name))
            }
        }
    }
}
