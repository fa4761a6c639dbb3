import Foundation
import HDF5
import XCTest

/// Where the repository's files are, found from this source file's path.
public enum TestPaths {
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var fixtures: URL { repositoryRoot.appendingPathComponent("fixtures") }

    /// Every shipped fixture file, sorted.
    public static func fixtureFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.path)
            .filter { $0.hasSuffix(".h5") }.sorted().map { fixtures.appendingPathComponent($0) }
    }

    public static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name + ".h5") }
}

/// A fresh directory removed when the value is released.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rnncheck-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The raw parts of a fixture file, read with the HDF5 module only, so that tests can write
/// altered copies (a perturbed expected value, a missing dataset, ...).
public struct RawFixture {
    public var attributes: [String: AttributeValue]
    public var modelBytes: [UInt8]
    public var modelAttributes: [String: AttributeValue]
    /// (shape, values) per input / output, in order; output names from `@name`.
    public var inputs: [(shape: [Int], values: [Float])]
    public var outputs: [(name: String, shape: [Int], values: [Float])]

    public init(path: String, requireModel: Bool = true) throws {
        let file = try HDF5.File.open(path)
        let root = try file.root
        attributes = [:]
        for name in try root.attributeNames() { attributes[name] = try root.attribute(name) }
        modelBytes = []
        modelAttributes = [:]
        if requireModel {
            let model = try root.group("model")
            modelBytes = try model.dataset("file").read(as: UInt8.self)
            for name in try model.attributeNames() { modelAttributes[name] = try model.attribute(name) }
        }
        inputs = []
        outputs = []
        var n = 0
        while try root.kind(of: "input_\(n)") == .dataset {
            let ds = try root.dataset("input_\(n)")
            inputs.append((ds.shape, try ds.read(as: Float.self)))
            n += 1
        }
        n = 0
        while try root.kind(of: "output_\(n)") == .dataset {
            let ds = try root.dataset("output_\(n)")
            let name = try ds.hasAttribute("name") ? (try ds.attribute("name").stringValue ?? "") : ""
            outputs.append((name, ds.shape, try ds.read(as: Float.self)))
            n += 1
        }
    }

    /// Writes a fixture (with `asFixture`) or a plain `compare` reference file.
    public func write(to path: String, asFixture: Bool = true) throws {
        let file = try HDF5.File.create(path)
        let root = try file.root
        if asFixture {
            for (name, value) in attributes { try root.setAttribute(name, value) }
            let model = try root.createGroup("model")
            for (name, value) in modelAttributes { try model.setAttribute(name, value) }
            _ = try model.write("file", modelBytes, shape: [modelBytes.count])
        }
        for (n, input) in inputs.enumerated() {
            _ = try root.write("input_\(n)", input.values, shape: input.shape)
        }
        for (n, output) in outputs.enumerated() {
            let ds = try root.write("output_\(n)", output.values, shape: output.shape)
            if !output.name.isEmpty { try ds.setAttribute("name", .string(output.name)) }
        }
        try file.close()
    }

    /// Writes the embedded model file (e.g. `model.keras`) to `path`.
    public func writeModel(to path: String) throws {
        try Data(modelBytes).write(to: URL(fileURLWithPath: path))
    }
}

extension RawFixture {
    /// Reads a plain reference file (no model, no fixture attributes).
    public static func readPlain(path: String) throws -> RawFixture {
        try RawFixture(path: path, requireModel: false)
    }
}
