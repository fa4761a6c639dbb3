import Conformance
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// The same model in different Keras file formats, and what Keras version changes.
final class FormatTests: XCTestCase {
    func outputs(_ name: String) throws -> [Tensor<Float>] {
        let fixture = try Fixture.read(path: TestPaths.fixture(name).path)
        let loaded = try fixture.loadModel()
        return try Runner.predictFloat32(model: loaded.model, inputs: fixture.reference.inputs, file: name)
    }

    func testSameModelInTwoFormatsGivesIdenticalOutputs() throws {
        // tf-keras saved one model (same seed) as a legacy weights .h5 and as a Keras-3-layout .weights.h5.
        let legacy = try outputs("k2_weights_only")
        let v3 = try outputs("k2_weights_only_v3")
        XCTAssertEqual(legacy.count, v3.count)
        for (a, b) in zip(legacy, v3) { XCTAssertEqual(a, b, "bit-identical outputs expected") }
    }

    func testHardSigmoidFollowsTheFilesKerasVersion() throws {
        func gate(_ name: String) throws -> (Activation, LoadedModel) {
            let loaded = try Fixture.read(path: TestPaths.fixture(name).path).loadModel()
            for node in loaded.model.nodes {
                if let r = node.layer as? RecurrentLayer<Double>, case .lstm(let c) = r.cell { return (c.recurrentActivation, loaded) }
            }
            throw XCTSkip("no LSTM in \(name)")
        }
        let (k3, m3) = try gate("hard_sigmoid_band")
        let (k2, m2) = try gate("k2_hard_sigmoid_band")
        XCTAssertEqual(k3, .hardSigmoid)
        XCTAssertEqual(k2, .hardSigmoidKeras2)
        XCTAssertTrue(m3.notes.contains { $0.contains("relu6(x+3)/6") }, "\(m3.notes)")
        XCTAssertTrue(m2.notes.contains { $0.contains("clip(0.2x+0.5, 0, 1)") }, "\(m2.notes)")
        // Same weights and inputs, the two definitions: Keras's outputs really differ here.
        let a = try RawFixture(path: TestPaths.fixture("hard_sigmoid_band").path).outputs[0].values
        let b = try RawFixture(path: TestPaths.fixture("k2_hard_sigmoid_band").path).outputs[0].values
        XCTAssertGreaterThan(zip(a, b).map { abs($0 - $1) }.max() ?? 0, 0.1)
    }

    func testOptimizerStateIsIgnoredAndSaidSo() throws {
        let k2 = try Fixture.read(path: TestPaths.fixture("k2_trained").path).loadModel()
        XCTAssertTrue(k2.notes.contains { $0.contains("optimizer_weights") }, "\(k2.notes)")
        XCTAssertEqual(k2.format, .legacyFullModel)
        let k3 = try Fixture.read(path: TestPaths.fixture("k3_trained").path).loadModel()
        XCTAssertTrue(k3.notes.contains { $0.contains("optimizer") }, "\(k3.notes)")
    }

    func testEveryFormatLoads() throws {
        let expected: [String: KerasFileFormat] = [
            "k2_lstm_seqT_stateT": .legacyFullModel, "k2_weights_only": .legacyWeights,
            "k3_legacy_h5": .legacyFullModel, "k3_weights_only": .keras3Weights, "lstm_seqT_stateT": .kerasArchive,
        ]
        for (name, format) in expected {
            XCTAssertEqual(try Fixture.read(path: TestPaths.fixture(name).path).loadModel().format, format, name)
        }
    }
}
