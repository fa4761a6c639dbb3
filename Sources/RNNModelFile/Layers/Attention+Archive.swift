import RNNEngine

/// `score`: `{"kind": "dot", "scale": s | null}`, `{"kind": "concat", "scale": s | null,
/// "weight": w}` or `{"kind": "additive", "scale": tensor | null}`.
extension DenseAttentionLayer: ArchivableLayer {
    public static var typeName: String { "DenseAttentionLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("score", object: { s in
            switch score {
            case .dot(let scale):
                s.encode("kind", "dot")
                s.encode("scale", real: scale)
            case .concat(let scale, let weight):
                s.encode("kind", "concat")
                s.encode("scale", real: scale)
                s.encode("weight", real: weight)
            case .additive(let scale):
                s.encode("kind", "additive")
                try s.encode("scale", tensor: scale, shape: [scale?.count ?? 0])
            }
        })
        e.encode("use_causal_mask", useCausalMask)
        e.encode("return_scores", returnScores)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        let score: AttentionScore<Scalar> = try d.decode("score", object: { s in
            switch try s.decode("kind", as: String.self) {
            case "dot": return .dot(scale: try s.decodeOptional("scale", real: Scalar.self))
            case "concat": return .concat(scale: try s.decodeOptional("scale", real: Scalar.self), weight: try s.decode("weight", real: Scalar.self))
            case "additive": return .additive(scale: try s.decodeOptional("scale", tensorOf: [try s.vectorLength("scale")]))
            case let other: throw s.fail("'\(other)' is not one of 'dot', 'concat', 'additive'", at: "kind")
            }
        })
        self.init(score: score, useCausalMask: try d.decode("use_causal_mask", as: Bool.self),
                  returnScores: try d.decode("return_scores", as: Bool.self), semantics: try d.decodeSemantics("semantics"))
    }
}

/// A projection: `{"input_size", "output_size", "kernel": (input_size, output_size), "bias": (output_size,) | null}`.
enum ProjectionCoding {
    static func encode<S: EngineScalar>(_ p: Projection<S>, _ e: inout LayerEncoder) throws {
        e.encode("input_size", p.inputSize)
        e.encode("output_size", p.outputSize)
        try e.encode("kernel", tensor: p.kernel, shape: [p.inputSize, p.outputSize])
        try e.encode("bias", tensor: p.bias, shape: [p.outputSize])
    }

    static func decode<S: EngineScalar>(_ d: inout LayerDecoder, input: Int?, output: Int) throws -> Projection<S> {
        let inputSize = try d.decode("input_size", in: 1...Names.maxSize)
        let outputSize = try d.decode("output_size", in: 1...Names.maxSize)
        if let input, inputSize != input { throw d.fail("must be \(input), found \(inputSize)", at: "input_size") }
        guard outputSize == output else { throw d.fail("must be \(output) (from the layer's heads and sizes), found \(outputSize)", at: "output_size") }
        return Projection(kernel: try d.decode("kernel", tensorOf: [inputSize, outputSize]),
                          bias: try d.decodeOptional("bias", tensorOf: [outputSize]), inputSize: inputSize, outputSize: outputSize)
    }
}

extension MultiHeadAttentionLayer: ArchivableLayer {
    public static var typeName: String { "MultiHeadAttentionLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("heads", heads)
        e.encode("key_value_heads", keyValueHeads)
        e.encode("key_dim", keyDim)
        e.encode("value_dim", valueDim)
        e.encode("output_shape", outputShape)
        try e.encode("query", object: { try ProjectionCoding.encode(query, &$0) })
        try e.encode("key", object: { try ProjectionCoding.encode(key, &$0) })
        try e.encode("value", object: { try ProjectionCoding.encode(value, &$0) })
        try e.encode("output", object: { try ProjectionCoding.encode(output, &$0) })
        if let gate {
            try e.encode("gate", object: { try ProjectionCoding.encode(gate, &$0) })
        } else {
            e.put("gate", .null)
        }
        e.encode("attention_axes", attentionAxes)
        e.encode("sliding_window", slidingWindow)
        e.encode("use_causal_mask", useCausalMask)
        e.encode("return_scores", returnScores)
        e.encode("has_key", hasKey)
        e.encode("has_attention_mask", hasAttentionMask)
        e.encode("masking", Names.attentionMasking(masking))
        e.encode("scale_logits", scaleLogits)
        e.encode("scale", real: scale)
        e.encode("clears_input_masks", clearsInputMasks)
        e.encode("query_mask_from_tensor", queryMaskFromTensor)
        e.encode("masks_from_tensors", masksFromTensors)
        e.encode("class_name", className)
    }

    public init(from d: inout LayerDecoder) throws {
        let limit = 1 << 16
        let heads = try d.decode("heads", in: 1...limit)
        let kvHeads = try d.decode("key_value_heads", in: 1...limit)
        guard heads % kvHeads == 0 else { throw d.fail("heads (\(heads)) must be a multiple of key_value_heads (\(kvHeads))", at: "key_value_heads") }
        let keyDim = try d.decode("key_dim", in: 1...limit)
        let valueDim = try d.decode("value_dim", in: 1...limit)
        let outputShape = try d.decode("output_shape", each: 1...limit)
        guard (1...Names.maxAxis).contains(outputShape.count), let outputSize = Shapes.count(outputShape), outputSize <= Names.maxSize else {
            throw d.fail("must be 1 to \(Names.maxAxis) sizes whose product is at most \(Names.maxSize)", at: "output_shape")
        }
        // Each projection's sizes follow from the heads: the attention indexes them so.
        let query: Projection<Scalar> = try d.decode("query", object: { try ProjectionCoding.decode(&$0, input: nil, output: heads * keyDim) })
        let key: Projection<Scalar> = try d.decode("key", object: { try ProjectionCoding.decode(&$0, input: nil, output: kvHeads * keyDim) })
        let value: Projection<Scalar> = try d.decode("value", object: { try ProjectionCoding.decode(&$0, input: nil, output: kvHeads * valueDim) })
        let output: Projection<Scalar> = try d.decode("output", object: {
            try ProjectionCoding.decode(&$0, input: heads * valueDim, output: outputSize)
        })
        var gate: Projection<Scalar>?
        if try d.raw("gate") != .null {
            gate = try d.decode("gate", object: { try ProjectionCoding.decode(&$0, input: query.inputSize, output: heads * valueDim) })
        }
        let axes = try d.decodeOptional("attention_axes", each: -Names.maxAxis...Names.maxAxis)
        if let axes, axes.count > Names.maxAxis { throw d.fail("names more than \(Names.maxAxis) axes", at: "attention_axes") }
        self.init(
            query: query, key: key, value: value, output: output, gate: gate, heads: heads, keyValueHeads: kvHeads,
            keyDim: keyDim, valueDim: valueDim, outputShape: outputShape, attentionAxes: axes,
            slidingWindow: try d.decodeOptional("sliding_window", in: 1...(1 << 30)),
            useCausalMask: try d.decode("use_causal_mask", as: Bool.self), returnScores: try d.decode("return_scores", as: Bool.self),
            hasKey: try d.decode("has_key", as: Bool.self), hasAttentionMask: try d.decode("has_attention_mask", as: Bool.self),
            masking: try d.decode("masking", oneOf: [AttentionMasking.subtract, .softmaxLayer, .dotProduct, .additive, .robust],
                                  name: Names.attentionMasking),
            scaleLogits: try d.decode("scale_logits", as: Bool.self), scale: try d.decode("scale", real: Double.self),
            clearsInputMasks: try d.decode("clears_input_masks", as: Bool.self),
            queryMaskFromTensor: try d.decode("query_mask_from_tensor", as: Bool.self),
            className: try d.decode("class_name", as: String.self), masksFromTensors: try d.decode("masks_from_tensors", as: Bool.self))
        let expected = 2 + (hasKey ? 1 : 0) + (hasAttentionMask ? 1 : 0)
        guard d.inputCount == expected else {
            throw d.fail("takes \(expected) inputs (query, value\(hasKey ? ", key" : "")\(hasAttentionMask ? ", attention_mask" : "")), the node passes \(d.inputCount)")
        }
    }
}
