/// Convolutions over 1, 2 or 3 spatial axes: `Conv1D/2D/3D` (strides, dilation, groups, padding
/// valid / same / causal), `DepthwiseConv1D/2D` (a grouped convolution with one group per input
/// channel), `SeparableConv1D/2D` (depthwise, then pointwise) and `Conv1DTranspose`. Keras's
/// convolutions do not support masking: a mask that reaches them is dropped.
///
/// The float32 path gathers each output position's receptive field (im2col) and multiplies it
/// with the kernel on the packed tile product; every output element is one FMA chain in the
/// kernel's (position, channel) order, so results do not depend on the thread count.

/// Where each output position's window lies along the spatial axes.
public struct ConvGeometry: Sendable, Equatable {
    public var kernel: [Int]
    public var strides: [Int]
    public var dilation: [Int]
    public var padding: Padding

    public init(kernel: [Int], strides: [Int], dilation: [Int], padding: Padding) {
        precondition(kernel.count == strides.count && kernel.count == dilation.count)
        self.kernel = kernel
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
    }

    /// The dilated extent of the kernel along axis `d`.
    func span(_ d: Int) -> Int { (kernel[d] - 1) * dilation[d] + 1 }

    /// Output extents and the padding before, for spatial input extents.
    func output(_ spatial: [Int]) -> (extents: [Int], before: [Int]) {
        let w = spatial.indices.map { padding.window(spatial[$0], kernel: span($0), stride: strides[$0]) }
        return (w.map(\.count), w.map(\.before))
    }

    /// The symbolic output extents (nil stays nil).
    func output(_ spatial: SymbolicShape) -> SymbolicShape {
        spatial.indices.map { d in spatial[d].map { padding.window($0, kernel: span(d), stride: strides[d]).count } }
    }
}

/// Row-major strides of a shape.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { s[d] = s[d + 1] * shape[d + 1] }
    return s
}

/// `ConvND` with `groups` (depthwise when a group is one input channel), as Keras computes it:
/// `activation(conv(x, kernel) + bias)`; `kernel` is `(k₁, …, k_D, in / groups, filters)`.
public struct ConvolutionLayer<Scalar: EngineScalar>: Layer {
    public var geometry: ConvGeometry
    public var inputChannels: Int
    public var filters: Int
    public var groups: Int
    public var kernel: [Scalar]
    public var bias: [Scalar]?
    public var activation: Activation
    public var channelsFirst: Bool
    /// The Keras class, for messages (`Conv1D`, `DepthwiseConv1D`, ...).
    public var className: String
    let cache = PackedMatrixCache()
    /// The float32 path's packed kernel (`ConvolutionFast.swift`).
    let fast = FastConvWeights()

    public init(geometry: ConvGeometry, inputChannels: Int, filters: Int, groups: Int = 1, kernel: [Scalar], bias: [Scalar]?,
                activation: Activation = .linear, channelsFirst: Bool = false, className: String = "Conv") {
        precondition(groups >= 1 && inputChannels % groups == 0 && filters % groups == 0)
        precondition(kernel.count == geometry.kernel.reduce(1, *) * (inputChannels / groups) * filters)
        self.geometry = geometry
        self.inputChannels = inputChannels
        self.filters = filters
        self.groups = groups
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
        self.channelsFirst = channelsFirst
        self.className = className
    }

    public var maskRule: MaskRule { .drop }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }
    var dimensions: Int { geometry.kernel.count }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let raw = try Shapes.single(inputs, className)
        guard raw.count == dimensions + 1 else {
            throw EngineError.invalidInput("\(className) takes an input of rank \(dimensions + 2), got \(Shapes.describe(raw))")
        }
        let x = channelsFirst ? ChannelsLayout.toLast(raw) : raw
        guard x.last! == nil || x.last! == inputChannels else {
            throw EngineError.invalidInput("\(className) with \(inputChannels) input channels got \(Shapes.describe(raw))")
        }
        let out = geometry.output(Array(x.dropLast()))
        if out.contains(where: { $0 != nil && $0! < 1 }) {
            throw EngineError.invalidInput("\(className) kernel \(geometry.kernel) (dilation \(geometry.dilation)) is larger than its input \(Shapes.describe(raw))")
        }
        let y = out + [filters]
        return [channelsFirst ? ChannelsLayout.toFirst(y) : y]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(className).tensor
        guard x.rank == dimensions + 2 else {
            throw EngineError.shapeMismatch(what: "\(className) input", expected: "rank \(dimensions + 2)", actual: x.shape)
        }
        if channelsFirst { x = ChannelsLayout.toLast(x) }
        guard x.shape.last == inputChannels else {
            throw EngineError.shapeMismatch(what: "\(className) input", expected: "\(inputChannels) channels", actual: x.shape)
        }
        var y = try convolve(x)
        activation.apply(to: &y.scalars, rowLength: filters)
        if channelsFirst { y = ChannelsLayout.toFirst(y) }
        return [Value(y)]
    }

    /// The convolution of a channels-last `x`, bias added (no activation).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    func convolve(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let batch = x.shape[0]
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let (outSpatial, before) = geometry.output(spatial)
        guard outSpatial.allSatisfy({ $0 >= 1 }) else {
            throw EngineError.invalidInput("\(className) kernel \(geometry.kernel) is larger than its input \(EngineError.format(x.shape))")
        }
        let positions = outSpatial.reduce(1, *)
        let cg = inputChannels / groups, fg = filters / groups
        let taps = geometry.kernel.reduce(1, *)
        let patch = taps * cg
        try EngineLimits.check([positions, patch], of: Scalar.self, what: "\(className) patches")
        if let y = fastConvolve(x, spatial: spatial) { return y }
        let inStrides = rowMajorStrides(spatial), outStrides = rowMajorStrides(outSpatial), kStrides = rowMajorStrides(geometry.kernel)
        let inPositions = spatial.reduce(1, *)
        // Per group: its kernel columns as a (patch × fg) matrix.
        let groupKernels: [[Scalar]] = groups == 1 ? [kernel] : (0..<groups).map { g in
            var w = [Scalar](repeating: 0, count: patch * fg)
            for r in 0..<patch { for f in 0..<fg { w[r * fg + f] = kernel[r * filters + g * fg + f] } }
            return w
        }
        var out = [Scalar](repeating: 0, count: batch * positions * filters)
        var columns = [Scalar](repeating: 0, count: positions * patch)
        // Offsets of each tap within the input (row-major spatial), and the tap's per-axis shift.
        var tapShift = [[Int]](repeating: [], count: taps)
        for t in 0..<taps { tapShift[t] = geometry.kernel.indices.map { d in ((t / kStrides[d]) % geometry.kernel[d]) * geometry.dilation[d] } }
        for b in 0..<batch {
            let xBase = b * inPositions * inputChannels
            for g in 0..<groups {
                // im2col: row p holds, for each tap, the group's channels at that input position (zeros outside).
                for p in 0..<positions {
                    let row = p * patch
                    for t in 0..<taps {
                        var offset = 0
                        var inside = true
                        for d in spatial.indices {
                            let i = ((p / outStrides[d]) % outSpatial[d]) * geometry.strides[d] - before[d] + tapShift[t][d]
                            if i < 0 || i >= spatial[d] { inside = false; break }
                            offset += i * inStrides[d]
                        }
                        let dst = row + t * cg
                        if inside {
                            let src = xBase + offset * inputChannels + g * cg
                            for c in 0..<cg { columns[dst + c] = x.scalars[src + c] }
                        } else {
                            for c in 0..<cg { columns[dst + c] = 0 }
                        }
                    }
                }
                let groupBias = bias.map { Array($0[(g * fg)..<((g + 1) * fg)]) }
                let y = Kernels.product(columns, rows: positions, k: patch, groupKernels[g], n: fg, bias: groupBias, cache: cache, slot: g)
                let oBase = b * positions * filters
                if groups == 1 {
                    out.replaceSubrange(oBase..<(oBase + positions * filters), with: y)
                } else {
                    for p in 0..<positions { for f in 0..<fg { out[oBase + p * filters + g * fg + f] = y[p * fg + f] } }
                }
            }
        }
        return Tensor(shape: [batch] + outSpatial + [filters], scalars: out)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { convertedConvolution(to: T.self) }

    func convertedConvolution<T: EngineScalar>(to: T.Type) -> ConvolutionLayer<T> {
        ConvolutionLayer<T>(geometry: geometry, inputChannels: inputChannels, filters: filters, groups: groups, kernel: kernel.converted(),
                            bias: bias?.converted(), activation: activation, channelsFirst: channelsFirst, className: className)
    }

    public var summary: String {
        "filters=\(filters) kernel_size=\(geometry.kernel) strides=\(geometry.strides) padding=\(geometry.padding.rawValue) "
            + "dilation_rate=\(geometry.dilation) groups=\(groups) use_bias=\(bias != nil) activation=\(activation)"
            + (channelsFirst ? " data_format=channels_first" : "")
    }
}

/// `SeparableConv1D/2D`: a depthwise convolution (no bias), then a 1×…×1 pointwise convolution
/// with the bias, then the activation.
public struct SeparableConvolutionLayer<Scalar: EngineScalar>: Layer {
    public var depthwise: ConvolutionLayer<Scalar>
    public var pointwise: ConvolutionLayer<Scalar>
    public var activation: Activation
    public var channelsFirst: Bool

    public init(depthwise: ConvolutionLayer<Scalar>, pointwise: ConvolutionLayer<Scalar>, activation: Activation, channelsFirst: Bool) {
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.activation = activation
        self.channelsFirst = channelsFirst
    }

    public var maskRule: MaskRule { .drop }
    public var parameterCount: Int { depthwise.parameterCount + pointwise.parameterCount }
    var name: String { "SeparableConv\(depthwise.dimensions)D" }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let raw = try Shapes.single(inputs, name)
        let x = channelsFirst && raw.count > 1 ? ChannelsLayout.toLast(raw) : raw
        let mid = try depthwise.outputShapes(for: [x])
        let y = try pointwise.outputShapes(for: mid)[0]
        return [channelsFirst ? ChannelsLayout.toFirst(y) : y]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(name).tensor
        guard x.rank == depthwise.dimensions + 2 else {
            throw EngineError.shapeMismatch(what: "\(name) input", expected: "rank \(depthwise.dimensions + 2)", actual: x.shape)
        }
        if channelsFirst { x = ChannelsLayout.toLast(x) }
        var y = try pointwise.convolve(try depthwise.convolve(x))
        activation.apply(to: &y.scalars, rowLength: pointwise.filters)
        if channelsFirst { y = ChannelsLayout.toFirst(y) }
        return [Value(y)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        SeparableConvolutionLayer<T>(depthwise: depthwise.convertedConvolution(to: T.self), pointwise: pointwise.convertedConvolution(to: T.self),
                                     activation: activation, channelsFirst: channelsFirst)
    }

    public var summary: String {
        "depth_multiplier=\(depthwise.filters / depthwise.inputChannels) filters=\(pointwise.filters) kernel_size=\(depthwise.geometry.kernel) "
            + "strides=\(depthwise.geometry.strides) padding=\(depthwise.geometry.padding.rawValue) dilation_rate=\(depthwise.geometry.dilation) "
            + "use_bias=\(pointwise.bias != nil) activation=\(activation)"
    }
}

/// `Conv1DTranspose/2D/3D`: each input position spreads `x · kernel[tap]` over the output, as
/// TensorFlow's `conv_transpose` (the gradient of a convolution) does; `kernel` is
/// `(k₁, …, k_D, filters, in)`. The output extent is `(n − 1)·s + k` (valid) or `n·s` (same),
/// or with `output_padding` `(n − 1)·s + k + p` (valid) / `(n − 1)·s + k mod 2 + p` (same).
public struct TransposedConvolutionLayer<Scalar: EngineScalar>: Layer {
    public var geometry: ConvGeometry
    public var outputPadding: [Int]?
    public var inputChannels: Int
    public var filters: Int
    public var kernel: [Scalar]
    public var bias: [Scalar]?
    public var activation: Activation
    public var channelsFirst: Bool
    let cache = PackedMatrixCache()

    public init(geometry: ConvGeometry, outputPadding: [Int]?, inputChannels: Int, filters: Int, kernel: [Scalar], bias: [Scalar]?,
                activation: Activation, channelsFirst: Bool) {
        precondition(kernel.count == geometry.kernel.reduce(1, *) * filters * inputChannels)
        self.geometry = geometry
        self.outputPadding = outputPadding
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
        self.channelsFirst = channelsFirst
    }

    public var maskRule: MaskRule { .drop }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }
    var dimensions: Int { geometry.kernel.count }
    var name: String { "Conv\(dimensions)DTranspose" }

    /// Keras's `_get_output_shape_given_tf_padding`.
    func outputExtent(_ n: Int, axis d: Int) -> Int {
        let (s, k) = (geometry.strides[d], geometry.span(d))
        switch (geometry.padding, outputPadding?[d]) {
        case (.same, nil): return n * s
        case (.same, let p?): return (n - 1) * s + k % 2 + p
        case (_, nil): return (n - 1) * s + k + (Swift.max(k, s) - k)
        case (_, let p?): return (n - 1) * s + k + p
        }
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let raw = try Shapes.single(inputs, name)
        guard raw.count == dimensions + 1 else {
            throw EngineError.invalidInput("\(name) takes an input of rank \(dimensions + 2), got \(Shapes.describe(raw))")
        }
        let x = channelsFirst ? ChannelsLayout.toLast(raw) : raw
        guard x.last! == nil || x.last! == inputChannels else {
            throw EngineError.invalidInput("\(name) with \(inputChannels) input channels got \(Shapes.describe(raw))")
        }
        let y: SymbolicShape = (0..<dimensions).map { d in x[d].map { outputExtent($0, axis: d) } } + [filters]
        return [channelsFirst ? ChannelsLayout.toFirst(y) : y]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(name).tensor
        guard x.rank == dimensions + 2 else { throw EngineError.shapeMismatch(what: "\(name) input", expected: "rank \(dimensions + 2)", actual: x.shape) }
        if channelsFirst { x = ChannelsLayout.toLast(x) }
        guard x.shape.last == inputChannels else {
            throw EngineError.shapeMismatch(what: "\(name) input", expected: "\(inputChannels) channels", actual: x.shape)
        }
        let batch = x.shape[0]
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let outSpatial = spatial.indices.map { outputExtent(spatial[$0], axis: $0) }
        try EngineLimits.check([batch] + outSpatial + [filters], of: Scalar.self, what: "\(name) output")
        // The padding before, as the forward convolution over the output would have it.
        let before = spatial.indices.map { d in
            geometry.padding == .same ? Swift.max((spatial[d] - 1) * geometry.strides[d] + geometry.span(d) - outSpatial[d], 0) / 2 : 0
        }
        let taps = geometry.kernel.reduce(1, *)
        // (in × taps·filters): column t·filters + f of row c is kernel[t, f, c].
        var w = [Scalar](repeating: 0, count: inputChannels * taps * filters)
        for t in 0..<taps { for f in 0..<filters { for c in 0..<inputChannels {
            w[c * taps * filters + t * filters + f] = kernel[(t * filters + f) * inputChannels + c]
        } } }
        let positions = spatial.reduce(1, *), outPositions = outSpatial.reduce(1, *)
        let inStrides = rowMajorStrides(spatial), outStrides = rowMajorStrides(outSpatial), kStrides = rowMajorStrides(geometry.kernel)
        var out = [Scalar](repeating: 0, count: batch * outPositions * filters)
        for b in 0..<batch {
            let rows = Array(x.scalars[(b * positions * inputChannels)..<((b + 1) * positions * inputChannels)])
            let spread = Kernels.product(rows, rows: positions, k: inputChannels, w, n: taps * filters, bias: nil, cache: cache)
            for p in 0..<positions {
                for t in 0..<taps {
                    var offset = 0
                    var inside = true
                    for d in spatial.indices {
                        let i = ((p / inStrides[d]) % spatial[d]) * geometry.strides[d] - before[d]
                            + ((t / kStrides[d]) % geometry.kernel[d]) * geometry.dilation[d]
                        if i < 0 || i >= outSpatial[d] { inside = false; break }
                        offset += i * outStrides[d]
                    }
                    guard inside else { continue }
                    let dst = (b * outPositions + offset) * filters, src = (p * taps + t) * filters
                    for f in 0..<filters { out[dst + f] += spread[src + f] }
                }
            }
        }
        if let bias { for i in stride(from: 0, to: out.count, by: filters) { for f in 0..<filters { out[i + f] += bias[f] } } }
        activation.apply(to: &out, rowLength: filters)
        var y = Tensor(shape: [batch] + outSpatial + [filters], scalars: out)
        if channelsFirst { y = ChannelsLayout.toFirst(y) }
        return [Value(y)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        TransposedConvolutionLayer<T>(geometry: geometry, outputPadding: outputPadding, inputChannels: inputChannels, filters: filters,
                                      kernel: kernel.converted(), bias: bias?.converted(), activation: activation, channelsFirst: channelsFirst)
    }

    public var summary: String {
        "filters=\(filters) kernel_size=\(geometry.kernel) strides=\(geometry.strides) padding=\(geometry.padding.rawValue) "
            + "output_padding=\(outputPadding.map { "\($0)" } ?? "None") dilation_rate=\(geometry.dilation) use_bias=\(bias != nil) activation=\(activation)"
    }
}
