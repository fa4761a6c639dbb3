import Foundation
import RNNEngine

/// `LayerNormalization`, `BatchNormalization`, `Normalization`, `UnitNormalization`.
enum NormalizationImport {
    static let regularization: Set<String> = [
        "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
    ]

    static let entries: [String: LayerEntry] = [
        // Keras 2 and 3: `call(inputs)`.
        "LayerNormalization": LayerEntry { try layerNormalization(&$0) },
        // Keras 2 and 3: `call(inputs, training=None, mask=None)`.
        "BatchNormalization": LayerEntry(.masked) { try batchNormalization(&$0) },
        "Normalization": LayerEntry { try normalization(&$0) },
        "UnitNormalization": LayerEntry { b in
            try b.reader.checkKeys(LayerConfigReader.commonKeys.union(["axis"]))
            try b.reader.checkDType()
            try b.noWeights()
            let input = try b.input()
            return UnitNormalizationLayer<Double>(axes: try b.reader.axes(try b.reader.axisList() ?? [-1], of: input), semantics: b.semantics)
        },
    ]

    static func layerNormalization(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        let keras3 = b.semantics == .keras3
        // `rms_scaling` is Keras 3's (tf.keras's constructor refuses it).
        try reader.checkKeys(LayerConfigReader.commonKeys.union(regularization)
            .union(["axis", "epsilon", "center", "scale"]).union(keras3 ? ["rms_scaling"] : []))
        try reader.checkDType()
        let input = try b.input()
        let raw = try reader.axisList() ?? [-1]
        let axes = try reader.axes(raw, of: input)
        // gamma and beta have the extents of the axes in the order Keras builds them: Keras 3
        // sorts the list as written (so [1, -1] gives (last, 1)), tf.keras keeps the config's
        // order. Either way Keras reshapes them to the broadcast shape in flat order, which is
        // the engine's row-major order over the sorted axes.
        let rank = input.count + 1
        let order = (keras3 ? raw.sorted() : raw).map { ($0 + rank) % rank }
        let shape = order.map { input[$0 - 1]! }
        let epsilon = try reader.real("epsilon", default: 1e-3, minimum: 0)
        let rms = keras3 ? try reader.flag("rms_scaling", default: false) : false
        var cursor = try b.cursor(.own)
        let gamma = try reader.flag("scale", default: true) || rms ? try cursor.take("gamma", shape: shape) : nil
        let beta = try reader.flag("center", default: true) && !rms ? try cursor.take("beta", shape: shape) : nil
        try reader.finish(cursor)
        // tf.keras `_fused_can_be_used`: the trailing axes, contiguous, `not epsilon < 1.001e-5`,
        // float32 variables.
        let float64 = try reader.isFloat64()
        let fused = !keras3 && axes == Array((rank - axes.count)..<rank) && !(epsilon < 1.001e-5) && !float64
        if fused { b.note("LayerNormalization: tf.keras's fused kernel, (x - mean) * rsqrt(var + eps) * gamma + beta") }
        return LayerNormalizationLayer<Double>(axes: axes, epsilon: epsilon, gamma: gamma, beta: beta, rmsScaling: rms, fused: fused)
    }

    static func batchNormalization(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        let keras3 = b.semantics == .keras3
        try reader.checkKeys(LayerConfigReader.commonKeys.union(regularization).union([
            "axis", "momentum", "epsilon", "center", "scale", "moving_mean_initializer", "moving_variance_initializer",
            "synchronized", "renorm", "renorm_clipping", "renorm_momentum",
        ]).union(keras3 ? [] : ["fused", "virtual_batch_size", "adjustment"]))
        try reader.checkDType()
        if try reader.flag("renorm", default: false) { throw reader.unsupported("renorm=True") }
        for option in ["virtual_batch_size", "adjustment"] where try reader.config.optional(option) != nil {
            throw reader.unsupported("option '\(option)'")
        }
        let input = try b.input()
        let raw = try reader.axisList() ?? [-1]
        if keras3, let value = try reader.config.optional("axis"), case .array = value.storage {
            throw reader.invalid(value, "axis must be one whole number (Keras 3's BatchNormalization takes int(axis)), got a list")
        }
        let axes = try reader.axes(raw, of: input)
        // One axis: (channels,). tf.keras with several: the input's rank, 1 on the other axes.
        let shape = axes.count == 1 ? [input[axes[0] - 1]!] : (0...input.count).map { axes.contains($0) ? input[$0 - 1]! : 1 }
        var cursor = try b.cursor(.own)
        let gamma = try reader.flag("scale", default: true) ? try cursor.take("gamma", shape: shape) : nil
        let beta = try reader.flag("center", default: true) ? try cursor.take("beta", shape: shape) : nil
        let mean = try cursor.take("moving_mean", shape: shape)
        let variance = try cursor.take("moving_variance", shape: shape)
        try reader.finish(cursor)
        return BatchNormalizationLayer<Double>(axes: axes, epsilon: try reader.real("epsilon", default: 1e-3, minimum: 0),
                                               gamma: gamma, beta: beta, movingMean: mean, movingVariance: variance)
    }

    static func normalization(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(["axis", "mean", "variance", "invert"]))
        try reader.checkDType()
        let input = try b.input()
        // `axis=None` (saved as null or []) keeps no axis: one mean and variance for everything.
        let axes = try reader.axes(reader.config.has("axis") ? try reader.axisList() ?? [] : [-1], of: input)
        let kept = axes.map { input[$0 - 1]! }
        let invert = try reader.flag("invert", default: false)
        let semantics = b.semantics
        if let meanValue = try reader.config.optional("mean") {
            // Statistics in the config: no weights. Both Keras versions broadcast them to the
            // kept axes as NumPy does (trailing axes first); Keras 3 makes float32 tensors of them.
            guard let varianceValue = try reader.config.optional("variance") else {
                throw reader.invalid(reader.config, "mean is given but variance is not")
            }
            let (meanShape, meanValues) = try reader.nestedNumbers(meanValue, key: "mean")
            let (varianceShape, varianceValues) = try reader.nestedNumbers(varianceValue, key: "variance")
            if semantics == .keras3 {
                guard meanShape == varianceShape else {
                    throw reader.invalid(varianceValue, "mean has shape \(shapeText(meanShape)) and variance \(shapeText(varianceShape)); Keras 3 needs the same")
                }
                guard meanShape.count <= axes.count else {
                    throw reader.invalid(meanValue, "mean has rank \(meanShape.count), more than the \(axes.count) kept axes")
                }
            }
            if let bad = varianceValues.first(where: { $0 < 0 }) {
                throw reader.invalid(varianceValue, "variance must not be negative, got \(bad)")
            }
            guard (Shapes.count(kept) ?? .max) <= ShapeImport.sizeLimit else {
                throw reader.invalid(meanValue, "the kept axes' \(shapeText(kept)) would need more than \(ShapeImport.sizeLimit) statistics")
            }
            /// The values stretched over the kept axes (Keras 3 rounds them to float32 first).
            func spread(_ values: [Double], _ shape: [Int], _ value: JSONValue, _ key: String) throws -> [Double] {
                guard Broadcast.shape(shape, kept) == kept else {
                    throw reader.invalid(value, "\(key) of shape \(shapeText(shape)) does not broadcast to the kept axes' \(shapeText(kept))")
                }
                return Broadcast.offsets(from: shape, to: kept).map { semantics == .keras3 ? Double(Float(values[$0])) : values[$0] }
            }
            let mean = try spread(meanValues, meanShape, meanValue, "mean")
            let variance = try spread(varianceValues, varianceShape, varianceValue, "variance")
            try b.noWeights()
            return NormalizationLayer<Double>(axes: axes, mean: mean, variance: variance, invert: invert, semantics: semantics)
        }
        if let variance = try reader.config.optional("variance") {
            throw reader.invalid(variance, "variance is given but mean is not")
        }
        var cursor = try b.cursor(.own)
        let mean = try cursor.take("mean", shape: kept)
        let variance = try cursor.take("variance", shape: kept)
        try cursor.skip("count", shape: [])
        try reader.finish(cursor)
        return NormalizationLayer<Double>(axes: axes, mean: mean, variance: variance, invert: invert, semantics: semantics)
    }
}

extension LayerConfigReader {
    /// A config error at `value` that names the layer.
    func invalid(_ value: JSONValue, _ message: String) -> ImportError {
        .config(file: file, path: value.path, message: "layer '\(layer)': \(message)")
    }

    /// A number option: finite, within float32's range (Keras computes with it in float32) and at
    /// least `minimum`; `fallback` when missing; a null is refused.
    func real(_ key: String, default fallback: Double, minimum: Double? = nil) throws -> Double {
        guard let value = try optionalReal(key, minimum: minimum, nullable: false) else { return fallback }
        return value
    }

    /// A number option that may be missing or null (nil), otherwise as `real`.
    func optionalReal(_ key: String, minimum: Double? = nil, nullable: Bool = true) throws -> Double? {
        guard config.has(key) else { return nil }
        let value = try config[key]
        if value.isNull {
            if nullable { return nil }
            throw invalid(value, "\(key) must be a number, got null")
        }
        guard case .number(let n) = value.storage else { throw invalid(value, "\(key) must be a number, got \(value.typeName)") }
        guard n.isFinite, abs(n) <= Double(Float.greatestFiniteMagnitude) else {
            throw invalid(value, "\(key) must be a finite number within float32's range, got \(n)")
        }
        if let minimum, n < minimum { throw invalid(value, "\(key) must be at least \(minimum), got \(n)") }
        return n
    }

    /// `axis` as written: one whole number or a list of them; nil when missing or null.
    func axisList(_ key: String = "axis") throws -> [Int]? {
        guard let value = try config.optional(key) else { return nil }
        let items: [JSONValue]
        if case .array = value.storage { items = try value.array() } else { items = [value] }
        return try items.map { item in
            guard case .number(let n) = item.storage, n == n.rounded(), abs(n) <= 1_048_576 else {
                throw invalid(item, "\(key) must be whole numbers (axes), got \(item.typeName == "a number" ? "\(try item.double())" : item.typeName)")
            }
            return Int(n)
        }
    }

    /// Keras axes resolved against an input of `input` (without the batch axis): sorted
    /// positions counting the batch axis as 0, each once, never the batch axis, each of a known
    /// extent.
    func axes(_ axes: [Int], of input: SymbolicShape, key: String = "axis") throws -> [Int] {
        let value = try config.optional(key) ?? config
        let rank = input.count + 1
        var resolved: [Int] = []
        for a in axes {
            guard let r = Shapes.axis(a, rank: rank), r != 0 else {
                throw invalid(value, "\(key) \(axes) is out of range for inputs of shape \(Shapes.describe(input)) (the batch axis 0 is not allowed)")
            }
            guard !resolved.contains(r) else { throw invalid(value, "\(key) \(axes) names axis \(r) twice") }
            guard input[r - 1] != nil else {
                throw invalid(value, "\(key) \(axes): the input's axis \(r) must have a known size, got \(Shapes.describe(input))")
            }
            resolved.append(r)
        }
        return resolved.sorted()
    }

    /// A number or nested lists of numbers (a NumPy array written with `tolist()`): its shape
    /// and its values in row-major order, each finite.
    func nestedNumbers(_ value: JSONValue, key: String) throws -> (shape: [Int], values: [Double]) {
        guard case .array = value.storage else {
            guard case .number(let n) = value.storage, n.isFinite, abs(n) <= Double(Float.greatestFiniteMagnitude) else {
                throw invalid(value, "\(key) must hold finite numbers within float32's range, got \(value.typeName == "a number" ? "\(try value.double())" : value.typeName)")
            }
            return ([], [n])
        }
        let items = try value.array()
        let parts = try items.map { try nestedNumbers($0, key: key) }
        guard let first = parts.first else { return ([0], []) }
        guard parts.allSatisfy({ $0.shape == first.shape }) else { throw invalid(value, "\(key) is a ragged list") }
        return ([items.count] + first.shape, parts.flatMap(\.values))
    }

    /// Fails, naming the layer, when the file holds more weight arrays than the config uses
    /// (`WeightCursor.finish()` names only the array).
    func finish(_ cursor: WeightCursor) throws {
        guard cursor.next < cursor.arrays.count else { return }
        throw invalid(config, "the file holds \(cursor.arrays.count) weight arrays, the config uses \(cursor.next): unexpected weight \(cursor.arrays[cursor.next].path)")
    }

    /// Whether the layer's dtype policy is float64 (tf.keras's fused kernels are float32 only).
    func isFloat64() throws -> Bool {
        guard let dtype = try config.optional("dtype") else { return false }
        if case .string(let name) = dtype.storage { return name == "float64" }
        return try dtype["config"].string("name") == "float64"
    }
}

extension WeightCursor {
    /// Steps over an array Keras saves but inference does not use (`Normalization`'s `count`),
    /// checking its shape.
    mutating func skip(_ name: String, shape: [Int]) throws {
        guard next < arrays.count else {
            throw ImportError.missingWeight(file: file, layer: layer, path: "\(origin) (\(name), array \(next))")
        }
        let array = arrays[next]
        guard array.dataset.shape == shape else {
            throw ImportError.weightShape(file: file, layer: layer, path: "\(array.path) (\(name))", expected: shape, actual: array.dataset.shape)
        }
        next += 1
    }
}
