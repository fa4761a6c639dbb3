import Conformance
import Foundation
import Testing
import _TestSupport

/// Every shipped fixture as its own test case, so that a failure names the fixture.
@Suite("Shipped fixtures")
struct EachFixtureTests {
    /// The fixture names; an unreadable folder yields none, which `fixturesAreFound` catches.
    static let names: [String] = ((try? TestPaths.fixtureFiles()) ?? []).map {
        $0.deletingPathExtension().lastPathComponent
    }

    @Test("fixture folder is found")
    func fixturesAreFound() {
        #expect(Self.names.count >= 30)
    }

    @Test("matches Keras", arguments: names)
    func fixture(_ name: String) {
        let result = Runner.verify(fixtureAt: TestPaths.fixture(name).path, tolerance: nil)
        #expect(result.error == nil, "\(result.error ?? "")")
        for output in result.outputs {
            #expect(output.passed, "\(output.name): \(output.mismatched)/\(output.count) out of tolerance, max abs \(output.maxAbsError), worst at \(output.worstIndex ?? [])")
        }
        #expect(result.passed)
    }
}
