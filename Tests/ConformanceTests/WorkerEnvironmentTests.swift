@testable import Conformance
import Foundation
import XCTest

/// The environment a worker process starts with (`Worker` in Isolation.swift).
final class WorkerEnvironmentTests: XCTestCase {
    /// What `env` prints as a worker: its environment, one `NAME=value` per line.
    private func workerEnvironment() throws -> [String] {
        let worker = try Worker(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: [], captureStandardOutput: true)
        let (status, signaled, stderr) = worker.waitForExit()
        XCTAssertEqual(status, 0, stderr)
        XCTAssertFalse(signaled)
        return String(decoding: worker.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// A worker runs with glibc's malloc advising transparent huge pages (fewer page faults for
    /// its large buffers), unless the user set GLIBC_TUNABLES: then theirs passes unchanged.
    func testWorkerGetsMallocTunablesUnlessTheUserSetThem() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/env"), "no /usr/bin/env")
        let lines = try workerEnvironment()
        let tunables = lines.filter { $0.hasPrefix("GLIBC_TUNABLES=") }
        if let own = ProcessInfo.processInfo.environment["GLIBC_TUNABLES"] {
            XCTAssertEqual(tunables, ["GLIBC_TUNABLES=\(own)"])
        } else {
            XCTAssertEqual(tunables, ["GLIBC_TUNABLES=glibc.malloc.hugetlb=1"])
        }
        XCTAssertTrue(lines.contains("RNNCHECK_PARENT_PID=\(getpid())"), "the worker knows its parent")
    }
}
