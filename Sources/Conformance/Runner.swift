import Foundation
import HDF5
import KerasImport
import RNNEngine

/// What a diff computes beyond the pass/fail numbers.
public struct DiffOptions: Sendable {
    /// Heatmaps, error-over-time curves, ulp histograms and worst elements (for visual reports).
    public var detail: Bool
    /// Runs the model in float64 too and measures both float32 results against it.
    public var errorBudget: Bool

    public init(detail: Bool = false, errorBudget: Bool = true) {
        self.detail = detail
        self.errorBudget = errorBudget
    }
}

/// Runs models against Keras's outputs.
public enum Runner {
    /// Told the path of each file just before it is read (a worker tells its parent, so that a
    /// crash or a timeout names the file that caused it).
    nonisolated(unsafe) public static var reading: (String) -> Void = { _ in }

    /// The fixture files under `paths` (files as given, folders searched for `*.h5`), sorted.
    public static func fixturePaths(_ paths: [String]) throws -> [String] {
        var found: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ConformanceError.unusable(file: path, object: "", reason: "no such file or directory")
            }
            if isDirectory.boolValue {
                let items = try FileManager.default.contentsOfDirectory(atPath: path)
                let files = items.filter { $0.hasSuffix(".h5") }.sorted().map { (path as NSString).appendingPathComponent($0) }
                guard !files.isEmpty else { throw ConformanceError.noFixtures(path: path) }
                found += files
            } else {
                found.append(path)
            }
        }
        return found
    }

    /// Verifies each fixture; an unreadable fixture becomes an errored case, not a thrown error.
    ///
    /// Fixtures run in parallel on `jobs` threads (default: every core); the report lists them in
    /// sorted path order whatever the thread count. `progress` is called after each fixture with
    /// the number done, the total and the case name.
    public static func verify(
        paths: [String], tolerance: Tolerance?, options: DiffOptions = .init(), selection: SuiteSelection = .init(),
        expectedFailures: ExpectedFailures? = nil, jobs: Int? = nil,
        progress: (@Sendable (Int, Int, String) -> Void)? = nil,
        isolation: IsolatedCaseRunner? = nil
    ) -> Report {
        let files: [String]
        do {
            files = selection.select(try fixturePaths(paths))
        } catch {
            return Report(cases: [.failed(name: paths.joined(separator: " "), file: nil, error: error)])
        }
        let results = ResultSlots(count: files.count)
        let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, files.count))
        if let isolation {
            // Each worker thread drives one child process through an interleaved share of the list.
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let mine = Array(stride(from: w, to: files.count, by: workers))
                isolation.runFixtures(mine.map { files[$0] }) { k, outcome in
                    var result = outcome
                    if let expectedFailures { result = expectedFailures.apply(to: result) }
                    results.set(mine[k], result)
                    progress?(results.done, files.count, result.name)
                }
            }
            return Report(cases: results.all)
        }
        let next = ResultSlots.Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.take(below: files.count) {
                var result = verify(fixtureAt: files[i], tolerance: tolerance, options: options)
                if let expectedFailures { result = expectedFailures.apply(to: result) }
                results.set(i, result)
                progress?(results.done, files.count, result.name)
            }
        }
        return Report(cases: results.all)
    }

    /// Verifies one fixture file.
    public static func verify(fixtureAt path: String, tolerance: Tolerance?, options: DiffOptions = .init()) -> CaseResult {
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        do {
            let fixture = try Fixture.read(path: path)
            let loaded = try fixture.loadModel()
            try AllocationBudget.check(outputShapes: loaded.outputShapes, inputShapes: fixture.reference.inputs.map(\.shape), file: path)
            var applied = AppliedTolerance(
                atol: tolerance?.atol ?? Tolerance.default.atol, rtol: tolerance?.rtol ?? Tolerance.default.rtol,
                source: tolerance == nil ? "default" : "command line")
            // A tolerance given on the command line wins: the fixture's own are then ignored.
            var reasons: [String] = []
            if let atol = fixture.toleranceOverride.atol { applied.atol = atol; reasons.append("atol \(atol)") }
            if let rtol = fixture.toleranceOverride.rtol { applied.rtol = rtol; reasons.append("rtol \(rtol)") }
            if !reasons.isEmpty, tolerance != nil {
                applied.atol = tolerance?.atol ?? Tolerance.default.atol
                applied.rtol = tolerance?.rtol ?? Tolerance.default.rtol
                applied.source = "command line (the fixture's \(reasons.joined(separator: ", ")) ignored)"
            } else if !reasons.isEmpty {
                applied.source = "fixture sets \(reasons.joined(separator: ", ")): \(fixture.toleranceOverride.reason ?? "no reason given")"
            }
            var effective = tolerance ?? .default
            effective.atol = applied.atol
            effective.rtol = applied.rtol
            var result = try compare(model: loaded.model, reference: fixture.reference, tolerance: effective,
                                     name: fixture.name, file: path, options: options,
                                     kerasFloat64: fixture.referenceFloat64)
            result.tolerance = applied
            result.description = fixture.description
            result.provenance = fixture.provenance
            return result
        } catch {
            return .failed(name: stem, file: path, error: error)
        }
    }

    /// Compares a model file with a reference file of `input_*` / `output_*` datasets, as
    /// `rnncheck compare` does: runs the model in float32 on the reference's inputs and diffs
    /// every output with Keras's.
    ///
    /// - Parameters:
    ///   - modelPath: the Keras model file (`.keras`, full-model `.h5`, or a weights file with `configPath`).
    ///   - configPath: the model's JSON config, for a weights file.
    ///   - referencePath: a reference file written by `rnncheck-ref` (or any fixture).
    ///   - tolerance: nil for ``Tolerance/default`` (`atol 1e-6`, `rtol 1e-5`).
    ///   - options: what to compute beyond pass / fail (the float64 error budget by default).
    /// - Returns: a report with one case; an unreadable file makes the case an error
    ///   (``Report/exitCode`` 2) rather than a thrown error. ``Report/text()`` renders it.
    public static func compare(
        modelPath: String, configPath: String? = nil, referencePath: String, tolerance: Tolerance? = nil,
        options: DiffOptions = .init()
    ) -> Report {
        let name = URL(fileURLWithPath: modelPath).lastPathComponent
        do {
            reading(configPath.map { "\(modelPath) (with \($0))" } ?? modelPath)
            let loaded = try KerasModelLoader.load(path: modelPath, configPath: configPath)
            reading(referencePath)
            let file = try HDF5.File.open(referencePath)
            let reference = try ReferenceData.read(from: try file.root, file: referencePath) {
                try AllocationBudget.check(outputShapes: loaded.outputShapes, inputShapes: $0, file: referencePath)
            }
            var result = try compare(model: loaded.model, reference: reference, tolerance: tolerance ?? .default,
                                     name: name, file: referencePath, options: options, kerasFloat64: nil)
            result.tolerance = AppliedTolerance(
                atol: (tolerance ?? .default).atol, rtol: (tolerance ?? .default).rtol,
                source: tolerance == nil ? "default" : "command line")
            return Report(cases: [result])
        } catch {
            return Report(cases: [.failed(name: name, file: referencePath, error: error)])
        }
    }

    /// Runs the float32 model on the reference inputs and diffs every output.
    public static func compare(
        model: Model<Double>, reference: ReferenceData, tolerance: Tolerance, name: String, file: String,
        options: DiffOptions = .init(), kerasFloat64: [Tensor<Double>]? = nil
    ) throws -> CaseResult {
        let outputs = try predictFloat32(model: model, inputs: reference.inputs, file: file)
        var float64: [Tensor<Double>]?
        if options.errorBudget {
            float64 = try model.predict(reference.inputs)
        }
        var diffs: [OutputDiff] = []
        for (n, expected) in reference.outputs.enumerated() where n < outputs.count {
            let label = expected.name == "output_\(n)" ? model.outputs[n].name : expected.name
            var diff = Differ.compare(name: label, actual: outputs[n], expected: expected.tensor, tolerance: tolerance,
                                      detail: options.detail)
            if let float64 {
                let keras64 = kerasFloat64.flatMap { n < $0.count ? $0[n] : nil }
                diff.budget = ErrorBudget.measure(
                    keras: expected.tensor, rnncheck: outputs[n], reference: keras64 ?? float64[n],
                    referenceName: keras64 == nil ? "rnncheck float64" : "keras float64",
                    rnncheckFloat64: float64[n], kerasFloat64: keras64)
            }
            diffs.append(diff)
        }
        var problem: String?
        if outputs.count != reference.outputs.count {
            problem = "the model has \(outputs.count) output(s), the reference has \(reference.outputs.count)"
        }
        let passed = problem == nil && diffs.allSatisfy(\.passed)
        return CaseResult(name: name, passed: passed, error: nil, outputs: diffs, file: file, tolerance: nil, problem: problem)
    }

    /// Runs a model in float32, as Keras does, on inputs given in float64.
    public static func predictFloat32(model: Model<Double>, inputs: [Tensor<Double>], file: String) throws -> [Tensor<Float>] {
        guard inputs.count == model.inputs.count else {
            throw ConformanceError.unusable(file: file, object: "/input_\(min(inputs.count, model.inputs.count))",
                reason: "the model takes \(model.inputs.count) input(s), the file has \(inputs.count)")
        }
        do {
            return try model.converted(to: Float.self).predict(inputs.map { $0.converted(to: Float.self) })
        } catch let error as EngineError {
            throw ConformanceError.unusable(file: file, object: "inputs", reason: error.errorDescription ?? "\(error)")
        }
    }

    /// `rnncheck run`: runs a model on `input_*` of `inputsPath` and writes `output_*` to
    /// `outputPath` through `SafeOutput`: built in memory, then written in one go to an unnamed
    /// file renamed into place, so that a stopped run leaves nothing behind and the target is
    /// never a link, a device or one of the inputs.
    public static func run(modelPath: String, configPath: String?, inputsPath: String, outputPath: String) throws {
        let inputs = [modelPath, inputsPath] + (configPath.map { [$0] } ?? [])
        try SafeOutput.checkTarget(outputPath, inputs: inputs)
        reading(configPath.map { "\(modelPath) (with \($0))" } ?? modelPath)
        let loaded = try KerasModelLoader.load(path: modelPath, configPath: configPath)
        reading(inputsPath)
        let reference = try ReferenceData.read(from: try HDF5.File.open(inputsPath).root, file: inputsPath, outputsRequired: false) {
            try AllocationBudget.check(outputShapes: loaded.outputShapes, inputShapes: $0, file: inputsPath)
        }
        let outputs = try predictFloat32(model: loaded.model, inputs: reference.inputs, file: inputsPath)
        let file = try HDF5.File.createInMemory(name: outputPath)
        let root = try file.root
        for (n, tensor) in outputs.enumerated() {
            let ds = try root.write("output_\(n)", tensor.scalars, shape: tensor.shape)
            try ds.setAttribute("name", .string(loaded.model.outputs[n].name))
        }
        for (n, tensor) in reference.inputs.enumerated() {
            _ = try root.write("input_\(n)", tensor.converted(to: Float.self).scalars, shape: tensor.shape)
        }
        let image = try file.image()
        try file.close()
        try SafeOutput.write(image, to: outputPath, inputs: inputs)
    }
}

/// Results filled in by several threads, read back in index order.
final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [CaseResult?]
    private var finished = 0

    var done: Int {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: CaseResult) {
        lock.lock()
        slots[i] = value
        finished += 1
        lock.unlock()
    }

    var all: [CaseResult] {
        lock.lock()
        defer { lock.unlock() }
        return slots.compactMap { $0 }
    }

    /// Hands out indices 0, 1, 2, ... to whichever thread asks next.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take(below limit: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }
}
