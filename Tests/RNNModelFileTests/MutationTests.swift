import Conformance
import Foundation
@testable import RNNModelFile
import RNNEngine
import Testing
import _TestSupport

/// Every whole number and every boolean in the description of one fixture per layer type,
/// changed one at a time to values a hostile file could hold: the reader either refuses the file
/// with a `ModelFileError` or gives a model whose run on small inputs ends normally (with
/// outputs or an `EngineError`). A trap ends the test process, which fails the run.
@Suite("Model file: mutated descriptions")
struct MutationTests {
    /// For each layer type, the first fixture (in name order) whose model holds it.
    static let fixtures: [String] = {
        var chosen: [String] = []
        var seen: Set<String> = []
        for url in (try? TestPaths.fixtureFiles()) ?? [] {
            guard let fixture = try? Fixture.read(path: url.path), let loaded = try? fixture.loadModel(),
                  let bytes = try? ModelFile.encode(loaded.model) else { continue }
            let text = RawModelFile(bytes).text
            let types = Set(text.components(separatedBy: "\"type\":\"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) })
            if !types.isSubset(of: seen) {
                chosen.append(url.deletingPathExtension().lastPathComponent)
                seen.formUnion(types)
            }
        }
        return chosen
    }()

    @Test("a fixture for every layer type")
    func coverage() {
        #expect(Self.fixtures.count >= 25, "\(Self.fixtures)")
    }

    /// The paths of every number and boolean in `json`, with the value there.
    static func leaves(_ json: JSON, _ path: [PathItem] = []) -> [([PathItem], JSON)] {
        switch json {
        case .number, .bool: return [(path, json)]
        case .array(let items): return items.enumerated().flatMap { leaves($1, path + [.index($0)]) }
        case .object(let members): return members.flatMap { leaves($0.value, path + [.key($0.key)]) }
        case .null, .string: return []
        }
    }

    enum PathItem: Equatable {
        case key(String)
        case index(Int)
    }

    static func replacing(_ json: JSON, at path: ArraySlice<PathItem>, with value: JSON) -> JSON {
        guard let head = path.first else { return value }
        switch (json, head) {
        case (.array(var items), .index(let k)):
            items[k] = replacing(items[k], at: path.dropFirst(), with: value)
            return .array(items)
        case (.object(var members), .key(let key)):
            let k = members.firstIndex { $0.key == key }!
            members[k].value = replacing(members[k].value, at: path.dropFirst(), with: value)
            return .object(members)
        default:
            return json
        }
    }

    static let hostileNumbers: [JSON] = ["0", "-1", "1", "2", "3", "7", "65536", "1099511627776", "-4611686018427387904", "0.5"].map { .number($0) }

    @Test("every number and boolean changed, one at a time", arguments: fixtures)
    func mutate(_ name: String) throws {
        let fixture = try Fixture.read(path: TestPaths.fixture(name).path)
        let bytes = try ModelFile.encode(try fixture.loadModel().model)
        var raw = RawModelFile(bytes)
        let json = try JSONReader.parse(raw.description)
        // Small inputs of the fixture's shapes: one batch row.
        let inputs = fixture.reference.inputs.map { t in
            Tensor(shape: [1] + t.shape.dropFirst(), scalars: Array(t.scalars.prefix(t.shape.dropFirst().reduce(1, *))))
        }
        // Only the description changes: the data's checksum is computed once (with the reader's
        // own CRC-32, as the description's: the checksums are not under test here).
        let dataCRC = CRC32.checksum(raw.data[...])
        var refusedCount = 0, ran = 0
        for (path, value) in Self.leaves(json) where path.first == .key("model") {
            let replacements: [JSON]
            switch value {
            case .bool(let b): replacements = [.bool(!b)]
            default: replacements = Self.hostileNumbers.filter { $0 != value }
            }
            for replacement in replacements {
                raw.description = Self.replacing(json, at: path[...], with: replacement).bytes
                let model: Model<Double>
                do {
                    model = try ModelFile(bytes: raw.bytes(descriptionCRC: CRC32.checksum(raw.description[...]), dataCRC: dataCRC),
                                      name: "mutated.rnn").model
                } catch is ModelFileError {
                    refusedCount += 1
                    continue
                }
                // Accepted: it must run, or fail with a sentence, on inputs of the fixture's shapes.
                do {
                    _ = try model.converted(to: Float.self).predict(inputs.map { $0.converted(to: Float.self) })
                    _ = try model.predict(inputs)
                } catch is EngineError {
                }
                ran += 1
            }
        }
        #expect(refusedCount > 0 && ran > 0, "\(name): \(refusedCount) refused, \(ran) accepted and run")
    }
}
