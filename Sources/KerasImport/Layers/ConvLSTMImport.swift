import RNNEngine

/// `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D` (and inside `Bidirectional`).
enum ConvLSTMImport {
    static let entries: [String: LayerEntry] = [1, 2, 3].reduce(into: [:]) { table, d in
        table["ConvLSTM\(d)D"] = LayerEntry(RecurrentImport.signature) { b in
            var cursor = try b.cursor(.cell, origin: "\(b.name) cell weights")
            let layer = try convLSTM(&b, reader: b.reader, dimensions: d, input: try b.input(), cursor: &cursor)
            try cursor.finish()
            return layer
        }
    }

    static let classes: [String: Int] = ["ConvLSTM1D": 1, "ConvLSTM2D": 2, "ConvLSTM3D": 3]

    static func convLSTM(
        _ b: inout LayerBuild, reader r: LayerConfigReader, dimensions: Int, input: SymbolicShape, cursor: inout WeightCursor
    ) throws -> ConvLSTMLayer<Double> {
        try r.checkKeys(LayerConfigReader.commonKeys.union(LayerConfigReader.trainingOnlyKeys).union(ConvolutionImport.common).union([
            "filters", "recurrent_activation", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
            "zero_output_for_mask", "time_major",
        ]))
        try r.checkDType()
        if try r.channelsFirst() {
            throw r.unsupported("data_format='channels_first' for ConvLSTM (TensorFlow cannot run it on the CPU, so Keras's outputs cannot be checked)")
        }
        if try r.bool("time_major", default: false) { throw r.unsupported("time_major=True") }
        guard input.count == dimensions + 2, let channels = input.last ?? nil, !input.dropFirst().dropLast().contains(where: { $0 == nil }) else {
            throw ImportError.config(file: r.file, path: r.config.path,
                message: "ConvLSTM\(dimensions)D '\(r.layer)' takes (time, \(dimensions) known spatial extents, known channels), got \(Shapes.describe(input))")
        }
        let geometry = try ConvolutionImport.geometry(r, dimensions: dimensions, allowCausal: false)
        // A kernel whose dilated span exceeds a (valid-padded) frame: Keras fails on it.
        for (d, extent) in input.dropFirst().dropLast().enumerated() {
            let span = (geometry.kernel[d] - 1) * geometry.dilation[d] + 1
            guard let n = extent, geometry.padding.window(n, kernel: span, stride: geometry.strides[d]).count < 1 else { continue }
            throw ImportError.config(file: r.file, path: "\(r.config.path).kernel_size",
                message: "layer '\(r.layer)': kernel_size \(geometry.kernel) with dilation_rate \(geometry.dilation) spans \(span) steps, more than the frames' \(n)")
        }
        let filters = try r.positive("filters", limit: ConvolutionImport.sizeLimit)
        let kernel = try cursor.take("kernel", shape: geometry.kernel + [channels, 4 * filters])
        let recurrentKernel = try cursor.take("recurrent_kernel", shape: geometry.kernel + [filters, 4 * filters])
        let bias = try r.bool("use_bias", default: true) ? try cursor.take("bias", shape: [4 * filters]) : nil
        let activation = try r.activation("activation", default: .tanh)
        // The defaults differ: tf.keras's ConvLSTM cells default to hard_sigmoid, Keras 3's to sigmoid.
        let recurrentActivation = try r.activation("recurrent_activation", default: r.kerasMajor >= 3 ? .sigmoid : .hardSigmoidKeras2)
        for (key, a) in [("activation", activation), ("recurrent_activation", recurrentActivation)] where !a.isElementwise {
            throw r.unsupported("\(key)=\(a) in a ConvLSTM cell")
        }
        for a in [activation, recurrentActivation] where a == .hardSigmoid || a == .hardSigmoidKeras2 {
            b.note("layer '\(r.layer)' uses \(a), as the file was written by Keras \(r.kerasMajor)")
        }
        // tf.keras's ConvRNN refuses unroll=True when it is built, and never passes
        // zero_output_for_mask on to its loop.
        let unroll = try r.bool("unroll", default: false)
        let zeroOutputForMask = try r.bool("zero_output_for_mask", default: false)
        if unroll, r.kerasMajor < 3 { throw r.unsupported("unroll=True for ConvLSTM\(dimensions)D (tf.keras cannot build it)") }
        let ones = [Int](repeating: 1, count: dimensions)
        let inputConv = ConvolutionLayer<Double>(geometry: geometry, inputChannels: channels, filters: 4 * filters, kernel: kernel, bias: bias,
                                                 className: "ConvLSTM\(dimensions)D input")
        let recurrentConv = ConvolutionLayer<Double>(
            geometry: ConvGeometry(kernel: geometry.kernel, strides: ones, dilation: ones, padding: .same),
            inputChannels: filters, filters: 4 * filters, kernel: recurrentKernel, bias: nil, className: "ConvLSTM\(dimensions)D recurrent")
        return ConvLSTMLayer<Double>(
            input: inputConv, recurrent: recurrentConv, activation: activation, recurrentActivation: recurrentActivation,
            returnSequences: try r.bool("return_sequences", default: false), returnState: try r.bool("return_state", default: false),
            goBackwards: try r.bool("go_backwards", default: false), zeroOutputForMask: r.kerasMajor >= 3 && zeroOutputForMask,
            unroll: unroll)
    }
}
