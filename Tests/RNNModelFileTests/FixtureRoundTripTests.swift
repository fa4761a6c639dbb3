import Conformance
import Foundation
import KerasImport
import RNNEngine
import RNNModelFile
import Testing
import _TestSupport

/// Every shipped fixture's model, written as a model file and read back, computes exactly what
/// the model read from the Keras file computes: the same bits for every element of every output,
/// in float32 (as Keras computes) and in float64, on the fixture's inputs.
@Suite("Model file: every fixture through export")
struct FixtureRoundTripTests {
    static let names: [String] = ((try? TestPaths.fixtureFiles()) ?? []).map { $0.deletingPathExtension().lastPathComponent }

    @Test("fixture folder is found")
    func fixturesAreFound() {
        #expect(Self.names.count >= 400)
    }

    @Test("bit-identical outputs through the model file", arguments: names)
    func roundTrip(_ name: String) throws {
        let fixture = try Fixture.read(path: TestPaths.fixture(name).path)
        let loaded = try fixture.loadModel()
        let bytes = try ModelFile.encode(loaded.model, metadata: ["source": fixture.modelFilename])
        let file = try ModelFile(bytes: bytes, name: "\(name).rnn")

        // Everything the model holds was written: writing what was read gives the same bytes.
        #expect(try ModelFile.encode(file.model, metadata: file.metadata) == bytes)
        #expect(file.outputShapes == loaded.outputShapes)
        #expect(file.model.parameterCount == loaded.model.parameterCount)
        #expect(file.model.nodes.map(\.name) == loaded.model.nodes.map(\.name))
        #expect(file.model.outputs == loaded.model.outputs)

        let inputs = fixture.reference.inputs
        let direct32 = try loaded.model.converted(to: Float.self).predict(inputs.map { $0.converted(to: Float.self) })
        let export32 = try file.model.converted(to: Float.self).predict(inputs.map { $0.converted(to: Float.self) })
        expectSameBits(direct32, export32, name: "\(name) float32")
        let direct64 = try loaded.model.predict(inputs)
        let export64 = try file.model.predict(inputs)
        expectSameBits(direct64, export64, name: "\(name) float64")
    }

    func sameBits<S>(_ a: S, _ b: S) -> Bool {
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }

    func expectSameBits<S: BinaryFloatingPoint>(_ a: [Tensor<S>], _ b: [Tensor<S>], name: String) {
        #expect(a.count == b.count, "\(name): \(a.count) outputs directly, \(b.count) through the file")
        for (k, (x, y)) in zip(a, b).enumerated() {
            #expect(x.shape == y.shape, "\(name) output \(k): shape \(x.shape) directly, \(y.shape) through the file")
            guard x.shape == y.shape else { continue }
            if let i = x.scalars.indices.first(where: { !sameBits(x.scalars[$0], y.scalars[$0]) }) {
                Issue.record("\(name) output \(k) element \(x.multiIndex(i)): \(x.scalars[i]) directly, \(y.scalars[i]) through the file")
            }
        }
    }
}
