import HDF5
import XCTest

final class BooleanTests: XCTestCase {
    func testH5pyBooleansReadAsBools() throws {
        let ds = try HDF5.File.open(Resources.path("booleans.h5")).root.dataset("mask")
        XCTAssertEqual(ds.elementType, .bool)
        XCTAssertEqual(ds.shape, [2, 3])
        XCTAssertEqual(try ds.readBooleans(), [true, false, true, false, false, true])
        XCTAssertThrowsError(try ds.read(as: Float.self))
    }

    func testNumbersAreNotBooleans() throws {
        let ds = try HDF5.File.open(Resources.path("keras_like.h5")).root
        let names = try ds.childNames()
        for name in names where try ds.kind(of: name) == .dataset {
            let d = try ds.dataset(name)
            if d.elementType != .bool { XCTAssertThrowsError(try d.readBooleans()) }
        }
    }
}
