import Foundation
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// GlobalAveragePooling1D's masked mean where it gives NaN, which no shipped fixture can hold
/// (a NaN never matches at the default tolerances): a fully masked row is 0 / 0 in Keras 2 and 3,
/// and tf_keras's Masking and GlobalAveragePooling1D multiply by the mask, so an inf at a masked
/// step becomes NaN, where Keras 3's `where` drops it. The models are the real ones of shipped
/// fixtures; the generator asserted the same NaN rows from Keras when it wrote them.
final class MaskedMeanTests: XCTestCase {
    /// The fixture's model (float32, as Keras runs it), its first input and its first output.
    func fixture(_ name: String) throws -> (Model<Float>, input: Tensor<Float>, output: Tensor<Float>) {
        let raw = try RawFixture(path: TestPaths.fixture(name).path)
        let loaded = try KerasModelLoader.load(bytes: raw.modelBytes, name: name)
        return (loaded.model.converted(to: Float.self), Tensor(shape: raw.inputs[0].shape, scalars: raw.inputs[0].values),
                Tensor(shape: raw.outputs[0].shape, scalars: raw.outputs[0].values))
    }

    /// Batch row `b` of a tensor.
    func row(_ t: Tensor<Float>, _ b: Int) -> ArraySlice<Float> {
        let n = t.scalars.count / t.shape[0]
        return t.scalars[(b * n)..<((b + 1) * n)]
    }

    /// Masking -> LSTM(seq) -> GlobalAveragePooling1D with row 1 all padding: NaN there, the
    /// other rows as Keras computed them.
    func checkFullyMaskedRow(_ name: String) throws {
        var (model, x, want) = try fixture(name)
        let perRow = x.scalars.count / x.shape[0]
        for i in perRow..<(2 * perRow) { x.scalars[i] = 0 }
        let got = try model.predict([x])[0]
        XCTAssertTrue(row(got, 1).allSatisfy(\.isNaN), "\(name) row 1: \(Array(row(got, 1)))")
        for b in [0, 2] {
            for (a, e) in zip(row(got, b), row(want, b)) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(name) row \(b)") }
        }
    }

    func testFullyMaskedRowIsNaNInKeras3() throws { try checkFullyMaskedRow("mask_masking_lstm_gap") }

    func testFullyMaskedRowIsNaNInKeras2() throws { try checkFullyMaskedRow("k2_mask_masking_lstm_gap") }

    /// Masking(mask_value=inf) -> GlobalAveragePooling1D, x (3, 6, 2) with the steps of
    /// 111100 / 101101 / 111111 all +inf (masked).
    func infSteps(_ x: Tensor<Float>) -> Tensor<Float> {
        var x = x
        let pattern = ["111100", "101101", "111111"].map { $0.map { $0 == "1" } }
        for b in 0..<3 { for t in 0..<6 where !pattern[b][t] { x.scalars[(b * 6 + t) * 2] = .infinity; x.scalars[(b * 6 + t) * 2 + 1] = .infinity } }
        return x
    }

    func testInfAtMaskedStepsIsNaNInKeras2() throws {
        let (model, x, _) = try fixture("k2_gap1d_masking_inf")
        let got = try model.predict([infSteps(x)])[0]
        XCTAssertTrue(row(got, 0).allSatisfy(\.isNaN) && row(got, 1).allSatisfy(\.isNaN), "\(got.scalars)")
        // Row 2 has no masked step: the plain mean, finite.
        var mean: [Float] = [0, 0]
        for t in 0..<6 { for c in 0..<2 { mean[c] += x.scalars[(12 + t) * 2 + c] / 6 } }
        for (a, e) in zip(row(got, 2), mean) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }
}
