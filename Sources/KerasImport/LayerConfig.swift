import RNNEngine

/// Reading Keras layer configs: activations, dtype policies and the options of each layer,
/// refusing every option that would change an inference result and that rnncheck does not do.
struct LayerConfigReader {
    let file: String
    /// 2 for Keras 2 / tf.keras files, 3 for Keras 3.
    let kerasMajor: Int
    /// The layer name, for errors.
    let layer: String
    let config: JSONValue

    func unsupported(_ what: String) -> ImportError {
        .unsupported(file: file, layer: layer, what: what)
    }

    /// The same reader for a config nested inside this one (a wrapped layer, a cell).
    func nested(_ layer: String, config: JSONValue) -> LayerConfigReader {
        LayerConfigReader(file: file, kerasMajor: kerasMajor, layer: layer, config: config)
    }

    /// A whole number from 1 up to `limit` (sizes: units, filters, ...).
    func positive(_ key: String, limit: Int = 1 << 31) throws -> Int {
        let value = try config[key]
        let n = try value.int()
        guard n >= 1 && n <= limit else {
            throw ImportError.config(file: file, path: value.path, message: "layer '\(layer)': \(key) must be a whole number from 1 to \(limit), got \(n)")
        }
        return n
    }

    /// Fails on any key outside `known`.
    func checkKeys(_ known: Set<String>) throws {
        for key in config.keys where !known.contains(key) {
            throw unsupported("option '\(key)'")
        }
    }

    /// Keys every layer may carry that do not change inference.
    static let commonKeys: Set<String> = [
        "name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape", "input_dim",
        "input_length", "activity_regularizer", "autocast", "build_config",
    ]

    func activation(_ key: String, default fallback: Activation) throws -> Activation {
        guard let value = try config.optional(key) else {
            return config.has(key) ? .linear : fallback
        }
        return try Self.activation(value, kerasMajor: kerasMajor, unsupported: unsupported)
    }

    static func activation(
        _ value: JSONValue, kerasMajor: Int, unsupported: (String) -> ImportError
    ) throws -> Activation {
        var name: String
        switch value.storage {
        case .string(let s): name = s
        case .object:
            // {"module": "keras.activations", "class_name": "function", "config": "tanh", ...}
            // or a layer-style {"class_name": "LeakyReLU", "config": {...}}.
            let inner = try value["config"]
            if case .string(let s) = inner.storage {
                name = s
            } else {
                throw unsupported("activation \(try value.string("class_name"))")
            }
        default:
            throw value.fail("expected an activation name, found \(value.typeName)")
        }
        if name.hasPrefix("keras.activations.") { name.removeFirst("keras.activations.".count) }
        switch name {
        case "linear", "None": return .linear
        case "tanh": return .tanh
        case "sigmoid": return .sigmoid
        case "hard_sigmoid": return kerasMajor >= 3 ? .hardSigmoid : .hardSigmoidKeras2
        case "relu": return .relu
        case "relu6": return .relu6
        case "leaky_relu": return .leakyRelu(negativeSlope: 0.2)
        case "elu": return .elu
        case "selu": return .selu
        case "celu": return .celu
        case "softplus": return .softplus
        case "softsign": return .softsign
        case "silu", "swish": return .silu
        case "gelu": return .gelu(approximate: false)
        case "exponential": return .exponential
        case "hard_silu", "hard_swish": return .hardSilu
        case "mish": return .mish
        case "log_sigmoid": return .logSigmoid
        case "hard_tanh": return .hardTanh
        case "tanh_shrink": return .tanhShrink
        case "soft_shrink": return .softShrink
        case "hard_shrink": return .hardShrink
        case "sparse_plus": return .sparsePlus
        case "sparse_sigmoid": return .sparseSigmoid
        case "squareplus": return .squareplus
        case "softmax": return .softmax
        case "log_softmax": return .logSoftmax
        default: throw unsupported("activation '\(name)'")
        }
    }

    /// Checks the dtype policy: rnncheck computes float32 (or float64), never mixed precision.
    func checkDType() throws {
        guard let dtype = try config.optional("dtype") else { return }
        var name: String
        switch dtype.storage {
        case .string(let s): name = s
        case .object:
            let inner = try dtype["config"]
            name = try inner.string("name")
        default: throw dtype.fail("expected a dtype name or policy, found \(dtype.typeName)")
        }
        guard name == "float32" || name == "float64" else {
            throw unsupported("dtype policy '\(name)' (rnncheck computes in float32 like Keras's default policy)")
        }
    }

    func bool(_ key: String, default value: Bool) throws -> Bool { try config.bool(key, default: value) }

    /// Options that only matter in training: accepted, and they change nothing at inference.
    static let trainingOnlyKeys: Set<String> = [
        "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias",
        "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
        "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
        "implementation", "use_cudnn", "embeddings_initializer", "embeddings_regularizer",
        "embeddings_constraint", "lora_rank", "lora_alpha", "quantization_config",
    ]
}
