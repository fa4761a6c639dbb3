import Foundation
import HDF5
import XCTest

/// A test case with a fresh scratch directory, removed afterwards.
class HDF5TestCase: XCTestCase {
    private(set) var directory = URL(fileURLWithPath: "/nonexistent-hdf5-tests")

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("HDF5Tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
        try super.tearDownWithError()
    }

    /// A path inside the scratch directory.
    func scratch(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Writes `bytes` to a scratch file and returns its path.
    func scratchFile(_ name: String, bytes: [UInt8]) throws -> String {
        let path = scratch(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Creates a scratch HDF5 file, lets `body` fill the root group, and closes it.
    @discardableResult
    func makeFile(_ name: String, _ body: (Group) throws -> Void) throws -> String {
        let path = scratch(name)
        let file = try File.create(path)
        try body(try file.root)
        try file.flush()
        try file.close()
        return path
    }
}

/// The committed files under Resources/, written by make_resources.py.
enum Resources {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources", isDirectory: true)

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}

/// The `HDF5Error` that `body` throws; records a failure (and returns nil) if it throws nothing
/// or another error.
func thrownHDF5Error<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> HDF5Error? {
    do {
        let value = try body()
        XCTFail("expected an HDF5Error, got a result: \(value)", file: file, line: line)
        return nil
    } catch let error as HDF5Error {
        return error
    } catch {
        XCTFail("expected an HDF5Error, got \(error)", file: file, line: line)
        return nil
    }
}

/// Asserts that `body` throws `.notHDF5` for `file` and returns its detail.
@discardableResult
func assertNotHDF5<T>(_ body: () throws -> T, file expectedFile: String,
                      file: StaticString = #filePath, line: UInt = #line) -> String? {
    guard let error = thrownHDF5Error(body, file: file, line: line) else { return nil }
    guard case let .notHDF5(reported, detail) = error else {
        XCTFail("expected .notHDF5, got \(error)", file: file, line: line)
        return nil
    }
    XCTAssertEqual(reported, expectedFile, file: file, line: line)
    return detail
}
