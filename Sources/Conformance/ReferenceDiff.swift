import Foundation
import HDF5
import KerasImport
import RNNEngine

/// One reference file as `rnncheck diff` reads it: inputs, outputs, the optional groups, and
/// the embedded model when the file is a fixture (for the graph's edges only).
struct ReferenceFile {
    var path: String
    var reference: ReferenceData
    var extras: ReferenceExtras
    /// The embedded model's graph, or why there is none.
    var graph: Result<LayerGraph, Error>
    /// The embedded model file's bytes, when the file has a readable `/model/file`.
    var modelBytes: [UInt8]?

    static func read(path: String) throws -> ReferenceFile {
        Runner.reading(path)
        let file = try HDF5.File.open(path)
        let root = try file.root
        let reference = try ReferenceData.read(from: root, file: path)
        let extras = try ReferenceExtras.read(root: root, file: path, outputCount: reference.outputs.count)
        var graph: Result<LayerGraph, Error> = .failure(ConformanceError.unusable(file: path, object: "/model/file", reason: "missing (the file embeds no model)"))
        var modelBytes: [UInt8]?
        if try root.kind(of: "model/file") == .dataset {
            modelBytes = try? root.group("model").dataset("file").read(as: UInt8.self)
            if try root.hasAttribute("rnncheck_fixture") {
                graph = Result { LayerGraph(try Fixture.read(path: path).loadModel().model) }
            }
        }
        return ReferenceFile(path: path, reference: reference, extras: extras, graph: graph, modelBytes: modelBytes)
    }
}

extension Runner {
    /// `rnncheck diff A B`: compares two reference files made from the same inputs (Keras on
    /// CPU against Keras on GPU, the TensorFlow backend against JAX, two Keras versions) with
    /// the machinery of `compare`: A's outputs against B's, then Keras's float64 outputs and
    /// every layer's outputs when both files hold them. B is the expected side.
    ///
    /// Inputs that differ make the case unusable (the outputs of different inputs say nothing).
    public static func diff(pathA: String, pathB: String, tolerance: Tolerance?, options: DiffOptions = .init()) -> Report {
        let (labelA, labelB) = diffLabels(pathA, pathB)
        let name = "\(labelA) vs \(labelB)"
        let clock = ContinuousClock.now
        do {
            let a = try ReferenceFile.read(path: pathA)
            let b = try ReferenceFile.read(path: pathB)
            var result = try diff(a, b, labels: Sides(actual: labelA, expected: labelB), name: name, tolerance: tolerance, options: options)
            result.seconds = clock.secondsSince
            return Report(cases: [result])
        } catch {
            var failed = CaseResult.failed(name: name, file: pathB, error: error)
            failed.sides = Sides(actual: labelA, expected: labelB)
            failed.seconds = clock.secondsSince
            return Report(cases: [failed])
        }
    }

    /// The files' name stems, or "A" and "B" when the stems are the same.
    static func diffLabels(_ a: String, _ b: String) -> (String, String) {
        let stem = { (p: String) in URL(fileURLWithPath: p).deletingPathExtension().lastPathComponent }
        let (sa, sb) = (stem(a), stem(b))
        return sa == sb || sa.isEmpty || sb.isEmpty ? ("A", "B") : (sa, sb)
    }

    /// Above this, two float64 runs of one model on one input are not two roundings of one
    /// float64 computation (measured: the TensorFlow-backend fixtures' float64 outputs agree with
    /// rnncheck's to 1e-16 except where Keras keeps a float32 constant, up to 2.1e-8).
    static let float64Disagreement = 1e-12

    static func diff(_ a: ReferenceFile, _ b: ReferenceFile, labels: Sides, name: String, tolerance: Tolerance?,
                     options: DiffOptions) throws -> CaseResult {
        try ReferenceExtras.checkFinite(a.reference, a.extras, file: a.path, allowed: options.allowNonfinite)
        try ReferenceExtras.checkFinite(b.reference, b.extras, file: b.path, allowed: options.allowNonfinite)
        try sameInputs(a, b, labels: labels)
        if options.layers == .require {
            for f in [a, b] where f.extras.layers == nil {
                throw ConformanceError.unusable(file: f.path, object: "/layers",
                    reason: "missing group (every layer's outputs, which --layers compares); write the reference with rnncheck-ref MODEL -o REF --layers")
            }
        }
        let (effective, applied) = caseTolerance(commandLine: tolerance, stored: b.extras.toleranceOverride, storedBy: "reference")
        var resolver = ToleranceResolver(base: effective, commandLineAtol: tolerance != nil,
                                         commandLineRtol: tolerance != nil, named: options.namedTolerances)
        var notes: [String] = []
        var diffs: [OutputDiff] = []
        func compareOutputs(_ actual: [Tensor<Double>], _ expected: [(name: String, tensor: Tensor<Double>)], suffix: String,
                            stored: [StoredTolerance]) {
            for (n, e) in expected.enumerated() where n < actual.count {
                let layerName = e.name.split(separator: "/").first.map(String.init) ?? e.name
                let (t, appliedHere) = resolver.resolve(names: [e.name, "output_\(n)", layerName],
                                                        stored: n < stored.count ? stored[n] : StoredTolerance())
                var d = Differ.compare(name: e.name + suffix, values: actual[n], expected: e.tensor, tolerance: t,
                                       expectedName: "\(labels.expected)'s")
                d.tolerance = appliedHere
                diffs.append(d)
            }
        }
        compareOutputs(a.reference.outputs.map(\.tensor), b.reference.outputs, suffix: "", stored: b.extras.outputTolerances)
        var problems: [String] = []
        if a.reference.outputs.count != b.reference.outputs.count {
            problems.append("\(labels.actual) has \(a.reference.outputs.count) output(s), \(labels.expected) \(b.reference.outputs.count)")
        }
        for (n, (x, y)) in zip(a.reference.outputs, b.reference.outputs).enumerated() where x.name != y.name {
            notes.append("output_\(n) is named '\(x.name)' in \(labels.actual) and '\(y.name)' in \(labels.expected)")
        }
        switch (a.extras.float64, b.extras.float64) {
        case let (fa?, fb?):
            let named = b.reference.outputs.enumerated().map { n, o in (name: o.name, tensor: n < fb.count ? fb[n] : o.tensor) }
            compareOutputs(fa, Array(named.prefix(fb.count)), suffix: " [float64]", stored: [])
            for (n, o) in b.reference.outputs.enumerated() where n < fa.count && n < fb.count && n < a.reference.outputs.count {
                let ea = ErrorBudget.distance(a.reference.outputs[n].tensor.scalars, fa[n].scalars).abs
                let eb = ErrorBudget.distance(o.tensor.scalars, fb[n].scalars).abs
                notes.append("\(o.name): Keras's own float32 error (float32 vs float64) is \(fmt(ea)) in \(labels.actual), \(fmt(eb)) in \(labels.expected)")
                // Two float64 runs of one model on one input differ by float64 rounding (about
                // 1e-16 relative). Far more means one of them is not float64 throughout (Keras 3.15.1
                // on JAX computes tanh in float32 inside a float64 model), which also makes that
                // file's "Keras's own float32 error" unreliable.
                let d64 = ErrorBudget.distance(fa[n].scalars, fb[n].scalars).abs
                if !(d64 <= float64Disagreement) {
                    notes.append("\(o.name): the two float64 runs differ by \(fmt(d64)), far beyond float64 rounding: at least one "
                                 + "backend did not compute this model in float64 throughout (a float32 operation or constant inside "
                                 + "the float64 run), or the two compute different functions; the float64 layers show where it starts")
                }
            }
        case (nil, nil): break
        case (_, nil): notes.append("only \(labels.actual) has Keras's float64 outputs (/reference_float64); they were not compared")
        case (nil, _): notes.append("only \(labels.expected) has Keras's float64 outputs (/reference_float64); they were not compared")
        }
        if let ma = a.modelBytes, let mb = b.modelBytes, ma != mb {
            notes.append("the two files embed different model files (\(ma.count) and \(mb.count) bytes): check they hold the same model and weights")
        }
        var result = CaseResult(name: name, passed: false, error: nil, outputs: diffs, file: b.path, tolerance: applied,
                                problem: problems.isEmpty ? nil : problems.joined(separator: "; "))
        result.sides = labels
        var layers: [LayerComparison] = []
        if options.layers != .skip {
            var graph: LayerGraph?
            switch b.graph {
            case .success(let g): graph = g
            case .failure(let eb):
                if case .success(let g) = a.graph { graph = g } else {
                    if a.extras.layers != nil && b.extras.layers != nil {
                        let why = (eb as? LocalizedError)?.errorDescription ?? "\(eb)"
                        notes.append("the model's graph is unknown (\(why)), so layers have no input error or growth")
                    }
                }
            }
            for (precision, la, lb) in [("float32", a.extras.layers, b.extras.layers), ("float64", a.extras.layersFloat64, b.extras.layersFloat64)] {
                switch (la, lb) {
                case let (la?, lb?):
                    var actual: [String: [Tensor<Double>]] = [:]
                    for node in la.nodes { actual[node.node] = node.outputs.map(\.tensor) }
                    var comparison = LayerComparer.compare(
                        precision: precision, actual: actual, actualClassNames: [:], reference: lb,
                        expectedFloat64: precision == "float32" ? b.extras.layersFloat64 : nil, graph: graph,
                        tolerances: &resolver, sides: labels, replay: nil)
                    // Both sides come from the files: a node only A has is unmatched too.
                    let inB = Set(lb.nodes.map(\.node))
                    for node in la.nodes where !inB.contains(node.node) && !(comparison.unmatched.contains { $0.contains("'\(node.node)'") }) {
                        comparison.unmatched.append("\(labels.actual)'s node '\(node.node)' (\(node.className)) is not in \(labels.expected)'s layers; it was not compared")
                    }
                    layers.append(comparison)
                case (nil, nil): break
                case (_, nil): notes.append("only \(labels.actual) has /\(precision == "float32" ? "layers" : "layers_float64"); layers were not compared")
                case (nil, _): notes.append("only \(labels.expected) has /\(precision == "float32" ? "layers" : "layers_float64"); layers were not compared")
                }
            }
        }
        if !layers.isEmpty { result.layers = layers }
        result.passed = result.problem == nil && diffs.allSatisfy(\.passed)
        result.description = "\(labels.actual) (\(a.path)) against \(labels.expected) (\(b.path))"
        result.provenance = mergedProvenance(a.extras.provenance, b.extras.provenance, labels: labels)
        if !notes.isEmpty { result.notes = notes }
        let unused = resolver.unused
        if !unused.isEmpty { result.unusedToleranceNames = unused }
        return result
    }

    /// Refuses two files whose inputs are not the same, element for element.
    static func sameInputs(_ a: ReferenceFile, _ b: ReferenceFile, labels: Sides) throws {
        let (ia, ib) = (a.reference.inputs, b.reference.inputs)
        let advice = "the outputs of different inputs cannot be compared. Write both with the same rnncheck-ref --seed, --batch "
            + "and --time (or the same --inputs files)"
        guard ia.count == ib.count else {
            throw ConformanceError.unusable(file: b.path, object: "/input_\(min(ia.count, ib.count))",
                reason: "\(labels.actual) has \(ia.count) input(s), \(labels.expected) \(ib.count): \(advice)")
        }
        for (n, (x, y)) in zip(ia, ib).enumerated() {
            guard x.shape == y.shape else {
                throw ConformanceError.unusable(file: b.path, object: "/input_\(n)",
                    reason: "has shape \(shapeText(y.shape)) in \(labels.expected) and \(shapeText(x.shape)) in \(labels.actual): \(advice)")
            }
            if let i = x.scalars.indices.first(where: { x.scalars[$0] != y.scalars[$0] && !(x.scalars[$0].isNaN && y.scalars[$0].isNaN) }) {
                let d = ErrorBudget.distance(x.scalars, y.scalars).abs
                throw ConformanceError.unusable(file: b.path, object: "/input_\(n)",
                    reason: "differs between the files (first at \(Report.describe(index: x.multiIndex(i))): \(fmtValue(x.scalars[i])) in \(labels.actual), "
                        + "\(fmtValue(y.scalars[i])) in \(labels.expected); max |difference| \(fmt(d))): \(advice)")
            }
        }
    }

    /// One provenance for two files: a value both share under its key, different values as
    /// `key (A)` and `key (B)`.
    static func mergedProvenance(_ a: [String: String], _ b: [String: String], labels: Sides) -> [String: String]? {
        var out: [String: String] = [:]
        for key in Set(a.keys).union(b.keys) {
            if a[key] == b[key] { out[key] = a[key] }
            else {
                if let v = a[key] { out["\(key) (\(labels.actual))"] = v }
                if let v = b[key] { out["\(key) (\(labels.expected))"] = v }
            }
        }
        return out.isEmpty ? nil : out
    }
}
