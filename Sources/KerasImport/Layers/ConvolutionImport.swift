import RNNEngine

/// `Conv1D/2D/3D`, `DepthwiseConv1D/2D`, `SeparableConv1D/2D`, `Conv1DTranspose/2D/3D`.
enum ConvolutionImport {
    static let common: Set<String> = LayerConfigReader.commonKeys.union([
        "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias",
        "bias_initializer", "bias_regularizer", "bias_constraint", "activity_regularizer", "lora_rank", "lora_alpha",
    ])
    static let kernelKeys: Set<String> = ["filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"]
    static let depthwiseKeys: Set<String> = ["depth_multiplier", "depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"]
    static let pointwiseKeys: Set<String> = ["pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"]
    /// Sizes from a config are bounded so that a hostile one cannot ask for huge buffers.
    static let sizeLimit = 1 << 16

    static let entries: [String: LayerEntry] = {
        var table: [String: LayerEntry] = [:]
        for d in 1...3 {
            table["Conv\(d)D"] = LayerEntry { try $0.naming { try convolution(&$0, dimensions: d) } }
            table["Conv\(d)DTranspose"] = LayerEntry { try $0.naming { try transposed(&$0, dimensions: d) } }
        }
        for d in 1...2 {
            table["DepthwiseConv\(d)D"] = LayerEntry { try $0.naming { try depthwise(&$0, dimensions: d) } }
            table["SeparableConv\(d)D"] = LayerEntry { try $0.naming { try separable(&$0, dimensions: d) } }
        }
        return table
    }()

    /// The input's channels (which must be known) and spatial rank check.
    static func channels(_ b: LayerBuild, dimensions: Int, channelsFirst: Bool) throws -> Int {
        if channelsFirst {
            // TensorFlow runs no channels_first convolution on the CPU, so no Keras output could check it.
            throw b.reader.unsupported("data_format='channels_first' for \(b.className) (TensorFlow cannot run it on the CPU, so Keras's outputs cannot be checked)")
        }
        if b.config.has("groups"), (try b.config["groups"].int()) != 1, b.className != "Conv\(dimensions)D" {
            throw ImportError.config(file: b.file, path: "\(b.config.path).groups", message: "layer '\(b.name)': groups must be 1 for \(b.className)")
        }
        let input = try b.input()
        guard input.count == dimensions + 1 else {
            throw ImportError.config(file: b.file, path: b.config.path,
                message: "\(b.className) '\(b.name)' takes an input of rank \(dimensions + 2), got \(Shapes.describe(input))")
        }
        guard let c = channelsFirst ? input.first! : input.last! else {
            throw ImportError.config(file: b.file, path: b.config.path, message: "\(b.className) '\(b.name)' needs an input with a known channel axis")
        }
        return c
    }

    /// Kernel, strides, dilation and padding. Keras refuses strides > 1 together with
    /// dilation_rate > 1 in convolutions and transposed convolutions (Keras 3 `base_conv.py`,
    /// `base_conv_transpose.py`) and in every convolution of tf.keras (`base_conv.py`,
    /// `base_depthwise_conv.py`); Keras 3's depthwise and separable convolutions run it.
    static func geometry(_ r: LayerConfigReader, dimensions: Int, allowCausal: Bool, allowStridedDilation: Bool = false) throws -> ConvGeometry {
        guard r.config.has("kernel_size") else { throw ImportError.config(file: r.file, path: r.config.path, message: "layer '\(r.layer)': missing key 'kernel_size'") }
        // Keras's standardize_tuple refuses None for each of these (`r.tuple` would take the default).
        for key in ["kernel_size", "strides", "dilation_rate"] where r.config.has(key) {
            if try r.config.optional(key) == nil {
                throw ImportError.config(file: r.file, path: "\(r.config.path).\(key)", message: "layer '\(r.layer)': \(key) must be a whole number or a list of them, got null")
            }
        }
        let kernel = try r.tuple("kernel_size", count: dimensions, default: Array(repeating: 1, count: dimensions), range: 1...sizeLimit)
        let strides = try r.tuple("strides", count: dimensions, default: Array(repeating: 1, count: dimensions), range: 1...sizeLimit)
        let dilation = try r.tuple("dilation_rate", count: dimensions, default: Array(repeating: 1, count: dimensions), range: 1...sizeLimit)
        if !allowStridedDilation, strides.contains(where: { $0 > 1 }), dilation.contains(where: { $0 > 1 }) {
            throw ImportError.config(file: r.file, path: "\(r.config.path).dilation_rate",
                message: "layer '\(r.layer)': strides \(strides) > 1 together with dilation_rate \(dilation) > 1, which Keras refuses")
        }
        return ConvGeometry(kernel: kernel, strides: strides, dilation: dilation, padding: try r.padding(allowCausal: allowCausal))
    }

    /// Refuses a kernel whose dilated span exceeds a known input extent (with valid padding the
    /// output would be empty; Keras fails on it), before any weight is read.
    static func checkSpan(_ b: LayerBuild, _ geometry: ConvGeometry, channelsFirst: Bool) throws {
        let spatial = Array(channelsFirst ? b.inputShapes[0].dropFirst() : b.inputShapes[0].dropLast())
        for (d, extent) in spatial.enumerated() {
            let span = (geometry.kernel[d] - 1) * geometry.dilation[d] + 1
            guard let n = extent, geometry.padding.window(n, kernel: span, stride: geometry.strides[d]).count < 1 else { continue }
            throw ImportError.config(file: b.file, path: "\(b.config.path).kernel_size",
                message: "layer '\(b.name)': kernel_size \(geometry.kernel) with dilation_rate \(geometry.dilation) spans \(span) steps, more than the input's \(n)")
        }
    }

    static func convolution(_ b: inout LayerBuild, dimensions: Int) throws -> any Layer<Double> {
        let r = b.reader
        try r.checkKeys(common.union(kernelKeys).union(["groups"]))
        try r.checkDType()
        let channelsFirst = try r.channelsFirst()
        let inputChannels = try channels(b, dimensions: dimensions, channelsFirst: channelsFirst)
        let geometry = try geometry(r, dimensions: dimensions, allowCausal: dimensions == 1)
        try checkSpan(b, geometry, channelsFirst: channelsFirst)
        let filters = try r.positive("filters", limit: sizeLimit)
        let groups = r.config.has("groups") ? try r.positive("groups", limit: sizeLimit) : 1
        guard inputChannels % groups == 0, filters % groups == 0 else {
            throw ImportError.config(file: b.file, path: "\(r.config.path).groups",
                message: "layer '\(b.name)': groups=\(groups) must divide the input channels (\(inputChannels)) and filters (\(filters))")
        }
        var cursor = try b.cursor(.own)
        let kernel = try cursor.take("kernel", shape: geometry.kernel + [inputChannels / groups, filters])
        let bias = try r.bool("use_bias", default: true) ? try cursor.take("bias", shape: [filters]) : nil
        try cursor.finish()
        return ConvolutionLayer<Double>(geometry: geometry, inputChannels: inputChannels, filters: filters, groups: groups, kernel: kernel,
                                        bias: bias, activation: try r.activation("activation", default: .linear), channelsFirst: channelsFirst,
                                        className: b.className)
    }

    static func depthwise(_ b: inout LayerBuild, dimensions: Int) throws -> any Layer<Double> {
        let r = b.reader
        try r.checkKeys(common.union(depthwiseKeys).union(["groups"]))
        try r.checkDType()
        let channelsFirst = try r.channelsFirst()
        let inputChannels = try channels(b, dimensions: dimensions, channelsFirst: channelsFirst)
        // Neither Keras runs a causal depthwise convolution (tf.keras refuses it, Keras 3's
        // ops.depthwise_conv takes only valid and same).
        if try r.config.optional("padding")?.string().lowercased() == "causal" {
            throw r.unsupported("padding='causal' for \(b.className) (neither Keras runs it)")
        }
        let geometry = try geometry(r, dimensions: dimensions, allowCausal: false, allowStridedDilation: b.semantics == .keras3)
        try checkSpan(b, geometry, channelsFirst: channelsFirst)
        let multiplier = r.config.has("depth_multiplier") ? try r.positive("depth_multiplier", limit: sizeLimit) : 1
        var cursor = try b.cursor(.own)
        // (k…, in, multiplier) is the layout of a grouped kernel (k…, 1, in·multiplier).
        let kernel = try cursor.take("depthwise_kernel", shape: geometry.kernel + [inputChannels, multiplier])
        let bias = try r.bool("use_bias", default: true) ? try cursor.take("bias", shape: [inputChannels * multiplier]) : nil
        try cursor.finish()
        return ConvolutionLayer<Double>(geometry: geometry, inputChannels: inputChannels, filters: inputChannels * multiplier,
                                        groups: inputChannels, kernel: kernel, bias: bias,
                                        activation: try r.activation("activation", default: .linear), channelsFirst: channelsFirst,
                                        className: b.className)
    }

    static func separable(_ b: inout LayerBuild, dimensions: Int) throws -> any Layer<Double> {
        let r = b.reader
        try r.checkKeys(common.union(depthwiseKeys).union(pointwiseKeys).union(kernelKeys).union(["groups"]))
        try r.checkDType()
        let channelsFirst = try r.channelsFirst()
        let inputChannels = try channels(b, dimensions: dimensions, channelsFirst: channelsFirst)
        // tf.keras's SeparableConv1D pads causally; Keras 3's ops.separable_conv cannot.
        if b.semantics == .keras3, try r.config.optional("padding")?.string().lowercased() == "causal" {
            throw r.unsupported("padding='causal' for \(b.className) in a Keras 3 file (Keras 3's separable convolution cannot run it)")
        }
        let geometry = try geometry(r, dimensions: dimensions, allowCausal: dimensions == 1 && b.semantics == .keras2,
                                    allowStridedDilation: b.semantics == .keras3)
        try checkSpan(b, geometry, channelsFirst: channelsFirst)
        let multiplier = r.config.has("depth_multiplier") ? try r.positive("depth_multiplier", limit: sizeLimit) : 1
        let filters = try r.positive("filters", limit: sizeLimit)
        var cursor = try b.cursor(.own)
        let dk = try cursor.take("depthwise_kernel", shape: geometry.kernel + [inputChannels, multiplier])
        let ones = [Int](repeating: 1, count: dimensions)
        let pk = try cursor.take("pointwise_kernel", shape: ones + [inputChannels * multiplier, filters])
        let bias = try r.bool("use_bias", default: true) ? try cursor.take("bias", shape: [filters]) : nil
        try cursor.finish()
        let depthwise = ConvolutionLayer<Double>(geometry: geometry, inputChannels: inputChannels, filters: inputChannels * multiplier,
                                                 groups: inputChannels, kernel: dk, bias: nil, className: "\(b.className) depthwise")
        let pointwise = ConvolutionLayer<Double>(geometry: ConvGeometry(kernel: ones, strides: ones, dilation: ones, padding: .valid),
                                                 inputChannels: inputChannels * multiplier, filters: filters, kernel: pk, bias: bias,
                                                 className: "\(b.className) pointwise")
        return SeparableConvolutionLayer<Double>(depthwise: depthwise, pointwise: pointwise,
                                                 activation: try r.activation("activation", default: .linear), channelsFirst: channelsFirst)
    }

    static func transposed(_ b: inout LayerBuild, dimensions: Int) throws -> any Layer<Double> {
        let r = b.reader
        try r.checkKeys(common.union(kernelKeys).union(["output_padding", "groups"]))
        try r.checkDType()
        let channelsFirst = try r.channelsFirst()
        let inputChannels = try channels(b, dimensions: dimensions, channelsFirst: channelsFirst)
        let geometry = try geometry(r, dimensions: dimensions, allowCausal: false)
        if geometry.dilation.contains(where: { $0 > 1 }) {
            // TensorFlow's Conv2DBackpropInput: "Current CPU implementations do not yet support
            // dilation rates larger than 1", so no Keras output on the CPU could check it.
            throw r.unsupported("dilation_rate \(geometry.dilation) > 1 for \(b.className) (TensorFlow cannot run it on the CPU, so Keras's outputs cannot be checked)")
        }
        let filters = try r.positive("filters", limit: sizeLimit)
        var outputPadding: [Int]?
        if try r.config.optional("output_padding") != nil {
            let p = try r.tuple("output_padding", count: dimensions, default: Array(repeating: 0, count: dimensions), range: 0...sizeLimit)
            for d in 0..<dimensions where p[d] >= geometry.strides[d] {
                throw ImportError.config(file: b.file, path: "\(r.config.path).output_padding",
                    message: "layer '\(b.name)': output_padding \(p) must be smaller than the strides \(geometry.strides)")
            }
            outputPadding = p
        }
        var cursor = try b.cursor(.own)
        let kernel = try cursor.take("kernel", shape: geometry.kernel + [filters, inputChannels])
        let bias = try r.bool("use_bias", default: true) ? try cursor.take("bias", shape: [filters]) : nil
        try cursor.finish()
        return TransposedConvolutionLayer<Double>(geometry: geometry, outputPadding: outputPadding, inputChannels: inputChannels,
                                                  filters: filters, kernel: kernel, bias: bias,
                                                  activation: try r.activation("activation", default: .linear), channelsFirst: channelsFirst)
    }
}
