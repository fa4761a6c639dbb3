import Foundation
import RNNEngine

/// How one node (a call of a layer) of the model compares, output by output.
public struct LayerDiff: Sendable, Codable, Equatable {
    /// rnncheck's node name: the layer's name, `<layer>#<i>` for call i of a shared layer.
    public var node: String
    public var layer: String
    public var className: String
    /// The nodes whose outputs this one reads, when the graph is known.
    public var inputs: [String]?
    /// One diff per output, in Keras's order, named `"<layer>/<what>"`.
    public var outputs: [OutputDiff]
    /// Every output within tolerance and nothing unmatched.
    public var passed: Bool
    /// The largest |error| over the node's outputs.
    public var maxAbsError: Double
    /// The largest |error| over the tensors the node reads (0 for model inputs); nil when the
    /// graph is not known or an input comes from a node that was not compared.
    public var inputError: Double?
    /// `maxAbsError / inputError`: above 1 the node grew the error it received; infinite when
    /// its inputs were exact and its output is not. Nil when both are 0 or the input error is unknown.
    public var errorGrowth: Double?
    /// Keras's own float32 error at this node, max |Keras float32 − Keras float64| over its
    /// outputs, when the reference has `/layers_float64`.
    public var expectedFloat32Error: Double?
    /// Why the node could not be compared fully (a different number of outputs), if so.
    public var problem: String?

    enum CodingKeys: String, CodingKey {
        case node, layer, className = "class_name", inputs, outputs, passed, maxAbsError = "max_abs_error",
             inputError = "input_error", errorGrowth = "error_growth", expectedFloat32Error = "expected_float32_error", problem
    }
}

/// The first node out of tolerance, in graph order, and where its error comes from.
public struct FirstDivergence: Sendable, Codable, Equatable {
    public enum Cause: String, Sendable, Codable, Equatable {
        /// The node's output is out of tolerance even on the expected side's own inputs (or its
        /// inputs were exact): the error starts in this node.
        case created
        /// On the expected side's own inputs the node is within tolerance: it magnified an error
        /// that came in with its inputs.
        case amplified
        /// Neither could be shown (no replay, and its inputs already differed).
        case undetermined
    }

    public var node: String
    public var layer: String
    public var className: String
    public var cause: Cause
    public var outputError: Double
    public var inputError: Double?
    /// max |error| of the node run on the expected side's own values of its inputs (the replay),
    /// when it could be run.
    public var errorOnExpectedInputs: Double?
    /// Whether the replay was within tolerance.
    public var passedOnExpectedInputs: Bool?
    /// The finding in sentences a user can act on.
    public var explanation: String

    enum CodingKeys: String, CodingKey {
        case node, layer, className = "class_name", cause, outputError = "output_error", inputError = "input_error",
             errorOnExpectedInputs = "error_on_expected_inputs", passedOnExpectedInputs = "passed_on_expected_inputs",
             explanation
    }
}

/// Every node's outputs compared in graph order: where in the model a difference starts.
///
/// Diagnostic: the case's verdict and exit code come from the model outputs alone (an
/// intermediate tensor can be out of tolerance while the outputs are not, e.g. before a
/// saturating activation; the report then says so).
public struct LayerComparison: Sendable, Codable, Equatable {
    /// What was compared: `"float32"` (the reference's `/layers`) or `"float64"` (`/layers_float64`, `diff` only).
    public var precision: String
    /// One entry per node of the reference, in its graph order (`@layer_order`).
    public var layers: [LayerDiff]
    public var firstDivergence: FirstDivergence?
    /// Nodes found on one side only, each as a sentence: never skipped silently.
    public var unmatched: [String]

    /// How many nodes are out of tolerance.
    public var outOfTolerance: Int { layers.filter { !$0.passed }.count }

    enum CodingKeys: String, CodingKey {
        case precision, layers, firstDivergence = "first_divergence", unmatched, outOfTolerance = "out_of_tolerance"
    }

    public init(precision: String, layers: [LayerDiff], firstDivergence: FirstDivergence?, unmatched: [String]) {
        self.precision = precision
        self.layers = layers
        self.firstDivergence = firstDivergence
        self.unmatched = unmatched
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        precision = try c.decode(String.self, forKey: .precision)
        layers = try c.decode([LayerDiff].self, forKey: .layers)
        firstDivergence = try c.decodeIfPresent(FirstDivergence.self, forKey: .firstDivergence)
        unmatched = try c.decode([String].self, forKey: .unmatched)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(precision, forKey: .precision)
        try c.encode(layers, forKey: .layers)
        try c.encodeIfPresent(firstDivergence, forKey: .firstDivergence)
        try c.encode(unmatched, forKey: .unmatched)
        try c.encode(outOfTolerance, forKey: .outOfTolerance)
    }

    /// One line: "7 layers compared, 5 out of tolerance; first divergence: 'mid' (Dense), created there".
    public var summary: String {
        var s = "\(layers.count) layer\(layers.count == 1 ? "" : "s") compared (\(precision)), \(outOfTolerance) out of tolerance"
        if let d = firstDivergence {
            s += "; first divergence: '\(d.node)' (\(d.className)), " + {
                switch d.cause {
                case .created: return "the error starts there"
                case .amplified: return "it amplified an error it received"
                case .undetermined: return "whether it started or amplified the error is undetermined"
                }
            }()
        }
        if !unmatched.isEmpty { s += "; \(unmatched.count) node\(unmatched.count == 1 ? "" : "s") unmatched" }
        return s
    }
}

/// The graph a layer comparison walks: for each node name, the tensors it reads, as
/// (producer node name, output index), and whether it is a model input.
struct LayerGraph {
    var reads: [String: [(node: String, output: Int)]]
    var isInput: Set<String>
    var order: [String]
    var classNames: [String: String]

    init<S: EngineScalar>(_ model: Model<S>) {
        reads = [:]
        isInput = []
        order = []
        classNames = [:]
        for (index, node) in model.nodes.enumerated() {
            order.append(node.name)
            classNames[node.name] = node.className
            if model.inputs.contains(index) || node.layer is InputLayer<S> { isInput.insert(node.name) }
            var refs = node.inputs + node.initialState
            for case .tensor(let r) in node.masks + node.previousMasks { refs.append(r) }
            var seen = Set<TensorRef>()
            reads[node.name] = refs.filter { seen.insert($0).inserted }.map { (model.nodes[$0.node].name, $0.output) }
        }
    }
}

/// Labels for the two sides of a comparison, in sentences.
public struct Sides: Sendable, Codable, Equatable {
    /// The side being checked ("rnncheck", or A's name in `diff`).
    public var actual: String
    /// The reference side ("Keras", or B's name).
    public var expected: String

    public init(actual: String, expected: String) {
        self.actual = actual
        self.expected = expected
    }

    public static let rnncheckKeras = Sides(actual: "rnncheck", expected: "Keras")
}

enum LayerComparer {
    /// Compares `actual` (per node name: its outputs) with `reference`, in the reference's order.
    ///
    /// - Parameters:
    ///   - graph: the model's graph, when known (for input errors and growth).
    ///   - replay: runs one node on the expected side's values of its inputs and returns its
    ///     outputs; nil when there is no program to run (`diff`).
    static func compare(
        precision: String, actual: [String: [Tensor<Double>]], actualClassNames: [String: String], reference: LayerReference,
        expectedFloat64: LayerReference?, graph: LayerGraph?, tolerances: inout ToleranceResolver, sides: Sides,
        replay: ((String) throws -> [Tensor<Double>])?
    ) -> LayerComparison {
        var layers: [LayerDiff] = []
        var unmatched: [String] = []
        var errorOf: [String: [Double]] = [:]   // node -> per-output max abs error
        var tolerancesOf: [String: [Tolerance]] = [:]
        let float64ByNode = Dictionary((expectedFloat64?.nodes ?? []).map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        let referenceNodes = Set(reference.nodes.map(\.node))
        for node in reference.nodes {
            guard let values = actual[node.node] else {
                unmatched.append("\(sides.expected)'s node '\(node.node)' (\(node.className)) has no node of that name in \(sides.actual)'s graph of the model; it was not compared")
                continue
            }
            var diffs: [OutputDiff] = []
            var used: [Tolerance] = []
            for (k, expected) in node.outputs.enumerated() where k < values.count {
                let (tolerance, applied) = tolerances.resolve(names: [expected.name, node.node, node.layer], stored: expected.tolerance)
                var diff = Differ.compare(name: expected.name, values: values[k], expected: expected.tensor, tolerance: tolerance,
                                          expectedName: "\(sides.expected)'s")
                diff.tolerance = applied
                diffs.append(diff)
                used.append(tolerance)
            }
            var problem: String?
            if values.count != node.outputs.count {
                problem = "\(sides.expected)'s node has \(node.outputs.count) output(s), \(sides.actual)'s \(values.count); only the first \(min(values.count, node.outputs.count)) were compared"
            }
            let maxAbs = diffs.map(\.maxAbsError).reduce(0.0) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
            errorOf[node.node] = diffs.map(\.maxAbsError)
            tolerancesOf[node.node] = used
            var layer = LayerDiff(node: node.node, layer: node.layer, className: node.className, inputs: nil, outputs: diffs,
                                  passed: problem == nil && diffs.allSatisfy(\.passed), maxAbsError: maxAbs, inputError: nil,
                                  errorGrowth: nil, expectedFloat32Error: nil, problem: problem)
            if let graph, let reads = graph.reads[node.node] {
                layer.inputs = reads.map { $0.output == 0 ? $0.node : "\($0.node)[\($0.output)]" }
                var known = true
                var inputError = 0.0
                for (producer, output) in reads {
                    if graph.isInput.contains(producer) { continue }
                    guard let errors = errorOf[producer], output < errors.count else { known = false; continue }
                    let e = errors[output]
                    inputError = e.isNaN || inputError.isNaN ? .nan : max(inputError, e)
                }
                if known {
                    layer.inputError = inputError
                    if inputError > 0 { layer.errorGrowth = maxAbs / inputError }
                    else if maxAbs > 0 { layer.errorGrowth = .infinity }
                }
            }
            if let f64 = float64ByNode[node.node] {
                var e = 0.0
                for (a, b) in zip(node.outputs, f64.outputs) where a.tensor.shape == b.tensor.shape {
                    e = max(e, ErrorBudget.distance(a.tensor.scalars, b.tensor.scalars).abs)
                }
                layer.expectedFloat32Error = e
            }
            layers.append(layer)
        }
        if let graph {
            for name in graph.order where !graph.isInput.contains(name) && !referenceNodes.contains(name) {
                unmatched.append("\(sides.actual)'s node '\(name)' (\(graph.classNames[name] ?? "?")) is not in \(sides.expected)'s layers; it was not compared")
            }
        }
        var first: FirstDivergence?
        if let bad = layers.first(where: { !$0.passed }) {
            first = divergence(bad, reference: reference, tolerances: tolerancesOf[bad.node] ?? [], sides: sides, replay: replay)
        }
        return LayerComparison(precision: precision, layers: layers, firstDivergence: first, unmatched: unmatched)
    }

    /// Where the first divergent node's error comes from: the node is run again on the expected
    /// side's own values of its inputs (when `replay` can); within tolerance then, it amplified
    /// an error it received, else the error starts in it.
    static func divergence(_ layer: LayerDiff, reference: LayerReference, tolerances: [Tolerance], sides: Sides,
                           replay: ((String) throws -> [Tensor<Double>])?) -> FirstDivergence {
        let who = "'\(layer.node)' (\(layer.className))"
        var d = FirstDivergence(node: layer.node, layer: layer.layer, className: layer.className, cause: .undetermined,
                                outputError: layer.maxAbsError, inputError: layer.inputError, errorOnExpectedInputs: nil,
                                passedOnExpectedInputs: nil, explanation: "")
        var head = "\(who) is the first layer out of tolerance: its output differs from \(sides.expected)'s by up to \(fmt(layer.maxAbsError))"
        if let e = layer.inputError {
            head += e == 0 ? " while its inputs match exactly" : " while its inputs differ by at most \(fmt(e)) (within tolerance)"
        }
        var replayProblem: String?
        if let replay, let expected = reference.nodes.first(where: { $0.node == layer.node }) {
            do {
                let outputs = try replay(layer.node)
                var worst = 0.0
                var passed = true
                for (k, e) in expected.outputs.enumerated() where k < outputs.count && k < tolerances.count {
                    let diff = Differ.compare(name: e.name, values: outputs[k], expected: e.tensor, tolerance: tolerances[k])
                    worst = diff.maxAbsError.isNaN || worst.isNaN ? .nan : max(worst, diff.maxAbsError)
                    passed = passed && diff.passed
                }
                d.errorOnExpectedInputs = worst
                d.passedOnExpectedInputs = passed
            } catch {
                replayProblem = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            }
        }
        if let passed = d.passedOnExpectedInputs, let e = d.errorOnExpectedInputs {
            if passed {
                d.cause = .amplified
                let growth = layer.errorGrowth.map { $0.isFinite ? " (×\(String(format: "%.3g", $0)))" : "" } ?? ""
                d.explanation = head + ". Run by \(sides.actual) on \(sides.expected)'s own values of its inputs, it is within tolerance "
                    + "(max abs \(fmt(e))): it amplified the error it received\(growth) rather than creating one. The layers before it "
                    + "are within tolerance, so this is small differences upstream (often float32 rounding) magnified here; "
                    + "if they are rounding, a looser tolerance for this layer's outputs is justified (--atol \(layer.node)=...)."
            } else {
                d.cause = .created
                d.explanation = head + ". Run by \(sides.actual) on \(sides.expected)'s own values of its inputs, it still differs by up to "
                    + "\(fmt(e)): the error starts in this layer. Check its weights, its options and the way \(sides.actual) computes a \(layer.className)."
            }
            return d
        }
        let why = replayProblem.map { " (it could not be run on \(sides.expected)'s inputs: \($0))" } ?? ""
        if layer.inputError == 0 {
            d.cause = .created
            d.explanation = head + ", so the error starts in this layer\(why). Check its weights, its options and the way "
                + "\(sides.actual) computes a \(layer.className)."
        } else {
            d.explanation = head + ". Whether the error starts here or grew from what it received cannot be told"
                + (replay == nil ? " without running the layer on \(sides.expected)'s inputs" : why) + "."
        }
        return d
    }
}
