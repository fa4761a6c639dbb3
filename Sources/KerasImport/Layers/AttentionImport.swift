import RNNEngine

/// `Attention`, `AdditiveAttention`, `MultiHeadAttention`, `GroupQueryAttention`.
enum AttentionImport {
    /// `call(inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False)`.
    static let denseSignature = CallSignature(
        parameters: ["inputs", "mask", "training", "return_attention_scores", "use_causal_mask"], inputs: ["inputs"])
    /// Keras 3 `call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    /// attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)`;
    /// tf.keras has the same names without the three masks.
    static let multiHeadSignature = CallSignature(
        parameters: ["query", "value", "key", "query_mask", "value_mask", "key_mask", "attention_mask",
                     "return_attention_scores", "training", "use_causal_mask"],
        inputs: ["query", "value", "key", "attention_mask"])

    static let regularization: Set<String> = [
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
        "bias_constraint", "seed",
    ]

    static let entries: [String: LayerEntry] = [
        "Attention": LayerEntry(denseSignature, specialize: specializeDense) { try $0.naming { try attention(&$0, additive: false) } },
        "AdditiveAttention": LayerEntry(denseSignature, specialize: specializeDense) { try $0.naming { try attention(&$0, additive: true) } },
        "MultiHeadAttention": LayerEntry(multiHeadSignature, specialize: specializeMultiHead) { try $0.naming { try multiHead(&$0, grouped: false) } },
        "GroupQueryAttention": LayerEntry(multiHeadSignature, specialize: specializeMultiHead) { try $0.naming { try multiHead(&$0, grouped: true) } },
        // Keras 3's legacy HDF5 writer names the class as Python does.
        "GroupedQueryAttention": LayerEntry(multiHeadSignature, specialize: specializeMultiHead) { try $0.naming { try multiHead(&$0, grouped: true) } },
    ]

    /// `dropout` (identity at inference): a rate Keras's Dropout accepts, from 0 up to but not 1.
    static func dropout(_ r: LayerConfigReader) throws -> Double {
        let rate = try r.real("dropout", default: 0)
        guard rate >= 0 && rate < 1 else {
            throw ImportError.config(file: r.file, path: "\(r.config.path).dropout", message: "layer '\(r.layer)': dropout must be from 0 up to 1, got \(rate)")
        }
        return rate
    }

    static func attention(_ b: inout LayerBuild, additive: Bool) throws -> any Layer<Double> {
        let r = b.reader
        try r.checkKeys(LayerConfigReader.commonKeys.union(["use_scale", "score_mode", "dropout", "seed", "causal"]))
        try r.checkDType()
        if try r.bool("causal", default: false) { throw r.unsupported("the removed option causal=True (use the use_causal_mask call argument)") }
        guard b.inputShapes.count == 2 || b.inputShapes.count == 3, let width = b.inputShapes[0].last ?? nil else {
            throw ImportError.config(file: b.file, path: r.config.path, message: "\(b.className) '\(b.name)' takes [query, value] or [query, value, key] with known widths")
        }
        _ = try dropout(r)
        let useScale = try r.bool("use_scale", default: additive)
        var cursor = try b.cursor(.own)
        let score: AttentionScore<Double>
        if additive {
            score = .additive(scale: useScale ? try cursor.take("scale", shape: [width]) : nil)
        } else {
            let mode = try r.config.optional("score_mode")?.string() ?? "dot"
            let scale = useScale ? try cursor.take("scale", shape: [])[0] : nil
            switch mode {
            case "dot": score = .dot(scale: scale)
            case "concat": score = .concat(scale: scale, weight: try cursor.take("concat_score_weight", shape: [])[0])
            default: throw r.unsupported("score_mode '\(mode)'")
            }
        }
        try cursor.finish()
        return DenseAttentionLayer<Double>(score: score, semantics: b.semantics)
    }

    static func specializeDense(_ layer: any Layer<Double>, _ b: LayerBuild) throws -> any Layer<Double> {
        guard var l = layer as? DenseAttentionLayer<Double> else { return layer }
        l.useCausalMask = try b.callBool("use_causal_mask", default: false)
        l.returnScores = try b.callBool("return_attention_scores", default: false)
        return l
    }

    static func multiHead(_ b: inout LayerBuild, grouped: Bool) throws -> any Layer<Double> {
        let r = b.reader
        var keys = LayerConfigReader.commonKeys.union(regularization).union([
            "dropout", "use_bias", "use_gate", "sliding_window", "flash_attention",
            // tf.keras records the shapes it was built with, and its softmax masking choice
            "query_shape", "key_shape", "value_shape", "softmax_robust_masking",
        ])
        keys.formUnion(grouped ? ["head_dim", "num_query_heads", "num_key_value_heads"]
                               : ["num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"])
        try r.checkKeys(keys)
        try r.checkDType()
        let limit = 1 << 16
        let heads = try r.positive(grouped ? "num_query_heads" : "num_heads", limit: limit)
        let kvHeads = grouped ? try r.positive("num_key_value_heads", limit: limit) : heads
        guard heads % kvHeads == 0 else {
            throw ImportError.config(file: b.file, path: "\(r.config.path).num_key_value_heads",
                message: "layer '\(b.name)': num_query_heads (\(heads)) must be a multiple of num_key_value_heads (\(kvHeads))")
        }
        let keyDim = try r.positive(grouped ? "head_dim" : "key_dim", limit: limit)
        let valueDimGiven = try r.config.optional("value_dim") != nil
        let valueDim = grouped || !valueDimGiven ? keyDim : try r.positive("value_dim", limit: limit)
        guard b.inputShapes.count >= 2, let dq = b.inputShapes[0].last ?? nil, let dv = b.inputShapes[1].last ?? nil else {
            throw ImportError.config(file: b.file, path: r.config.path, message: "\(b.className) '\(b.name)' takes query and value with known widths")
        }
        let hasKey = b.call.values["key"] != nil
        let dk = hasKey ? (b.inputShapes[2].last ?? nil) ?? dv : dv
        var outputShape = [dq]
        if let o = try r.config.optional("output_shape") {
            outputShape = try r.ints(o)
            guard !outputShape.isEmpty, outputShape.allSatisfy({ (1...limit).contains($0) }) else {
                throw ImportError.config(file: b.file, path: o.path, message: "layer '\(b.name)': output_shape must hold sizes from 1 to \(limit), got \(outputShape)")
            }
        }
        let useBias = try r.bool("use_bias", default: true)
        let useGate = try r.bool("use_gate", default: false)
        var sliding: Int?
        if try r.config.optional("sliding_window") != nil { sliding = try r.positive("sliding_window", limit: 1 << 30) }
        if try r.config.optional("flash_attention")?.bool() == true { throw r.unsupported("flash_attention=True") }
        // Where each projection's weights are. Keras 3 layouts (Keras 3 files, tf.keras's
        // `.weights.h5`) keep it in a sub-layer group named after the attribute: MultiHeadAttention's
        // `query_dense`, `key_dense`, `value_dense`, `output_dense` (properties over `_query_dense` ...)
        // but `_gate_dense`; GroupedQueryAttention's and tf.keras's `_query_dense` .... Legacy HDF5
        // files list every array under the layer, named after the EinsumDense sub-layer
        // (`<layer>/query/kernel`, `<layer>/attention_output/bias`), in build order (Keras 3 puts
        // the gate between key and value).
        let parts = [("query_dense", "query"), ("key_dense", "key"), ("value_dense", "value"),
                     ("output_dense", "attention_output"), ("gate_dense", "gate")]
        let flat = try b.cursor(.own).arrays
        func sublayer(of array: WeightArray) -> String { array.path.split(separator: "/").dropLast().last.map(String.init) ?? "" }
        var taken: Set<String> = []
        func projection(_ index: Int, kernel: [Int], bias: [Int]) throws -> Projection<Double> {
            let (group, einsum) = parts[index]
            var cursor: WeightCursor
            if flat.isEmpty {
                cursor = try b.child(group)
                if cursor.arrays.isEmpty { cursor = try b.child("_" + group) }
            } else {
                taken.insert(einsum)
                cursor = WeightCursor(file: b.file, layer: b.name, arrays: flat.filter { sublayer(of: $0) == einsum },
                                      origin: "\(b.name)/\(einsum) weights")
            }
            let k = try cursor.take("\(einsum)/kernel", shape: kernel)
            let c = useBias ? try cursor.take("\(einsum)/bias", shape: bias) : nil
            try cursor.finish()
            let n = bias.reduce(1, *)
            return Projection(kernel: k, bias: c, inputSize: k.count / n, outputSize: n)
        }
        let query = try projection(0, kernel: [dq, heads, keyDim], bias: [heads, keyDim])
        let key = try projection(1, kernel: [dk, kvHeads, keyDim], bias: [kvHeads, keyDim])
        let value = try projection(2, kernel: [dv, kvHeads, valueDim], bias: [kvHeads, valueDim])
        let gate = useGate ? try projection(4, kernel: [dq, heads, valueDim], bias: [heads, valueDim]) : nil
        let output = try projection(3, kernel: [heads, valueDim] + outputShape, bias: outputShape)
        if let stray = flat.first(where: { !taken.contains(sublayer(of: $0)) }) {
            throw ImportError.extraWeight(file: b.file, path: stray.path)
        }
        let keras3 = b.semantics == .keras3
        var axes: [Int]?
        if !grouped, let a = try r.config.optional("attention_axes") { axes = try r.ints(a) }
        let robust = try r.bool("softmax_robust_masking", default: false)
        let inverseRoot = 1 / Double(keyDim).squareRoot()
        let dropout = try dropout(r)
        // Keras 3 runs ops.dot_product_attention when it can (no dropout, no scores returned,
        // (batch, time, features) inputs), else the einsum path with a Softmax layer; the
        // specialization below picks the path for each call.
        let layer = MultiHeadAttentionLayer<Double>(
            query: query, key: key, value: value, output: output, gate: gate, heads: heads, keyValueHeads: kvHeads,
            keyDim: keyDim, valueDim: valueDim, outputShape: outputShape, attentionAxes: axes, slidingWindow: sliding,
            useCausalMask: false, returnScores: false, hasKey: hasKey, hasAttentionMask: false,
            masking: keras3 ? (dropout > 0 ? .softmaxLayer : .dotProduct) : (robust ? .robust : .additive),
            scaleLogits: keras3 && dropout == 0, scale: keras3 ? Double(Float(inverseRoot)) : inverseRoot, clearsInputMasks: keras3 && !grouped, queryMaskFromTensor: keras3 && !grouped,
            className: b.className, masksFromTensors: !keras3)
        return layer
    }

    static func specializeMultiHead(_ layer: any Layer<Double>, _ b: LayerBuild) throws -> any Layer<Double> {
        guard var l = layer as? MultiHeadAttentionLayer<Double> else { return layer }
        l.useCausalMask = try b.callBool("use_causal_mask", default: false)
        l.returnScores = try b.callBool("return_attention_scores", default: false)
        l.hasKey = b.call.values["key"] != nil
        l.hasAttentionMask = b.call.values["attention_mask"] != nil
        let keras3 = b.semantics == .keras3
        if keras3 {
            let dropout = try b.reader.real("dropout", default: 0, minimum: 0)
            let rank3 = b.inputShapes[0].count == 2
            let dotProduct = dropout == 0 && !l.returnScores && rank3
            l.masking = dotProduct ? .dotProduct : .softmaxLayer
            l.scaleLogits = dotProduct
        }
        return l
    }
}

extension LayerBuild {
    /// Runs an entry's build, naming the layer in a config error that names only the JSON path
    /// (a value of the wrong type: "expected a whole number, found string").
    mutating func naming<T>(_ body: (inout LayerBuild) throws -> T) throws -> T {
        do {
            return try body(&self)
        } catch ImportError.config(let file, let path, let message) where !message.contains("'\(name)'") {
            throw ImportError.config(file: file, path: path, message: "layer '\(name)' (\(className)): \(message)")
        }
    }

    /// The weights of a sub-layer this layer keeps (Keras 3 `layers/<key>/<name>/vars`).
    mutating func child(_ name: String) throws -> WeightCursor {
        let arrays = try weights.child(name).arrays(.own)
        weightPaths += arrays.map(\.path)
        return WeightCursor(file: file, layer: self.name, arrays: arrays, origin: "\(self.name)/\(name) weights")
    }
}
