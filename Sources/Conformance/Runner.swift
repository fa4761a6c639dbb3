import Foundation
import HDF5
import KerasImport
import RNNEngine
import RNNModelFile

/// What a diff computes beyond the pass/fail numbers.
public struct DiffOptions: Sendable {
    /// Heatmaps, error-over-time curves, ulp histograms and worst elements (for visual reports).
    public var detail: Bool
    /// Runs the model in float64 too and measures both float32 results against it.
    public var errorBudget: Bool
    /// Tolerances for single outputs and layers (`--atol NAME=VALUE`).
    public var namedTolerances: [NamedTolerance]
    /// Accept a reference whose expected values hold NaN or infinity (`--allow-nonfinite`).
    public var allowNonfinite: Bool
    /// Whether to compare every layer's outputs.
    public var layers: LayerMode
    /// Runs each fixture's model through its exported form (`rnncheck export`): the model is
    /// written as an rnncheck model file in memory and read back, that model is compared with
    /// Keras, and its float32 outputs must be bit-identical to the directly loaded model's.
    public var viaExport: Bool

    /// When layers are compared.
    public enum LayerMode: String, Sendable, CaseIterable {
        /// When the reference has `/layers`.
        case auto
        /// Always; a reference without `/layers` is unusable (`--layers`).
        case require
        /// Never (`--no-layers`).
        case skip
    }

    public init(detail: Bool = false, errorBudget: Bool = true, namedTolerances: [NamedTolerance] = [],
                allowNonfinite: Bool = false, layers: LayerMode = .auto, viaExport: Bool = false) {
        self.detail = detail
        self.errorBudget = errorBudget
        self.namedTolerances = namedTolerances
        self.allowNonfinite = allowNonfinite
        self.layers = layers
        self.viaExport = viaExport
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
        let clock = ContinuousClock.now
        do {
            let fixture = try Fixture.read(path: path)
            var loaded = try fixture.loadModel()
            var exported: (bytes: Int, direct: Model<Double>)?
            if options.viaExport {
                let bytes = try ModelFile.encode(loaded.model, metadata: ["source": fixture.modelFilename])
                let file = try ModelFile(bytes: bytes, name: "\(path)!/model/file (exported to .rnn)")
                exported = (bytes.count, loaded.model)
                loaded.model = file.model
                loaded.outputShapes = file.outputShapes
            }
            try AllocationBudget.check(outputShapes: loaded.outputShapes, inputShapes: fixture.reference.inputs.map(\.shape), file: path)
            let (effective, applied) = caseTolerance(commandLine: tolerance, stored: fixture.toleranceOverride, storedBy: "fixture")
            let compared = try compareKeepingOutputs(
                model: loaded.model, reference: fixture.reference, tolerance: effective, name: fixture.name, file: path,
                options: options, extras: fixture.extras, commandLineTolerance: tolerance != nil)
            var result = compared.result
            result.tolerance = applied
            result.description = fixture.description
            result.provenance = fixture.provenance
            if let exported {
                result.provenance?["rnncheck_export"] = "run through an rnncheck model file of \(exported.bytes) bytes (the Keras file: \(fixture.modelBytes.count))"
                if let difference = try firstDifference(exported.direct, exportedOutputs: compared.outputs, inputs: fixture.reference.inputs, file: path) {
                    result.problem = [result.problem, difference].compactMap { $0 }.joined(separator: "; ")
                    result.passed = false
                }
            }
            result.seconds = clock.secondsSince
            return result
        } catch {
            var failed = CaseResult.failed(name: stem, file: path, error: error)
            failed.seconds = clock.secondsSince
            return failed
        }
    }

    /// The tolerance of a case: the command line's when given (the file's own are then ignored),
    /// else the file's `/tolerances`, else the defaults; and how to report it.
    static func caseTolerance(
        commandLine tolerance: Tolerance?, stored: (atol: Double?, rtol: Double?, reason: String?), storedBy: String
    ) -> (Tolerance, AppliedTolerance) {
        var applied = AppliedTolerance(
            atol: tolerance?.atol ?? Tolerance.default.atol, rtol: tolerance?.rtol ?? Tolerance.default.rtol,
            source: tolerance == nil ? "default" : "command line")
        var reasons: [String] = []
        if let atol = stored.atol { applied.atol = atol; reasons.append("atol \(atol)") }
        if let rtol = stored.rtol { applied.rtol = rtol; reasons.append("rtol \(rtol)") }
        if !reasons.isEmpty, tolerance != nil {
            applied.atol = tolerance?.atol ?? Tolerance.default.atol
            applied.rtol = tolerance?.rtol ?? Tolerance.default.rtol
            applied.source = "command line (the \(storedBy)'s \(reasons.joined(separator: ", ")) ignored)"
        } else if !reasons.isEmpty {
            applied.source = "\(storedBy) sets \(reasons.joined(separator: ", ")): \(stored.reason ?? "no reason given")"
        }
        var effective = tolerance ?? .default
        effective.atol = applied.atol
        effective.rtol = applied.rtol
        return (effective, applied)
    }

    /// Where the exported model's float32 outputs (`exportedOutputs`, from its comparison with
    /// Keras) differ in any bit from the directly loaded model's, or nil when they are identical.
    static func firstDifference(_ direct: Model<Double>, exportedOutputs b: [Tensor<Float>], inputs: [Tensor<Double>], file: String) throws -> String? {
        let a = try predictFloat32(model: direct, inputs: inputs, file: file)
        for (k, (x, y)) in zip(a, b).enumerated() {
            guard x.shape == y.shape else { return "through the model file, output \(k) has shape \(x.shape) directly and \(y.shape) exported" }
            if let i = x.scalars.indices.first(where: { x.scalars[$0].bitPattern != y.scalars[$0].bitPattern }) {
                return "through the model file, output \(k) differs from the direct load at \(x.multiIndex(i)): \(x.scalars[i]) directly, \(y.scalars[i]) exported"
            }
        }
        return a.count == b.count ? nil : "through the model file, the model gives \(b.count) outputs, directly \(a.count)"
    }

    /// Compares a model file with a reference file of `input_*` / `output_*` datasets, as
    /// `rnncheck compare` does: runs the model in float32 on the reference's inputs and diffs
    /// every output with Keras's, and reads the optional groups a reference can hold
    /// (`/reference_float64`, `/layers`, `/tolerances`, ...).
    ///
    /// - Parameters:
    ///   - modelPath: the Keras model file (`.keras`, full-model `.h5`, or a weights file with `configPath`),
    ///     or an rnncheck model file (`.rnn`, from `rnncheck export`).
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
        let clock = ContinuousClock.now
        do {
            try Hints.checkCompareArguments(modelPath: modelPath, referencePath: referencePath)
            reading(configPath.map { "\(modelPath) (with \($0))" } ?? modelPath)
            let loaded = try KerasModelLoader.load(path: modelPath, configPath: configPath)
            reading(referencePath)
            let file = try HDF5.File.open(referencePath)
            let root = try file.root
            let reference = try ReferenceData.read(from: root, file: referencePath) {
                try AllocationBudget.check(outputShapes: loaded.outputShapes, inputShapes: $0, file: referencePath)
            }
            let extras = try ReferenceExtras.read(root: root, file: referencePath, outputCount: reference.outputs.count)
            let (effective, applied) = caseTolerance(commandLine: tolerance, stored: extras.toleranceOverride, storedBy: "reference")
            var result = try compare(model: loaded.model, reference: reference, tolerance: effective,
                                     name: name, file: referencePath, options: options, extras: extras,
                                     commandLineTolerance: tolerance != nil)
            result.tolerance = applied
            result.description = extras.description
            result.provenance = extras.provenance.isEmpty ? nil : extras.provenance
            result.seconds = clock.secondsSince
            return Report(cases: [result])
        } catch {
            var failed = CaseResult.failed(name: name, file: referencePath, error: error)
            failed.seconds = clock.secondsSince
            return Report(cases: [failed])
        }
    }

    /// Runs the float32 model on the reference inputs and diffs every output (and, when the
    /// reference has them and `options.layers` allows, every layer's outputs).
    ///
    /// - Parameters:
    ///   - model: the model as loaded (float64 weights); it runs converted to float32, and in
    ///     float64 for the error budget.
    ///   - reference: the inputs and Keras's float32 outputs.
    ///   - tolerance: the case's tolerance; single outputs may get their own from
    ///     `options.namedTolerances` or from tolerances stored with them in `extras`.
    ///   - name: the case's name in reports.
    ///   - file: the reference's path, for messages.
    ///   - options: what to compute beyond pass / fail (budget, layers, named tolerances).
    ///   - kerasFloat64: Keras's float64 outputs, when not given in `extras`.
    ///   - extras: the reference's optional groups (`/reference_float64`, `/layers`, stored
    ///     tolerances).
    ///   - commandLineTolerance: whether `tolerance` came from the command line (then tolerances
    ///     stored with single outputs are ignored, as the file's `/tolerances` are).
    public static func compare(
        model: Model<Double>, reference: ReferenceData, tolerance: Tolerance, name: String, file: String,
        options: DiffOptions = .init(), kerasFloat64: [Tensor<Double>]? = nil, extras: ReferenceExtras? = nil,
        commandLineTolerance: Bool = false
    ) throws -> CaseResult {
        try compareKeepingOutputs(model: model, reference: reference, tolerance: tolerance, name: name, file: file,
                                  options: options, kerasFloat64: kerasFloat64, extras: extras,
                                  commandLineTolerance: commandLineTolerance).result
    }

    /// `compare`, also giving the float32 outputs it computed.
    static func compareKeepingOutputs(
        model: Model<Double>, reference: ReferenceData, tolerance: Tolerance, name: String, file: String,
        options: DiffOptions = .init(), kerasFloat64: [Tensor<Double>]? = nil, extras: ReferenceExtras? = nil,
        commandLineTolerance: Bool = false
    ) throws -> (result: CaseResult, outputs: [Tensor<Float>]) {
        var extras = extras ?? ReferenceExtras()
        if extras.float64 == nil { extras.float64 = kerasFloat64 }
        try ReferenceExtras.checkFinite(reference, extras, file: file, allowed: options.allowNonfinite)
        if options.layers == .require && extras.layers == nil {
            throw ConformanceError.unusable(file: file, object: "/layers",
                reason: "missing group (every layer's outputs, which --layers compares); write the reference with rnncheck-ref MODEL -o REF --layers")
        }
        let layerReference = options.layers == .skip ? nil : extras.layers
        try checkInputCount(model: model, inputs: reference.inputs, file: file)
        var float32Model: Model<Float>? = model.converted(to: Float.self)
        var inputs32: [Tensor<Float>]? = reference.inputs.map { $0.converted(to: Float.self) }
        var outputs: [Tensor<Float>]
        var all: [[Value<Float>]] = []
        do {
            if layerReference != nil {
                all = try float32Model!.evaluateAll(inputs32!)
                outputs = model.outputs.map { all[$0.ref.node][$0.ref.output].tensor }
            } else {
                outputs = try float32Model!.predict(inputs32!)
            }
        } catch let error as EngineError {
            throw ConformanceError.unusable(file: file, object: "inputs", reason: error.errorDescription ?? "\(error)")
        }
        if layerReference == nil {
            // Only the layer replay needs them again: freed before the float64 run, so that the
            // two runs' memory does not add up (S3: 25 MB of float32 inputs and packed weights;
            // compare's peak 117 -> 102 MB).
            float32Model = nil
            inputs32 = nil
        }
        var float64: [Tensor<Double>]?
        if options.errorBudget {
            float64 = try model.predict(reference.inputs)
        }
        var resolver = ToleranceResolver(base: tolerance, commandLineAtol: commandLineTolerance,
                                         commandLineRtol: commandLineTolerance, named: options.namedTolerances)
        var diffs: [OutputDiff] = []
        for (n, expected) in reference.outputs.enumerated() where n < outputs.count {
            let label = expected.name == "output_\(n)" ? model.outputs[n].name : expected.name
            let nodeName = model.nodes[model.outputs[n].ref.node].name
            let layerName = nodeName.split(separator: "#").first.map(String.init) ?? nodeName
            let stored = n < extras.outputTolerances.count ? extras.outputTolerances[n] : StoredTolerance()
            let (t, applied) = resolver.resolve(names: [label, "output_\(n)", nodeName, layerName], stored: stored)
            var diff = Differ.compare(name: label, actual: outputs[n], expected: expected.tensor, tolerance: t,
                                      detail: options.detail)
            diff.tolerance = applied
            if let float64 {
                let keras64 = extras.float64.flatMap { n < $0.count ? $0[n] : nil }
                diff.budget = ErrorBudget.measure(keras: expected.tensor, rnncheck: outputs[n], rnncheckFloat64: float64[n],
                                                  kerasFloat64: keras64, passed: diff.passed, atol: t.atol)
            }
            diffs.append(diff)
        }
        var problem: String?
        if outputs.count != reference.outputs.count {
            problem = "the model has \(outputs.count) output(s), the reference has \(reference.outputs.count)"
                + Hints.rowsHint(kind: "output", files: reference.outputs.map(\.tensor.shape),
                                 row: outputs.count == 1 ? outputs[0].shape.dropFirst().map { Optional($0) } : nil)
        }
        var result = CaseResult(name: name, passed: problem == nil && diffs.allSatisfy(\.passed), error: nil, outputs: diffs,
                                file: file, tolerance: nil, problem: problem)
        if let layerReference {
            var actual: [String: [Tensor<Double>]] = [:]
            for (i, node) in model.nodes.enumerated() where !all[i].isEmpty {
                actual[node.name] = all[i].map { $0.tensor.converted(to: Double.self) }
            }
            let index = Dictionary(model.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
            let byNode = Dictionary(layerReference.nodes.map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
            let (replayModel, replayInputs) = (float32Model!, inputs32!)
            let replay: (String) throws -> [Tensor<Double>] = { name in
                guard let target = index[name] else { return [] }
                let values = try replayModel.evaluateNode(target, inputs: replayInputs) { ref in
                    let producer = model.nodes[ref.node]
                    guard !(producer.layer is InputLayer<Double>), let node = byNode[producer.name],
                          ref.output < node.outputs.count else { return nil }
                    return node.outputs[ref.output].tensor.converted(to: Float.self)
                }
                return values.map { $0.tensor.converted(to: Double.self) }
            }
            result.layers = [LayerComparer.compare(
                precision: "float32", actual: actual, actualClassNames: [:], reference: layerReference,
                expectedFloat64: extras.layersFloat64, graph: LayerGraph(model), tolerances: &resolver,
                sides: .rnncheckKeras, replay: replay)]
        }
        let unused = resolver.unused
        if !unused.isEmpty { result.unusedToleranceNames = unused }
        return (result, outputs)
    }

    /// Refuses inputs that do not match the model's count, with a hint when the file holds
    /// one dataset per batch row of a single input.
    static func checkInputCount<S: EngineScalar>(model: Model<Double>, inputs: [Tensor<S>], file: String) throws {
        guard inputs.count != model.inputs.count else { return }
        let shapes: [SymbolicShape] = model.inputs.map { (model.nodes[$0].layer as? InputLayer<Double>)?.shape ?? [] }
        throw ConformanceError.unusable(file: file, object: "/input_\(min(inputs.count, model.inputs.count))",
            reason: "the model takes \(model.inputs.count) input(s), the file has \(inputs.count)"
                + Hints.rowsHint(kind: "input", files: inputs.map(\.shape), row: shapes.count == 1 ? shapes[0] : nil))
    }

    /// Runs a model in float32, as Keras does, on inputs given in float64.
    public static func predictFloat32(model: Model<Double>, inputs: [Tensor<Double>], file: String) throws -> [Tensor<Float>] {
        try predictFloat32(model: model, inputs32: inputs.map { $0.converted(to: Float.self) }, file: file)
    }

    /// `predictFloat32` on inputs already in float32.
    static func predictFloat32(model: Model<Double>, inputs32: [Tensor<Float>], file: String) throws -> [Tensor<Float>] {
        try checkInputCount(model: model, inputs: inputs32, file: file)
        do {
            return try model.converted(to: Float.self).predict(inputs32)
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
        // In float32, as the run takes them and as the file it writes records them.
        let inputs32 = try ReferenceData.readInputs32(from: try HDF5.File.open(inputsPath).root, file: inputsPath) {
            try AllocationBudget.check(outputShapes: loaded.outputShapes, inputShapes: $0, file: inputsPath)
        }
        let outputs = try predictFloat32(model: loaded.model, inputs32: inputs32, file: inputsPath)
        let file = try HDF5.File.createInMemory(name: outputPath)
        let root = try file.root
        for (n, tensor) in outputs.enumerated() {
            let ds = try root.write("output_\(n)", tensor.scalars, shape: tensor.shape)
            try ds.setAttribute("name", .string(loaded.model.outputs[n].name))
        }
        for (n, tensor) in inputs32.enumerated() {
            _ = try root.write("input_\(n)", tensor.scalars, shape: tensor.shape)
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
