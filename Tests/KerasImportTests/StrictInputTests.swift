import Foundation
import HDF5
import KerasImport
import XCTest
import _TestSupport

/// What Keras and rnncheck could read differently is refused; what Python's json reads, rnncheck
/// reads the same way. (The hostile sweep, tools/hostile_sweep.py, tries the same end to end.)
extension LoaderTests {
    func testDuplicateKeyIsRefusedAndNamed() {
        let config = Self.config().replacingOccurrences(of: #""units": 4"#, with: #""units": 4, "units": 5"#)
        assertImportError(try load(config: config), contains: ["config.json", "key 'units' appears more than once"])
    }

    func testDuplicateKeyThroughEscapesIsRefused() {
        let config = Self.config().replacingOccurrences(of: #""units": 4"#, with: #""units": 4, "\u0075nits": 5"#)
        assertImportError(try load(config: config), contains: ["'units' appears more than once"])
    }

    func testJSON5ExtensionsAreRefusedAsPythonRefusesThem() {
        assertImportError(try load(config: "// comment\n" + Self.config()), contains: ["not valid JSON", "line 1, column 1"])
        assertImportError(try load(config: String(Self.config().dropLast(2)) + ",}"), contains: ["not valid JSON"])
    }

    func testNonFiniteNumbersAsPythonWritesThemAreRead() throws {
        let config = Self.config().replacingOccurrences(of: #""dropout": 0.0"#, with: #""dropout": 0.0, "note": [NaN, Infinity, -Infinity]"#)
        // An unknown option is still refused, but only after the JSON itself was read.
        assertImportError(try load(config: config), contains: ["note"])
    }

    func testNestingIsBounded() {
        assertImportError(try load(config: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)),
                          contains: ["nest more than 256 deep"])
    }

    func testWeightsNestedPastTheDepthBoundAreRefused() throws {
        // (Hard- and soft-link cycles, which h5py makes easily, are in the hostile sweep.)
        let dir = try TemporaryDirectory()
        let writable = try HDF5.File.create(dir.path("deep.weights.h5"))
        do {  // every handle released before the file is closed
            let vars = try writable.root.createGroup("layers").createGroup("lstm").createGroup("cell").createGroup("vars")
            for (n, shape) in [[3, 16], [4, 16], [16]].enumerated() {
                _ = try vars.write("\(n)", [Float](repeating: 0, count: shape.reduce(1, *)), shape: shape)
            }
            var group = try writable.root.group("layers/lstm")
            for _ in 0..<80 { group = try group.createGroup("n") }
        }
        try writable.close()
        let configPath = dir.path("config.json")
        try Self.config().write(toFile: configPath, atomically: true, encoding: .utf8)
        assertImportError(try KerasModelLoader.load(path: dir.path("deep.weights.h5"), configPath: configPath),
                          contains: ["nested more than 64 groups deep"])
    }

    func testAFIFOIsNotOpened() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.path("model.keras")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertImportError(try KerasModelLoader.load(path: fifo), contains: ["model.keras", "FIFO"])
    }
}
