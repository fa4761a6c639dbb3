@testable import Conformance
import HDF5
import XCTest

/// `ReferenceData.readInputs32`, the inputs `rnncheck run` takes: float32 as stored, anything
/// else rounded once to float32, and the same checks as `ReferenceData.read`.
final class ReferenceInputsTests: XCTestCase {
    private func file(_ fill: (Group) throws -> Void) throws -> Group {
        let file = try HDF5.File.createInMemory(name: "inputs.h5")
        try fill(try file.root)
        return try HDF5.File.open(image: try file.image(), name: "inputs.h5").root
    }

    func testFloat32AsStoredOthersRoundedOnce() throws {
        // float32: the stored bits, a signalling NaN's payload included (0x7FA00001).
        let stored: [Float] = [0.1, -3.5, Float(bitPattern: 0x7FA0_0001), .leastNonzeroMagnitude]
        // float64 0.1 rounds to the float32 nearest it, 0x3DCCCCCD (13421773 · 2⁻²⁷); int32
        // 2²⁴ + 1 = 16777217 lies halfway between 16777216 and 16777218 and rounds to the even
        // significand, 16777216; a bool reads as 1 or 0.
        let group = try file { root in
            _ = try root.write("input_0", stored, shape: [2, 2])
            _ = try root.write("input_1", [0.1, 1e-300] as [Double], shape: [2])
            _ = try root.write("input_2", [16_777_217, -7] as [Int32], shape: [1, 2])
            _ = try root.write("output_0", [1.0] as [Double], shape: [1])
        }
        var budgetSaw: [[Int]] = []
        let inputs = try ReferenceData.readInputs32(from: group, file: "inputs.h5") { budgetSaw = $0 }
        XCTAssertEqual(budgetSaw, [[2, 2], [2], [1, 2]])
        XCTAssertEqual(inputs.map(\.shape), [[2, 2], [2], [1, 2]])
        XCTAssertEqual(inputs[0].scalars.map(\.bitPattern), stored.map(\.bitPattern))
        XCTAssertEqual(inputs[1].scalars.map(\.bitPattern), [0x3DCC_CCCD, 0])
        XCTAssertEqual(inputs[2].scalars, [16_777_216, -7])
    }

    func testChecksAsReadDoes() throws {
        let gap = try file { root in
            _ = try root.write("input_0", [1] as [Float], shape: [1])
            _ = try root.write("input_2", [1] as [Float], shape: [1])
        }
        XCTAssertThrowsError(try ReferenceData.readInputs32(from: gap, file: "inputs.h5")) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("/input_1"), "\(error.localizedDescription)")
        }
        // A malformed output name is refused although the outputs are not read.
        let badOutput = try file { root in
            _ = try root.write("input_0", [1] as [Float], shape: [1])
            _ = try root.write("output_x", [1] as [Float], shape: [1])
        }
        XCTAssertThrowsError(try ReferenceData.readInputs32(from: badOutput, file: "inputs.h5")) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("/output_x"), "\(error.localizedDescription)")
        }
        let none = try file { root in _ = try root.write("output_0", [1] as [Float], shape: [1]) }
        XCTAssertThrowsError(try ReferenceData.readInputs32(from: none, file: "inputs.h5")) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("/input_0"), "\(error.localizedDescription)")
        }
    }
}
