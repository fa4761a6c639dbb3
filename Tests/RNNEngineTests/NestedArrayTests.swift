import RNNEngine
import XCTest

/// Tensors from nested arrays: shapes read off the nesting, row-major order, ragged input refused.
final class NestedArrayTests: XCTestCase {
    func testShapesAndRowMajorOrder() throws {
        XCTAssertEqual(Tensor<Float>([1, 2, 3]), Tensor(shape: [3], scalars: [1, 2, 3]))
        XCTAssertEqual(try Tensor<Float>([[1, 2, 3], [4, 5, 6]]), Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        // (batch 2, time 1, features 2): [b][t][f] at (b * 1 + t) * 2 + f.
        let x = try Tensor<Double>([[[1, 2]], [[3, 4]]])
        XCTAssertEqual(x.shape, [2, 1, 2])
        XCTAssertEqual(x.scalars, [1, 2, 3, 4])
        XCTAssertEqual(x[1, 0, 1], 4)
        let four = try Tensor<Float>([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]])
        XCTAssertEqual(four.shape, [1, 2, 2, 2])
        XCTAssertEqual(four.scalars, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(four[0, 1, 0, 1], 6)
        // Zero extents: the innermost may be 0; rows of no elements still have a shape.
        XCTAssertEqual(try Tensor<Float>([[Float]](repeating: [], count: 2)).shape, [2, 0])
        XCTAssertEqual(try Tensor<Float>([[[Float]]](repeating: [[], []], count: 1)).shape, [1, 2, 0])
        XCTAssertEqual(Tensor<Float>([Float]()).shape, [0])
    }

    func testRaggedArraysAreRefusedWithThePlace() {
        XCTAssertThrowsError(try Tensor<Float>([[[1, 2, 3], [4, 5]]])) { error in
            XCTAssertEqual(error.localizedDescription,
                           "ragged nested array: [0, 1] has 2 element(s) but [0, 0] has 3; every row along an axis must have the same length.")
        }
        XCTAssertThrowsError(try Tensor<Float>([[1, 2], [3, 4], [5]])) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("ragged nested array: [2] has 1 element(s) but [0] has 2"),
                          error.localizedDescription)
        }
        // A batch whose second row has a different number of time steps.
        XCTAssertThrowsError(try Tensor<Float>([[[1], [2]], [[3]]])) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("ragged nested array: [1] has 1 element(s) but [0] has 2"),
                          error.localizedDescription)
        }
        XCTAssertThrowsError(try Tensor<Float>([[[[1, 2]], [[3, 4]]], [[[5, 6]], [[7]]]])) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("ragged nested array: [1, 1, 0] has 1 element(s) but [0, 0, 0] has 2"),
                          error.localizedDescription)
        }
    }

    func testEmptyOuterAxesHaveNoShapeToInfer() {
        XCTAssertThrowsError(try Tensor<Float>([[Float]]())) { error in
            XCTAssertTrue(error.localizedDescription.contains("cannot infer the shape"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("Tensor(shape:scalars:)"), error.localizedDescription)
        }
        XCTAssertThrowsError(try Tensor<Float>([[[Float]]]([[]])))
    }

    func testTokenIDs() throws {
        let tokens = try Tensor<Float>(ids: [[5, 3, 0], [7, 2, 9]])
        XCTAssertEqual(tokens.shape, [2, 3])
        XCTAssertEqual(tokens.scalars, [5, 3, 0, 7, 2, 9])
        XCTAssertEqual(try Tensor<Double>(ids: [Int32(4), 1]).scalars, [4, 1])
        XCTAssertEqual(try Tensor<Float>(ids: [[[UInt8(1)], [2]]]).shape, [1, 2, 1])
        // 2^24 is a float32; 2^24 + 1 is not (it would round to 2^24 and pick another row).
        XCTAssertEqual(try Tensor<Float>(ids: [[16_777_216]]).scalars, [16_777_216])
        XCTAssertThrowsError(try Tensor<Float>(ids: [[1, 16_777_217]])) { error in
            XCTAssertEqual(error.localizedDescription,
                           "token id 16777217 at [0, 1] is not exactly representable as Float; the nearest Float would select another Embedding row.")
        }
        XCTAssertEqual(try Tensor<Double>(ids: [[16_777_217]]).scalars, [16_777_217])
        XCTAssertThrowsError(try Tensor<Float>(ids: [[1, 2], [3]]))
    }
}
