import Foundation
import HDF5
import XCTest

final class ErrorTests: HDF5TestCase {
    // MARK: - Files that are not HDF5

    func testMissingFile() {
        let path = scratch("does-not-exist.h5")
        XCTAssertEqual(thrownHDF5Error { try File.open(path) }, .notHDF5(file: path, detail: "no such file"))
        let below = scratch("no-dir/x.h5")
        XCTAssertEqual(thrownHDF5Error { try File.open(below) }, .notHDF5(file: below, detail: "no such file"))
    }

    func testDirectory() {
        let path = directory.path
        let error = thrownHDF5Error { try File.open(path) }
        XCTAssertEqual(error, .notHDF5(file: path, detail: "it is a directory"))
        XCTAssertEqual(error?.errorDescription, "\(path) is not an HDF5 file (it is a directory).")
    }

    func testEmptyFile() throws {
        let path = try scratchFile("empty.h5", bytes: [])
        XCTAssertEqual(thrownHDF5Error { try File.open(path) }, .notHDF5(file: path, detail: "the file is empty"))
        XCTAssertEqual(thrownHDF5Error { try File.open(image: [], name: "empty.h5") },
                       .notHDF5(file: "empty.h5", detail: "the file image is empty"))
    }

    func testRandomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = try scratchFile("random.h5", bytes: bytes)
        let error = thrownHDF5Error { try File.open(path) }
        XCTAssertEqual(error, .notHDF5(file: path, detail: "no HDF5 signature found"))
        XCTAssertEqual(error?.errorDescription, "\(path) is not an HDF5 file (no HDF5 signature found).")
        XCTAssertEqual(thrownHDF5Error { try File.open(image: bytes, name: "random.bin") },
                       .notHDF5(file: "random.bin", detail: "no HDF5 signature found"))
    }

    func testNonRegularFile() throws {
        #if os(Linux)
        XCTAssertEqual(thrownHDF5Error { try File.open("/dev/zero") },
                       .notHDF5(file: "/dev/zero", detail: "it is not a regular file"))
        #endif
    }

    func testTruncatedFile() throws {
        let valid = try makeFile("valid.h5") { root in
            _ = try root.write("weights", (0..<4096).map { Float($0) }, shape: [64, 64])
            try root.setAttribute("name", .string("model"))
        }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: valid)))
        let half = Array(bytes.prefix(bytes.count / 2))
        let path = try scratchFile("truncated.h5", bytes: half)
        let detail = assertNotHDF5({ try File.open(path) }, file: path)
        XCTAssertTrue(detail?.contains("truncated") ?? false, detail ?? "")
        let imageDetail = assertNotHDF5({ try File.open(image: half, name: "half.h5") }, file: "half.h5")
        XCTAssertTrue(imageDetail?.contains("truncated") ?? false, imageDetail ?? "")
        // Only the superblock: every cut is refused or fails cleanly, never crashes.
        for length in [8, 100, 500, 1000, 1500, 2000] where length < bytes.count {
            let cut = try scratchFile("cut\(length).h5", bytes: Array(bytes.prefix(length)))
            XCTAssertNotNil(thrownHDF5Error { try File.open(cut).root.dataset("weights").read(as: Float.self) })
        }
    }

    // MARK: - Objects

    func testNotFoundNamesThePath() throws {
        let path = try makeFile("nf.h5") { root in _ = try root.createGroup("layers") }
        let root = try File.open(path).root
        let error = thrownHDF5Error { try root.dataset("layers/lstm/cell/vars/0") }
        XCTAssertEqual(error, .notFound(file: path, object: "/layers/lstm/cell/vars/0"))
        XCTAssertEqual(error?.errorDescription, "\(path): /layers/lstm/cell/vars/0: no such group or dataset.")
        let layers = try root.group("layers")
        XCTAssertEqual(thrownHDF5Error { try layers.group("lstm") }, .notFound(file: path, object: "/layers/lstm"))
    }

    func testWrongKind() throws {
        let path = try makeFile("wk.h5") { root in
            _ = try root.createGroup("g")
            _ = try root.write("d", [Float(1)], shape: [1])
        }
        let root = try File.open(path).root
        let error = thrownHDF5Error { try root.dataset("g") }
        XCTAssertEqual(error, .wrongKind(file: path, object: "/g", expected: "dataset", actual: "group"))
        XCTAssertEqual(error?.errorDescription, "\(path): /g: is a group, expected a dataset.")
        XCTAssertEqual(thrownHDF5Error { try root.group("d") },
                       .wrongKind(file: path, object: "/d", expected: "group", actual: "dataset"))
        XCTAssertEqual(thrownHDF5Error { try root.dataset("d/x") },
                       .wrongKind(file: path, object: "/d", expected: "group", actual: "dataset"))
    }

    func testWrongType() throws {
        let path = try makeFile("wt.h5") { root in
            _ = try root.write("names", strings: ["a", "b"], shape: [2])
            _ = try root.write("values", [Float(1), 2], shape: [2])
        }
        let root = try File.open(path).root
        let error = thrownHDF5Error { try root.dataset("names").read(as: Float.self) }
        XCTAssertEqual(error, .wrongType(file: path, object: "/names", expected: "float32", actual: "string"))
        XCTAssertEqual(error?.errorDescription, "\(path): /names: dataset is string, expected float32.")
        XCTAssertEqual(thrownHDF5Error { try root.dataset("names").read(as: Int64.self) },
                       .wrongType(file: path, object: "/names", expected: "int64", actual: "string"))
        XCTAssertEqual(thrownHDF5Error { try root.dataset("values").readStrings() },
                       .wrongType(file: path, object: "/values", expected: "string", actual: "float32"))
    }

    func testTooLarge() throws {
        let path = try makeFile("tl.h5") { root in
            _ = try root.write("five", [Float](repeating: 1, count: 5), shape: [5])
            _ = try root.write("names", strings: ["a", "b", "c"], shape: [3])
            try root.setAttribute("three", .doubles([1, 2, 3]))
            try root.setAttribute("two", .int(2))
        }
        let root = try File.open(path).root
        let saved = HDF5Library.maxReadBytes
        XCTAssertEqual(saved, 1 << 30, "default limit is 1 GiB")
        HDF5Library.maxReadBytes = 16
        defer { HDF5Library.maxReadBytes = saved }
        XCTAssertEqual(HDF5Library.maxReadBytes, 16)

        let error = thrownHDF5Error { try root.dataset("five").read(as: Float.self) }
        XCTAssertEqual(error, .tooLarge(file: path, object: "/five", bytes: 20, limit: 16))
        XCTAssertEqual(error?.errorDescription,
                       "\(path): /five: reading it needs 20 bytes, more than the limit of 16 bytes (HDF5Library.maxReadBytes).")
        // Reading into a smaller type still needs the stored size for conversion.
        XCTAssertEqual(thrownHDF5Error { try root.dataset("five").read(as: UInt8.self) },
                       .tooLarge(file: path, object: "/five", bytes: 20, limit: 16))
        XCTAssertEqual(thrownHDF5Error { try root.attribute("three") },
                       .tooLarge(file: path, object: "/@three", bytes: 24, limit: 16))
        guard case .tooLarge(path, "/names", _, 16)? = thrownHDF5Error({ try root.dataset("names").readStrings() }) else {
            return XCTFail("expected .tooLarge for the string dataset")
        }
        // Under the limit still works.
        XCTAssertEqual(try root.attribute("two"), .int(2))
        HDF5Library.maxReadBytes = saved
        XCTAssertEqual(try root.dataset("five").read(as: Float.self), [1, 1, 1, 1, 1])
        XCTAssertEqual(try root.attribute("three"), .doubles([1, 2, 3]))
    }

    func testFailedCallCarriesTheLibraryErrorStack() throws {
        let path = scratch("twice.h5")
        let root = try File.create(path).root
        _ = try root.write("x", [Float(1)], shape: [1])
        let error = thrownHDF5Error { try root.write("x", [Float(2)], shape: [1]) }
        guard case let .callFailed(function, file, object, detail)? = error else {
            return XCTFail("expected .callFailed, got \(String(describing: error))")
        }
        XCTAssertEqual(function, "H5Dcreate2")
        XCTAssertEqual(file, path)
        XCTAssertEqual(object, "/x")
        XCTAssertTrue(detail.hasPrefix("H5Dcreate2(): "), detail)
        XCTAssertTrue(detail.contains("already exists"), detail)
        XCTAssertTrue(error?.errorDescription?.hasPrefix("\(path): /x: H5Dcreate2 failed (H5Dcreate2(): ") ?? false,
                      error?.errorDescription ?? "")
        XCTAssertEqual(try root.dataset("x").read(as: Float.self), [1], "the first dataset is untouched")
    }
}
