import Conformance
import Foundation
import RNNEngine
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Statistics, tolerances, the error budget's verdicts and the per-layer comparison, on numbers
/// derived by hand.
final class StatisticsTests: XCTestCase {
    func testQuantilesInterpolateLikeNumpy() {
        let sorted = [0, 0.25, 0.5, 1.0]
        // h = (n − 1) q: q = 0.5 → h = 1.5 → 0.25 + 0.5 · (0.5 − 0.25) = 0.375
        XCTAssertEqual(ErrorStatistics.quantile(sorted: sorted, 0.5), 0.375)
        // q = 0.99 → h = 2.97 → 0.5 + 0.97 · (1 − 0.5) = 0.985
        XCTAssertEqual(try XCTUnwrap(ErrorStatistics.quantile(sorted: sorted, 0.99)), 0.985, accuracy: 1e-15)
        XCTAssertEqual(ErrorStatistics.quantile(sorted: sorted, 0), 0)
        XCTAssertEqual(ErrorStatistics.quantile(sorted: sorted, 1), 1)
        XCTAssertEqual(ErrorStatistics.quantile(sorted: [7], 0.99), 7)
        XCTAssertNil(ErrorStatistics.quantile(sorted: [], 0.5))
        let s = ErrorStatistics.summary([1.0, 0, 0.5, 0.25])
        XCTAssertEqual(s?.mean, 0.4375)   // 1.75 / 4
        XCTAssertEqual(s?.median, 0.375)
    }

    func testANaNErrorCountsAsInfinite() throws {
        let s = try XCTUnwrap(ErrorStatistics.summary([1, .nan]))
        XCTAssertEqual(s.mean, .infinity)
        // sorted [1, inf]: the median interpolates towards infinity
        XCTAssertEqual(s.median, .infinity)
        XCTAssertEqual(ErrorStatistics.quantile(sorted: [1, .infinity, .infinity], 0.25), .infinity)
        XCTAssertEqual(ErrorStatistics.quantile(sorted: [1, 2, .infinity], 0.5), 2)
    }

    func testDifferReportsMeanMedianAndP99() {
        let expected = Tensor<Double>(shape: [2, 2], scalars: [0, 1, 2, 3])
        // errors 0, 0.5, 0.25, 1 (all exact in float32)
        let actual = Tensor<Float>(shape: [2, 2], scalars: [0, 1.5, 2.25, 4])
        let d = Differ.compare(name: "out", actual: actual, expected: expected, tolerance: Tolerance(atol: 0.3, rtol: 0))
        XCTAssertEqual(d.maxAbsError, 1)
        XCTAssertEqual(d.meanAbsError, 0.4375)
        XCTAssertEqual(d.medianAbsError, 0.375)
        XCTAssertEqual(try XCTUnwrap(d.p99AbsError), 0.985, accuracy: 1e-15)
        XCTAssertEqual(d.mismatched, 2)
    }

    func testToleranceOptionValues() throws {
        let parsed = try NamedTolerance.parse(["1e-5", "rnn/output=1e-4", "a=b=2e-3"], option: "--atol")
        XCTAssertEqual(parsed.global, 1e-5)
        XCTAssertEqual(parsed.named.map(\.0), ["rnn/output", "a=b"])
        XCTAssertEqual(parsed.named.map(\.1), [1e-4, 2e-3])
        for (values, message) in [
            (["1e-5", "2e-5"], "--atol is given twice for everything (1.000e-05 and 2.000e-05); give one value, and NAME=VALUE for single outputs."),
            (["=1"], "--atol '=1': give NAME=VALUE, with the name of an output or layer before '='."),
            (["x=-1"], "--atol must be a finite number ≥ 0 (or NAME=number), got 'x=-1'."),
            (["x=inf"], "--atol must be a finite number ≥ 0 (or NAME=number), got 'x=inf'."),
            (["x=1", "x=2"], "--atol is given twice for 'x'."),
        ] {
            XCTAssertThrowsError(try NamedTolerance.parse(values, option: "--atol")) { error in
                XCTAssertEqual((error as? ToleranceOptionError)?.message, message)
            }
        }
        let merged = NamedTolerance.merge(atol: [("a", 1), ("b", 2)], rtol: [("b", 3), ("c", 4)])
        XCTAssertEqual(merged, [NamedTolerance(name: "a", atol: 1), NamedTolerance(name: "b", atol: 2, rtol: 3), NamedTolerance(name: "c", rtol: 4)])
    }
}

final class ErrorBudgetTests: XCTestCase {
    func t(_ x: [Double]) -> Tensor<Double> { Tensor(shape: [x.count], scalars: x) }
    func f(_ x: [Float]) -> Tensor<Float> { Tensor(shape: [x.count], scalars: x) }

    func testWithinKerasRoundingOnlyWhenPassing() throws {
        // Keras f32 1, Keras f64 1 + 2^-26; rnncheck f32 1: both 2^-26 ≈ 1.5e-8 from Keras's float64.
        let k64 = t([1 + 0x1p-26])
        let pass = try XCTUnwrap(ErrorBudget.measure(keras: t([1]), rnncheck: f([1]), rnncheckFloat64: k64, kerasFloat64: k64,
                                                     passed: true, atol: 1e-6))
        XCTAssertEqual(pass.kerasMaxAbs, 0x1p-26)
        XCTAssertEqual(pass.rnncheckMaxAbs, 0x1p-26)
        XCTAssertEqual(pass.float64Agreement, 0)
        XCTAssertEqual(pass.verdict, .withinKerasRounding)
        XCTAssertTrue(pass.withinKerasRounding)
        // The same numbers for an output out of tolerance (a tolerance tighter than rounding):
        // never the green verdict.
        let fail = try XCTUnwrap(ErrorBudget.measure(keras: t([1]), rnncheck: f([1]), rnncheckFloat64: k64, kerasFloat64: k64,
                                                     passed: false, atol: 0))
        XCTAssertEqual(fail.verdict, .outOfTolerance)
        XCTAssertFalse(fail.withinKerasRounding)
        XCTAssertTrue(fail.explanation.contains("the tolerance is tighter than float32 rounding allows"), fail.explanation)
    }

    func testAReferenceFurtherFromFloat64ThanRnncheckIsSuspect() throws {
        // Keras's float32 output moved by 1e-3; its float64 run and rnncheck are both 1.
        let b = try XCTUnwrap(ErrorBudget.measure(keras: t([1.001]), rnncheck: f([1]), rnncheckFloat64: t([1]), kerasFloat64: t([1]),
                                                  passed: false, atol: 1e-6))
        XCTAssertEqual(try XCTUnwrap(b.kerasMaxAbs), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(b.rnncheckMaxAbs, 0)
        XCTAssertEqual(b.verdict, .referenceSuspect)
        XCTAssertTrue(b.explanation.hasPrefix("the reference is suspect: Keras's float32 is 1.000e-03 from Keras's float64 run, rnncheck's float32 0"), b.explanation)
        // Without Keras's float64 outputs: Keras's error is unknown, and the suspect may be a
        // bug shared by rnncheck's two paths.
        let u = try XCTUnwrap(ErrorBudget.measure(keras: t([1.001]), rnncheck: f([1]), rnncheckFloat64: t([1]), kerasFloat64: nil,
                                                  passed: false, atol: 1e-6))
        XCTAssertNil(u.kerasMaxAbs)
        XCTAssertEqual(u.reference, "rnncheck float64")
        XCTAssertEqual(try XCTUnwrap(u.referenceVsRnncheckFloat64), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(u.verdict, .referenceSuspect)
        XCTAssertTrue(u.explanation.contains("or rnncheck has a bug that its float32 and float64 paths share"), u.explanation)
    }

    func testRnnchecksOwnErrorWithoutKerasFloat64() throws {
        // rnncheck f32 1, its f64 1 + 2^-24: only that distance is stated.
        let b = try XCTUnwrap(ErrorBudget.measure(keras: t([1]), rnncheck: f([1]), rnncheckFloat64: t([1 + 0x1p-24]), kerasFloat64: nil,
                                                  passed: true, atol: 1e-6))
        XCTAssertEqual(b.verdict, .kerasErrorUnknown)
        XCTAssertEqual(b.rnncheckSelfMaxAbs, 0x1p-24)
        XCTAssertFalse(b.withinKerasRounding)
        XCTAssertTrue(b.explanation.hasPrefix("Keras's own float32 error is unknown"), b.explanation)
        // An output whose rnncheck error is 3× Keras's own: within tolerance, over the budget.
        let over = try XCTUnwrap(ErrorBudget.measure(keras: t([1]), rnncheck: f([1 + 0x1p-21]), rnncheckFloat64: t([1 + 0x1p-23]),
                                                     kerasFloat64: t([1 + 0x1p-23]), passed: true, atol: 1e-6))
        // Keras: 2^-23 (1 ulp); rnncheck: 2^-21 − 2^-23 = 3 · 2^-23 (3 ulp).
        XCTAssertEqual(over.rnncheckMaxAbs, 3 * 0x1p-23)
        XCTAssertEqual(over.rnncheckMaxUlp, 3)
        XCTAssertEqual(over.verdict, .exceedsKerasRounding)
    }
}

/// x → Dense(1, kernel 1) 'a' → Dense(1, kernel 128) 'b', with "Keras" values chosen by hand.
final class LayerComparisonTests: XCTestCase {
    func model() throws -> Model<Double> {
        let nodes: [Node<Double>] = [
            Node(name: "x", className: "InputLayer", layer: InputLayer<Double>(shape: [1])),
            Node(name: "a", className: "Dense", layer: DenseLayer<Double>(inputDim: 1, units: 1, kernel: [1], bias: nil, activation: .linear),
                 inputs: [TensorRef(node: 0)]),
            Node(name: "b", className: "Dense", layer: DenseLayer<Double>(inputDim: 1, units: 1, kernel: [128], bias: nil, activation: .linear),
                 inputs: [TensorRef(node: 1)]),
        ]
        return try Model(name: "tiny", nodes: nodes, inputs: [0], outputs: [ModelOutput(ref: TensorRef(node: 2), name: "b/output")])
    }

    func column(_ x: [Double]) -> Tensor<Double> { Tensor(shape: [x.count, 1], scalars: x) }

    func run(a: [Double], b: [Double], options: DiffOptions = .init()) throws -> CaseResult {
        var extras = ReferenceExtras()
        extras.layers = LayerReference(nodes: [
            .init(node: "a", layer: "a", className: "Dense", outputs: [("a/output", column(a), StoredTolerance())]),
            .init(node: "b", layer: "b", className: "Dense", outputs: [("b/output", column(b), StoredTolerance())]),
        ])
        let reference = ReferenceData(inputs: [column([1, 2])], outputs: [("b/output", column(b))])
        return try Runner.compare(model: try model(), reference: reference, tolerance: Tolerance(atol: 1e-6, rtol: 0),
                                  name: "tiny", file: "tiny.h5", options: options, extras: extras)
    }

    func testALayerThatMagnifiesAnErrorWithinToleranceAmplifiedIt() throws {
        // Keras's a is off by 2^-21 ≈ 4.8e-7 (within atol 1e-6); its b is exactly 128 · a, so
        // rnncheck's b (128, 256) is 128 · 2^-21 = 2^-14 ≈ 6.1e-5 off: out of tolerance. On
        // Keras's a, float32 gives 128 · (1 + 2^-21) = 128 + 2^-14 exactly: the layer amplified.
        let d = 0x1p-21
        let c = try run(a: [1 + d, 2 + d], b: [128 + 128 * d, 256 + 128 * d])
        XCTAssertFalse(c.passed)
        let comparison = try XCTUnwrap(c.layers?.first)
        XCTAssertEqual(comparison.layers.map(\.passed), [true, false])
        XCTAssertEqual(comparison.layers[0].maxAbsError, d)
        XCTAssertEqual(comparison.layers[0].inputError, 0)
        XCTAssertEqual(comparison.layers[0].errorGrowth, .infinity)
        XCTAssertEqual(comparison.layers[1].inputError, d)
        XCTAssertEqual(comparison.layers[1].maxAbsError, 128 * d)
        XCTAssertEqual(comparison.layers[1].errorGrowth, 128)
        XCTAssertEqual(comparison.layers[1].outputs[0].meanAbsError, 128 * d)
        XCTAssertEqual(comparison.layers[1].inputs, ["a"])
        let first = try XCTUnwrap(comparison.firstDivergence)
        XCTAssertEqual(first.node, "b")
        XCTAssertEqual(first.cause, .amplified)
        XCTAssertEqual(first.errorOnExpectedInputs, 0)
        XCTAssertTrue(first.explanation.contains("it amplified the error it received (×128)"), first.explanation)
        XCTAssertEqual(comparison.unmatched, [])
    }

    func testALayerWrongOnKerassOwnInputsCreatedTheError() throws {
        // Keras's a is exact; its b is 1e-3 off at the second row.
        let c = try run(a: [1, 2], b: [128, 256.001])
        let first = try XCTUnwrap(c.layers?.first?.firstDivergence)
        XCTAssertEqual(first.node, "b")
        XCTAssertEqual(first.cause, .created)
        XCTAssertEqual(first.inputError, 0)
        XCTAssertEqual(try XCTUnwrap(first.errorOnExpectedInputs), 1e-3, accuracy: 1e-9)
        XCTAssertTrue(first.explanation.contains("while its inputs match exactly"), first.explanation)
    }

    func testNamedTolerancesReachLayersAndUnusedNamesAreListed() throws {
        let d = 0x1p-21
        let options = DiffOptions(namedTolerances: [NamedTolerance(name: "b", atol: 1e-4), NamedTolerance(name: "nothing", atol: 1)])
        let c = try run(a: [1 + d, 2 + d], b: [128 + 128 * d, 256 + 128 * d], options: options)
        XCTAssertTrue(c.passed, "b's outputs get atol 1e-4 > 2^-14")
        XCTAssertEqual(c.outputs[0].tolerance?.atol, 1e-4)
        XCTAssertEqual(c.outputs[0].tolerance?.source, "atol from the command line for 'b'")
        XCTAssertNil(c.layers?.first?.firstDivergence)
        XCTAssertEqual(c.unusedToleranceNames, ["nothing"])
    }

    func testEveryFormatShowsTheLayersAndTheFirstDivergence() throws {
        let d = 0x1p-21
        let c = try run(a: [1 + d, 2 + d], b: [128 + 128 * d, 256 + 128 * d])
        let report = Report(cases: [c])
        let sentence = "'b' (Dense) is the first layer out of tolerance"
        XCTAssertTrue(report.text().contains("layers: 2 layers compared (float32), 1 out of tolerance; first divergence: 'b' (Dense), it amplified an error it received"), report.text())
        XCTAssertTrue(report.text().contains(sentence))
        XCTAssertTrue(report.markdown().contains("### Layers of `tiny` (float32)"), report.markdown())
        XCTAssertTrue(report.markdown().contains("| FAIL | `b` | Dense | `output` | 6.104e-05 |"), report.markdown())
        XCTAssertTrue(report.junitXML().contains("name=\"(layers)\""))
        XCTAssertTrue(report.junitXML().contains("first divergence: " + sentence), report.junitXML())
        let html = report.html()
        let doc = try XMLDocument(xmlString: html, options: [])
        let charts = try doc.nodes(forXPath: "//svg[@class='layer-errors']")
        XCTAssertEqual(charts.count, 1)
        // One point per node, the failing one red.
        let points = try doc.nodes(forXPath: "//svg[@class='layer-errors']/circle[title]").compactMap { $0 as? XMLElement }
        XCTAssertEqual(points.map { $0.attribute(forName: "fill")?.stringValue }, ["#2a788e", "#e8112d"])
        let json = try report.json()
        XCTAssertTrue(json.contains("\"cause\" : \"amplified\""), json)
        XCTAssertTrue(json.contains("\"schema_version\" : 2"), json)
    }

    func testAReferenceNodeWithoutAnEngineNodeIsUnmatched() throws {
        var extras = ReferenceExtras()
        extras.layers = LayerReference(nodes: [
            .init(node: "a", layer: "a", className: "Dense", outputs: [("a/output", column([1, 2]), StoredTolerance())]),
            .init(node: "z", layer: "z", className: "Dense", outputs: [("z/output", column([0, 0]), StoredTolerance())]),
        ])
        let reference = ReferenceData(inputs: [column([1, 2])], outputs: [("b/output", column([128, 256]))])
        let c = try Runner.compare(model: try model(), reference: reference, tolerance: .default, name: "tiny", file: "tiny.h5",
                                   extras: extras)
        XCTAssertEqual(c.layers?.first?.unmatched, [
            "Keras's node 'z' (Dense) has no node of that name in rnncheck's graph of the model; it was not compared",
            "rnncheck's node 'b' (Dense) is not in Keras's layers; it was not compared",
        ])
        XCTAssertTrue(c.passed)
    }
}
