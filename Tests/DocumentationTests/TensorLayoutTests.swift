import Foundation
import KerasImport
import RNNEngine
import XCTest

// The Swift code of Sources/RNNEngine/RNNEngine.docc/TensorLayout.md, with the values its
// comments state checked by hand.

final class TensorLayoutTests: XCTestCase {
    func testShapesAndOffsets() throws {
        // snippet: layout-nested
        let x = try Tensor<Float>([[[1, 2, 3], [4, 5, 6]],
                                   [[7, 8, 9], [10, 11, 12]]])   // (batch 2, time 2, features 3)
        print(x.shape)       // [2, 2, 3]
        print(x.scalars)     // [1.0, 2.0, 3.0, 4.0, ..., 12.0]: row-major, the last axis fastest
        print(x[1, 0, 2])    // 9.0, at offset (b * time + t) * features + f = (1 * 2 + 0) * 3 + 2 = 8
        // snippet end
        XCTAssertEqual(x.shape, [2, 2, 3])
        XCTAssertEqual(x.scalars, (1...12).map(Float.init))
        XCTAssertEqual(x[1, 0, 2], 9)
        XCTAssertEqual(x.flatIndex([1, 0, 2]), 8)

        // snippet: layout-flat
        let same = Tensor<Float>(shape: [2, 2, 3], scalars: (1...12).map(Float.init))
        // snippet end
        XCTAssertEqual(same, x)
    }

    /// Resources/model.keras: x (None, 3) -> LSTM(4, return_sequences=True) -> Dense(2).
    func testReadingOutputs() throws {
        let x = try Tensor<Float>([[[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]]])
        let (y, lastStep, float64) = try inDirectory(resources) { () throws -> (Tensor<Float>, [Float], [Tensor<Double>]) in
            // snippet: layout-outputs
            let model = try Model<Float>(kerasFile: "model.keras")   // x (time, 3) -> LSTM(4, return_sequences=True) -> Dense(2)
            let y = try model.predict([x])[0]                         // x: (1, 2, 3), so y: (batch 1, time 2, units 2)
            let lastStep = (0..<y.shape[2]).map { y[0, y.shape[1] - 1, $0] }   // batch row 0, the last time step
            // snippet end
            // snippet: layout-double
            let float64 = try Model<Double>(kerasFile: "model.keras").predict([x.converted(to: Double.self)])
            // snippet end
            return (y, lastStep, float64)
        }
        XCTAssertEqual(y.shape, [1, 2, 2])
        XCTAssertEqual(lastStep, [y.scalars[2], y.scalars[3]])
        XCTAssertEqual(float64[0].shape, [1, 2, 2])
        for (a, b) in zip(y.scalars, float64[0].scalars) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
    }
}
