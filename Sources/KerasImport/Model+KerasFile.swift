import RNNEngine

extension Model {
    /// Loads a Keras model file, ready to run in `Scalar`: `Model<Float>` computes in float32 as
    /// Keras does, on the fast path; `Model<Double>` in float64.
    ///
    /// ```swift
    /// let model = try Model<Float>(kerasFile: "model.keras")
    /// let outputs = try model.predict([x])     // x: Tensor<Float>, one per model input
    /// ```
    ///
    /// The same as ``KerasModelLoader/load(path:configPath:lenient:customLayers:)`` followed by
    /// `converted(to:)`: the loader reads the weights into float64 (float32 weights are exact
    /// there), and the conversion to `Float` gives back the stored float32 values bit for bit.
    /// Use the loader itself for what the file recorded beside the model (its format, Keras
    /// version, weight paths and notes).
    ///
    /// - Parameters:
    ///   - path: a Keras 3 `.keras` archive, a Keras 2 / tf.keras full-model `.h5`, or a weights
    ///     file (`.weights.h5`, weights-only `.h5`) with `configPath`.
    ///   - configPath: the model's JSON config (`config.json`, or `model.to_json()`) for a weights file.
    ///   - customLayers: implementations of custom layer classes, by registered name (`"demo>Scale"`).
    /// - Throws: a `LocalizedError` (``ImportError``, or `HDF5Error` from the weights) whose
    ///   description names the file, the object and what is wrong: an unreadable file, an
    ///   unsupported layer or option, a missing or mis-shaped weight.
    public init(kerasFile path: String, configPath: String? = nil, customLayers: [String: CustomLayer] = [:]) throws {
        let loaded = try KerasModelLoader.load(path: path, configPath: configPath, customLayers: customLayers)
        self = loaded.model.converted(to: Scalar.self)
    }
}
