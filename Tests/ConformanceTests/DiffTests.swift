import Conformance
import RNNEngine
import XCTest

final class DiffTests: XCTestCase {
    let tolerance = Tolerance(atol: 1e-5, rtol: 1e-4)

    func testIscloseSemantics() {
        // |a - e| <= atol + rtol |e|: at e = 100 the bound is 1e-5 + 1e-2 = 0.01001
        XCTAssertTrue(tolerance.accepts(actual: 100.01, expected: 100, ulps: 0))
        XCTAssertFalse(tolerance.accepts(actual: 100.0101, expected: 100, ulps: 0))
        // at e = 0 only atol counts
        XCTAssertTrue(tolerance.accepts(actual: 9e-6, expected: 0, ulps: 0))
        XCTAssertFalse(tolerance.accepts(actual: 1.1e-5, expected: 0, ulps: 0))
        // the bound scales with |expected|, not |actual| (not symmetric, like numpy.isclose)
        XCTAssertTrue(tolerance.accepts(actual: 0, expected: -0.2, ulps: 0) == false)
    }

    func testNaNAndInfinity() {
        XCTAssertFalse(tolerance.accepts(actual: .nan, expected: 1, ulps: 0))
        XCTAssertFalse(tolerance.accepts(actual: 1, expected: .nan, ulps: 0))
        XCTAssertFalse(tolerance.accepts(actual: .nan, expected: .nan, ulps: 0), "NaN never passes by default")
        var nanOK = tolerance
        nanOK.nanEqual = true
        XCTAssertTrue(nanOK.accepts(actual: .nan, expected: .nan, ulps: 0))
        XCTAssertTrue(tolerance.accepts(actual: .infinity, expected: .infinity, ulps: 0))
        XCTAssertFalse(tolerance.accepts(actual: -.infinity, expected: .infinity, ulps: 0))
        XCTAssertFalse(tolerance.accepts(actual: 3e38, expected: .infinity, ulps: 0))
    }

    func testMaxUlp() {
        let strict = Tolerance(atol: 1, rtol: 0, maxUlp: 2)
        XCTAssertTrue(strict.accepts(actual: 1, expected: 1, ulps: 2))
        XCTAssertFalse(strict.accepts(actual: 1, expected: 1, ulps: 3))
    }

    func testUlpDistance() {
        XCTAssertEqual(ULP.distance(Float(1), Float(1).nextUp), 1)
        XCTAssertEqual(ULP.distance(Float(1), Float(1).nextUp.nextUp.nextUp), 3)
        XCTAssertEqual(ULP.distance(Float(0), -Float(0)), 0)
        // across zero: the smallest subnormals on either side are 2 apart
        XCTAssertEqual(ULP.distance(Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude), 2)
        // between 1 and 2 there are 2^23 float32 values
        XCTAssertEqual(ULP.distance(Float(1), Float(2)), 1 << 23)
        XCTAssertEqual(ULP.distance(Float.nan, Float(1)), Int64.max)
        XCTAssertEqual(ULP.distance(1.0, 1.0.nextUp), 1)
    }

    func testPerturbedElementIsFoundAtItsIndex() {
        let expected = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map { Double($0) / 10 })
        var actual = expected.converted(to: Float.self)
        actual[1, 2, 3] += 0.01
        let diff = Differ.compare(name: "out", actual: actual, expected: expected, tolerance: tolerance)
        XCTAssertFalse(diff.passed)
        XCTAssertEqual(diff.mismatched, 1)
        XCTAssertEqual(diff.worstIndex, [1, 2, 3])
        XCTAssertEqual(diff.maxAbsError, 0.01, accuracy: 1e-6)
        XCTAssertEqual(diff.count, 24)
        XCTAssertEqual(Report.describe(index: [1, 2, 3]), "(batch 1, time 2, unit 3)")
    }

    func testWithinToleranceReportsWorstAnyway() {
        let expected = Tensor<Double>(shape: [1, 2], scalars: [1, 2])
        let actual = Tensor<Float>(shape: [1, 2], scalars: [1, Float(2).nextUp])
        let diff = Differ.compare(name: "h", actual: actual, expected: expected, tolerance: tolerance)
        XCTAssertTrue(diff.passed)
        XCTAssertEqual(diff.maxUlp, 1)
        XCTAssertEqual(diff.worstIndex, [0, 1])
    }

    func testShapeMismatchIsAFailureWithItsOwnMessage() {
        let diff = Differ.compare(name: "out", actual: Tensor(shape: [1, 3], repeating: 0),
                                  expected: Tensor(shape: [1, 4], repeating: 0), tolerance: tolerance)
        XCTAssertFalse(diff.passed)
        XCTAssertEqual(diff.problem, "shape (1, 3) differs from Keras's (1, 4)")
    }

    func testNaNInActualIsReported() {
        let diff = Differ.compare(name: "out", actual: Tensor(shape: [2], scalars: [0, .nan]),
                                  expected: Tensor(shape: [2], scalars: [0, 1]), tolerance: tolerance)
        XCTAssertFalse(diff.passed)
        XCTAssertEqual(diff.worstIndex, [1])
        XCTAssertTrue(diff.maxAbsError.isNaN)
    }

    func testReportExitCodesAndJSONFields() throws {
        let good = CaseResult(name: "a", passed: true, error: nil, outputs: [], file: nil, tolerance: nil, problem: nil)
        let bad = CaseResult(name: "b", passed: false, error: nil, outputs: [], file: nil, tolerance: nil, problem: nil)
        let broken = CaseResult(name: "c", passed: false, error: "x.h5: /input_0: missing", outputs: [], file: nil, tolerance: nil, problem: nil)
        XCTAssertEqual(Report(cases: [good]).exitCode, 0)
        XCTAssertEqual(Report(cases: [good, bad]).exitCode, 1)
        XCTAssertEqual(Report(cases: [good, bad, broken]).exitCode, 2)
        XCTAssertEqual(Report(cases: []).exitCode, 1, "no case at all is not a pass")
        let diff = Differ.compare(name: "out", actual: Tensor(shape: [1], scalars: [1]),
                                  expected: Tensor(shape: [1], scalars: [1]), tolerance: tolerance)
        let json = try Report(cases: [CaseResult(name: "a", passed: true, error: nil, outputs: [diff], file: nil, tolerance: nil, problem: nil)]).json()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let output = ((object?["cases"] as? [[String: Any]])?.first?["outputs"] as? [[String: Any]])?.first
        for key in ["name", "shape", "expected_shape", "max_abs_error", "max_rel_error", "max_ulp", "mismatched", "count", "worst_index", "passed"] {
            XCTAssertNotNil(output?[key], "JSON output lacks \(key)")
        }
        XCTAssertEqual(object?["passed"] as? Bool, true)
    }
}
