import Foundation
import XCTest
import _TestSupport

/// Runs `body` with `directory` as the current directory, so that the documentation's examples
/// can name files as a user's program does (`"model.keras"`). XCTest runs this target's tests
/// one at a time, and the previous directory is restored before the next one starts.
func inDirectory<T>(_ directory: URL, _ body: () throws -> T) throws -> T {
    let previous = FileManager.default.currentDirectoryPath
    guard FileManager.default.changeCurrentDirectoryPath(directory.path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory.path])
    }
    defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
    return try body()
}

/// `Tests/DocumentationTests/Resources`: the files written by `tools/make_docs_models.py`.
let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

/// A directory holding a shipped fixture's model as `model.keras` and the fixture itself as
/// `ref.h5` (a fixture is a reference file for its own model), as a user would have them.
func fixtureAsUserFiles(_ name: String) throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    let fixture = TestPaths.fixture(name)
    try RawFixture(path: fixture.path).writeModel(to: directory.path("model.keras"))
    try FileManager.default.copyItem(atPath: fixture.path, toPath: directory.path("ref.h5"))
    return directory
}
