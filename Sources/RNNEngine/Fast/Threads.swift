#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels

/// How many threads the float32 fast path may use.
///
/// Results never depend on this number: work is split by output columns (whole units of every
/// gate) and by batch rows, never inside a dot product, and every element is computed by the
/// same code whichever thread computes it. Only the speed changes.
public enum ComputeThreads {
    /// The default: `RNNCHECK_THREADS` from the environment if set, else the online cores.
    public static let defaultCount: Int = {
        if let env = getenv("RNNCHECK_THREADS"), let n = Int(String(cString: env)), n >= 1 { return min(n, 64) }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, min(cores, 64))
    }()

    /// The current limit (at least 1).
    public static var count: Int {
        get {
            let n = rk_atomic_load(setting)
            return n > 0 ? n : defaultCount
        }
        set { rk_atomic_store(setting, max(1, min(newValue, 64))) }
    }

    nonisolated(unsafe) static let setting: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
}

/// Work in phases of independent chunks: phase p starts when every chunk of phases < p is
/// done. Threads claim chunks with a compare-and-swap, each starting at its own offset so
/// that a thread keeps the same columns (and so the same weights in its cache) step after
/// step. A helper that is late or descheduled costs nothing: the calling thread claims every
/// chunk nobody else has, and only ever waits for a chunk that another thread is computing.
final class PhaseRun: @unchecked Sendable {
    /// `starts[p]` = chunks in phases before p; `starts.last` = all chunks.
    let starts: [Int]
    let counts: [Int]
    let threads: Int
    /// Runs chunk `chunk` of phase `phase` on thread `tid` (0 = the caller).
    let execute: (_ phase: Int, _ chunk: Int, _ tid: Int) -> Void
    /// `claims[c * stride]`: the last phase that claimed chunk c. `done` (own line): chunks finished.
    private let memory: UnsafeMutablePointer<Int>
    private let maxChunks: Int
    private static let stride = 16

    init(counts: [Int], threads: Int, execute: @escaping (_ phase: Int, _ chunk: Int, _ tid: Int) -> Void) {
        self.counts = counts
        var s = [0]
        for c in counts { s.append(s.last! + c) }
        starts = s
        self.threads = threads
        self.execute = execute
        maxChunks = counts.max() ?? 0
        memory = .allocate(capacity: (maxChunks + 1) * Self.stride)
        memory.initialize(repeating: -1, count: (maxChunks + 1) * Self.stride)
        memory[maxChunks * Self.stride] = 0
    }

    deinit { memory.deallocate() }

    private var done: UnsafeMutablePointer<Int> { memory + maxChunks * Self.stride }

    /// Runs every phase on the calling thread alone (no atomics).
    func runSerially() {
        for p in counts.indices {
            for c in 0..<counts[p] { execute(p, c, 0) }
        }
    }

    /// Waits until `done ≥ target`; false if `stop` says to give up first.
    @inline(__always)
    private func wait(for target: Int) {
        var spins = 0
        while rk_atomic_load(done) < target {
            spins += 1
            if spins < 2000 { rk_pause() } else { sched_yield() }
        }
    }

    /// Takes part in the run as thread `tid`. The caller (tid 0) returns when everything is
    /// done; a helper returns when nothing is left to claim.
    func participate(tid: Int) {
        let phaseCount = counts.count
        let total = starts[phaseCount]
        // A helper joining late starts at the phase in progress.
        var p = 0
        if tid != 0 {
            let d = rk_atomic_load(done)
            while p < phaseCount && starts[p + 1] <= d { p += 1 }
        }
        while p < phaseCount {
            wait(for: starts[p])
            let n = counts[p]
            let first = (tid * n) / threads
            for i in 0..<n {
                var c = first + i
                if c >= n { c -= n }
                let slot = memory + c * Self.stride
                let seen = rk_atomic_load(slot)
                if seen >= p { continue }
                if rk_atomic_cas(slot, seen, p) == 0 { continue }
                execute(p, c, tid)
                _ = rk_atomic_add(done, 1)
            }
            p += 1
        }
        if tid == 0 { wait(for: total) }
    }
}

/// Helper threads, started on first use and parked between runs.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private let idle: UnsafeMutablePointer<pthread_cond_t>
    /// Guarded by `mutex`.
    private var job: PhaseRun?
    private var slotsLeft = 0
    private var nextTid = 1
    private var active = 0
    private var started = 0
    /// Bumped for every job; helpers poll it briefly before parking (atomic access).
    private let generation: UnsafeMutablePointer<Int>

    /// A pool of its own (the program uses `shared`; tests make fresh ones).
    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        wake = .allocate(capacity: 1)
        pthread_cond_init(wake, nil)
        idle = .allocate(capacity: 1)
        pthread_cond_init(idle, nil)
        generation = .allocate(capacity: 16)
        generation.initialize(repeating: 0, count: 16)
    }

    /// Runs `job` on the calling thread and up to `job.threads - 1` helpers; returns when all
    /// of it is done and no helper touches it any more.
    func run(_ job: PhaseRun) {
        let helpers = job.threads - 1
        if helpers <= 0 {
            job.runSerially()
            return
        }
        pthread_mutex_lock(mutex)
        if self.job != nil || active > 0 {
            // Another run (from another thread of the program) has the helpers: run alone.
            pthread_mutex_unlock(mutex)
            job.runSerially()
            return
        }
        while started < helpers { startHelper() }
        self.job = job
        slotsLeft = helpers
        nextTid = 1
        _ = rk_atomic_add(generation, 1)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)

        job.participate(tid: 0)

        pthread_mutex_lock(mutex)
        self.job = nil
        slotsLeft = 0
        while active > 0 { pthread_cond_wait(idle, mutex) }
        pthread_mutex_unlock(mutex)
    }

    private func startHelper() {
        started += 1
        let context = Unmanaged.passRetained(self).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let result = pthread_create(&thread, nil, { raw in
            #if canImport(Darwin)
            let pool = Unmanaged<WorkerPool>.fromOpaque(raw).takeRetainedValue()
            #else
            let pool = Unmanaged<WorkerPool>.fromOpaque(raw!).takeRetainedValue()
            #endif
            pool.helperLoop()
            return nil
        }, context)
        precondition(result == 0, "cannot start a compute thread (pthread_create: \(result))")
        #if canImport(Darwin)
        pthread_detach(thread!)
        #else
        pthread_detach(thread)
        #endif
    }

    private func helperLoop() {
        // No generation is -1: a new helper looks for a job at once. Reading the generation here
        // instead would race with `run`, which bumps it right after starting the helper: a helper
        // scheduled after the bump took the job that started it for an old one and parked, so the
        // first run of a process (the only forward pass of `compare` and `run`) ran on one thread.
        var seen = -1
        while true {
            // Poll briefly (back-to-back calls find us awake), then park.
            var spins = 0
            while rk_atomic_load(generation) == seen && spins < 4000 {
                rk_pause()
                spins += 1
            }
            pthread_mutex_lock(mutex)
            while rk_atomic_load(generation) == seen { pthread_cond_wait(wake, mutex) }
            seen = rk_atomic_load(generation)
            guard let job, slotsLeft > 0 else {
                pthread_mutex_unlock(mutex)
                continue
            }
            slotsLeft -= 1
            let tid = nextTid
            nextTid += 1
            active += 1
            pthread_mutex_unlock(mutex)

            job.participate(tid: tid)

            pthread_mutex_lock(mutex)
            active -= 1
            if active == 0 { pthread_cond_signal(idle) }
            pthread_mutex_unlock(mutex)
        }
    }
}

/// What the float32 fast path runs on.
public enum FastPath {
    /// False when `RNNCHECK_FAST=0`: every layer then runs the reference path (for measurements).
    public static let enabled: Bool = {
        guard let env = getenv("RNNCHECK_FAST") else { return true }
        return String(cString: env) != "0"
    }()

    /// The kernels chosen for this CPU: `"avx512"`, `"avx2"`, `"neon"` (arm64) or `"portable"`.
    public static var instructionSet: String {
        switch kernelISA {
        case 0: return "portable"
        case 1:
            #if arch(arm64)
            return "neon"
            #else
            return "avx2"
            #endif
        case 2: return "avx512"
        default: return "level \(kernelISA)"  // rk_cpu_isa has no other level; named, never guessed
        }
    }
}
