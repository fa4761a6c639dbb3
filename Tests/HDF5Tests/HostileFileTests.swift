import Foundation
import HDF5
import XCTest

/// Resources/hostile.h5 (made by make_resources.py) holds objects that would make a reader open
/// other files of the machine. Each must be refused; the targets exist, so following would work.
final class HostileFileTests: XCTestCase {
    private let path = Resources.path("hostile.h5")

    func testTargetsExistSoRefusalIsReal() {
        for name in ["ext_target.h5", "external_raw.bin", "vds_source.h5"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Resources.path(name)), name)
        }
    }

    func testPlainDatasetInTheSameFileReads() throws {
        XCTAssertEqual(try File.open(path).root.dataset("plain").read(as: Float.self), [1])
    }

    func testExternalLinkIsRefused() throws {
        let root = try File.open(path).root
        let error = thrownHDF5Error { try root.dataset("ext_link") }
        XCTAssertEqual(error, .refused(file: path, object: "/ext_link", reason: "external link to ext_target.h5:/secret"))
        XCTAssertEqual(error?.errorDescription,
                       "\(path): /ext_link: refused to read it (external link to ext_target.h5:/secret).")
        XCTAssertEqual(thrownHDF5Error { try root.group("ext_link") },
                       .refused(file: path, object: "/ext_link", reason: "external link to ext_target.h5:/secret"))
        XCTAssertEqual(thrownHDF5Error { try root.group("ext_link/deeper") },
                       .refused(file: path, object: "/ext_link", reason: "external link to ext_target.h5:/secret"))
        XCTAssertEqual(try root.kind(of: "ext_link"), .other)
        XCTAssertEqual(try root.kind(of: "ext_link/deeper"), .other)
        XCTAssertEqual(try root.childNames(), ["ext_link", "g", "plain", "soft_to_ext", "vds"])
    }

    func testSoftLinkToExternalLinkIsRefused() throws {
        let root = try File.open(path).root
        XCTAssertEqual(thrownHDF5Error { try root.dataset("soft_to_ext") },
                       .refused(file: path, object: "/ext_link", reason: "external link to ext_target.h5:/secret"))
        XCTAssertEqual(try root.kind(of: "soft_to_ext"), .other)
    }

    func testExternalRawStorageIsRefused() throws {
        let root = try File.open(path).root
        XCTAssertEqual(try root.kind(of: "g/extstore"), .dataset)
        let error = thrownHDF5Error { try root.group("g").dataset("extstore") }
        guard case let .refused(file, object, reason)? = error else {
            return XCTFail("expected .refused, got \(String(describing: error))")
        }
        XCTAssertEqual(file, path)
        XCTAssertEqual(object, "/g/extstore")
        XCTAssertTrue(reason.contains("external raw storage"), reason)
        XCTAssertTrue(reason.contains("external_raw.bin"), reason)
    }

    func testVirtualDatasetIsRefused() throws {
        let root = try File.open(path).root
        XCTAssertEqual(try root.kind(of: "vds"), .dataset)
        let error = thrownHDF5Error { try root.dataset("vds") }
        guard case let .refused(file, object, reason)? = error else {
            return XCTFail("expected .refused, got \(String(describing: error))")
        }
        XCTAssertEqual(file, path)
        XCTAssertEqual(object, "/vds")
        XCTAssertTrue(reason.contains("virtual dataset"), reason)
    }

    func testRefusedInMemoryToo() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let root = try File.open(image: bytes, name: "hostile-image.h5").root
        XCTAssertEqual(thrownHDF5Error { try root.dataset("ext_link") },
                       .refused(file: "hostile-image.h5", object: "/ext_link", reason: "external link to ext_target.h5:/secret"))
        guard case .refused? = thrownHDF5Error({ try root.dataset("vds") }) else { return XCTFail("vds not refused") }
        guard case .refused? = thrownHDF5Error({ try root.dataset("g/extstore") }) else { return XCTFail("extstore not refused") }
    }
}
