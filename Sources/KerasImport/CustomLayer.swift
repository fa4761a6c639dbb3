import Foundation
import RNNEngine

/// An application's implementation of a custom Keras layer class — one registered in Python
/// with `@keras.saving.register_keras_serializable(package="demo")` and saved as `demo>Scale`.
///
/// A file cannot carry a custom layer's computation (it is Python code), so rnncheck refuses such
/// a model unless the application supplies the layer:
///
/// ```swift
/// struct Scale: Layer { ... }            // an engine layer: shapes, evaluation, conversion
/// let scale = CustomLayer { context in
///     let factor = context.config["factor"] as? Double ?? 1
///     let w = try context.weights()      // the layer's weights, in Keras's save order
///     return Scale(factor: factor, w: w[0].scalars)
/// }
/// let loaded = try KerasModelLoader.load(path: "model.keras", customLayers: ["demo>Scale": scale])
/// ```
public struct CustomLayer: Sendable {
    /// The parameters of the layer's Keras `call()`, in order: they decide which call arguments
    /// the config may hold and how Keras passes masks (a `mask` parameter receives them).
    public var callParameters: [String]
    /// Builds the engine layer from the layer's config and weights.
    public var build: @Sendable (CustomLayerContext) throws -> any Layer<Double>

    public init(callParameters: [String] = ["inputs"], build: @escaping @Sendable (CustomLayerContext) throws -> any Layer<Double>) {
        self.callParameters = callParameters
        self.build = build
    }

    func entry(name: String) -> LayerEntry {
        let signature = CallSignature(parameters: callParameters, inputs: callParameters.filter { $0 != "mask" && $0 != "training" }.prefix(1).map { $0 })
        let build = self.build
        return LayerEntry(signature) { b in
            var arrays: [WeightArray] = []
            let context = CustomLayerContext(
                registeredName: name, layerName: b.name, config: try b.config.foundationObject() as? [String: Any] ?? [:],
                inputShapes: b.inputShapes, kerasMajor: b.reader.kerasMajor,
                readWeights: { [weights = b.weights] in
                    arrays = try weights.arrays(.own)
                    return try arrays.map { Tensor(shape: $0.dataset.shape, scalars: try $0.dataset.read(as: Double.self)) }
                })
            let layer = try build(context)
            b.weightPaths += arrays.map(\.path)
            return layer
        }
    }
}

/// What a custom layer's implementation gets to build itself from.
public struct CustomLayerContext {
    /// The class as Keras registered it (`"demo>Scale"`).
    public let registeredName: String
    /// The layer's name in the model.
    public let layerName: String
    /// The layer's config as `JSONSerialization` values (`[String: Any]`, numbers as `Double`).
    public let config: [String: Any]
    /// The shapes of the layer's inputs, without the batch axis (nil: any size).
    public let inputShapes: [SymbolicShape]
    /// 2 for a file written by tf.keras, 3 for Keras 3.
    public let kerasMajor: Int
    let readWeights: () throws -> [Tensor<Double>]

    /// The layer's own weights, in the order Keras saved them (Keras 3 `vars/0, 1, ...`, Keras 2
    /// the layer's `@weight_names`). Every weight must be taken by some layer, so call this when
    /// the layer has weights.
    public func weights() throws -> [Tensor<Double>] { try readWeights() }
}

extension JSONValue {
    /// The value as `JSONSerialization` would give it.
    func foundationObject() throws -> Any {
        switch storage {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let n): return n
        case .string(let s): return s
        case .array: return try array().map { try $0.foundationObject() }
        case .object:
            var out: [String: Any] = [:]
            for key in keys { out[key] = try self[key].foundationObject() }
            return out
        }
    }
}
