#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels
@testable import RNNEngine
import XCTest

/// The compute threads' pool: a helper started by a run takes part in that run.
final class WorkerPoolTests: XCTestCase {
    /// A fresh pool's first run with two threads: each of its two chunks waits (up to 10 s) until
    /// the other one has started, so the run is only done at once if a helper took a chunk. The
    /// helpers used to read the pool's generation when they started, racing with the run that bumps
    /// it right after starting them: a helper scheduled after the bump parked until the next run,
    /// and the first run of every process (the only forward pass of `compare` and `run`) ran on
    /// the calling thread alone — S3 at 1.36 s instead of 0.6 s.
    func testFirstRunOfAFreshPoolUsesItsHelper() {
        let pool = WorkerPool()
        let started = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        started.initialize(to: 0)
        let tids = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        tids.initialize(repeating: -1, count: 2)
        defer { started.deallocate(); tids.deallocate() }
        let run = PhaseRun(counts: [2], threads: 2) { _, chunk, tid in
            tids[chunk] = tid
            _ = rk_atomic_add(started, 1)
            var waited = 0
            while rk_atomic_load(started) < 2 && waited < 10_000 {
                usleep(1000)
                waited += 1
            }
        }
        pool.run(run)
        XCTAssertEqual(Set([tids[0], tids[1]]), [0, 1], "the two chunks ran on threads \(tids[0]) and \(tids[1])")
    }
}
