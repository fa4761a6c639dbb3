/// `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` and the global poolings.

/// How a pooling window treats the edges (TensorFlow's `padding`).
public enum Padding: String, Sendable, Equatable {
    /// Only windows entirely inside the input.
    case valid
    /// `ceil(n / stride)` windows; the missing elements are padded, more after than before, and
    /// never take part (a max ignores them, an average divides by the elements it covers).
    case same
    /// Convolutions only: `kernel − 1` zeros before the input (`Conv1D(padding="causal")`).
    case causal

    /// The output length and the padding before, for an input of `n`, a window of `k` (already
    /// dilated) and a stride.
    public func window(_ n: Int, kernel k: Int, stride: Int) -> (count: Int, before: Int) {
        switch self {
        case .valid: return (n >= k ? (n - k) / stride + 1 : 0, 0)
        case .same:
            // ceil(n / stride) windows; the padding (out − 1)·stride + k − n, written so that
            // no intermediate can overflow for any n.
            let out = n / stride + (n % stride == 0 ? 0 : 1)
            let total = out == 0 ? 0 : max(k - (n - (out - 1) * stride), 0)
            return (out, total / 2)
        case .causal: return ((n - 1) / stride + 1, k - 1)
        }
    }
}

/// Moves the channels axis of a `channels_first` tensor last, and back.
enum ChannelsLayout {
    static func toLast<S>(_ x: Tensor<S>) -> Tensor<S> { x.transposed([0] + Array(2..<x.rank) + [1]) }
    static func toFirst<S>(_ x: Tensor<S>) -> Tensor<S> { x.transposed([0, x.rank - 1] + Array(1..<(x.rank - 1))) }
    /// A symbolic shape (without batch) in channels-last order.
    static func toLast(_ s: SymbolicShape) -> SymbolicShape { Array(s.dropFirst()) + [s[0]] }
    static func toFirst(_ s: SymbolicShape) -> SymbolicShape { [s[s.count - 1]] + Array(s.dropLast()) }
}

/// A max or an average.
public enum PoolingMode: String, Sendable { case max, average }

/// `MaxPooling{1,2,3}D` and `AveragePooling{1,2,3}D` over the spatial axes. Masks are dropped.
public struct PoolingLayer<Scalar: EngineScalar>: Layer {
    public var mode: PoolingMode
    public var poolSize: [Int]
    public var strides: [Int]
    public var padding: Padding
    public var channelsFirst: Bool

    public init(mode: PoolingMode, poolSize: [Int], strides: [Int], padding: Padding, channelsFirst: Bool = false) {
        precondition(poolSize.count == strides.count && !poolSize.isEmpty)
        self.mode = mode
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
        self.channelsFirst = channelsFirst
    }

    public var maskRule: MaskRule { .drop }
    var name: String { (mode == .max ? "MaxPooling" : "AveragePooling") + "\(poolSize.count)D" }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let raw = try Shapes.single(inputs, name)
        guard raw.count == poolSize.count + 1 else {
            throw EngineError.invalidInput("\(name) takes an input of rank \(poolSize.count + 2), got \(Shapes.describe(raw))")
        }
        var x = channelsFirst ? ChannelsLayout.toLast(raw) : raw
        for d in poolSize.indices {
            guard let n = x[d] else { continue }
            let (count, _) = padding.window(n, kernel: poolSize[d], stride: strides[d])
            guard count >= 1 else { throw EngineError.invalidInput("\(name) pool_size \(poolSize) is larger than its input \(Shapes.describe(raw)) with padding '\(padding.rawValue)'") }
            x[d] = count
        }
        return [channelsFirst ? ChannelsLayout.toFirst(x) : x]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(name).tensor
        guard x.rank == poolSize.count + 2 else {
            throw EngineError.shapeMismatch(what: "\(name) input", expected: "rank \(poolSize.count + 2)", actual: x.shape)
        }
        if channelsFirst { x = ChannelsLayout.toLast(x) }
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let (batch, channels) = (x.shape[0], x.shape[x.rank - 1])
        let windows = zip(spatial.indices, spatial).map { d, n in padding.window(n, kernel: poolSize[d], stride: strides[d]) }
        let outSpatial = windows.map(\.count)
        guard outSpatial.allSatisfy({ $0 >= 1 }) else {
            throw EngineError.invalidInput("\(name) pool_size \(poolSize) is larger than its input \(EngineError.format(x.shape)) with padding '\(padding.rawValue)'")
        }
        let outCount = outSpatial.reduce(1, *)
        var out = [Scalar](repeating: 0, count: batch * outCount * channels)
        var acc = [Scalar](repeating: 0, count: channels)
        let inStrides = Self.strides(spatial)
        let outStrides = Self.strides(outSpatial)
        let inCount = spatial.reduce(1, *)
        let isMax = mode == .max
        var lo = [Int](repeating: 0, count: spatial.count), hi = lo, p = lo
        for b in 0..<batch {
            for o in 0..<outCount {
                // The window's range along each spatial axis, clipped to the input.
                for d in spatial.indices {
                    let i = (o / outStrides[d]) % outSpatial[d]
                    let start = i * strides[d] - windows[d].before
                    lo[d] = max(start, 0)
                    hi[d] = min(start + poolSize[d], spatial[d])
                }
                for c in 0..<channels { acc[c] = isMax ? -Scalar.infinity : 0 }
                var covered = 0
                for d in spatial.indices { p[d] = lo[d] }
                iterate: while true {
                    var offset = 0
                    for d in spatial.indices { offset += p[d] * inStrides[d] }
                    let base = (b * inCount + offset) * channels
                    if isMax {
                        for c in 0..<channels { acc[c] = Swift.max(acc[c], x.scalars[base + c]) }
                    } else {
                        for c in 0..<channels { acc[c] += x.scalars[base + c] }
                    }
                    covered += 1
                    var d = spatial.count - 1
                    while d >= 0 {
                        p[d] += 1
                        if p[d] < hi[d] { continue iterate }
                        p[d] = lo[d]
                        d -= 1
                    }
                    break
                }
                let dst = (b * outCount + o) * channels
                for c in 0..<channels { out[dst + c] = isMax ? acc[c] : acc[c] / Scalar(covered) }
            }
        }
        var y = Tensor(shape: [batch] + outSpatial + [channels], scalars: out)
        if channelsFirst { y = ChannelsLayout.toFirst(y) }
        return [Value(y)]
    }

    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { s[d] = s[d + 1] * shape[d + 1] }
        return s
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        PoolingLayer<T>(mode: mode, poolSize: poolSize, strides: strides, padding: padding, channelsFirst: channelsFirst)
    }

    public var summary: String {
        "pool_size=\(poolSize) strides=\(strides) padding=\(padding.rawValue)" + (channelsFirst ? " data_format=channels_first" : "")
    }
}

/// `GlobalMaxPooling{1,2,3}D` and `GlobalAveragePooling{1,2,3}D`: a max or mean over every
/// spatial axis. `GlobalAveragePooling1D` averages only the steps its mask keeps (Keras 3
/// zeroes masked steps with `where`, Keras 2 multiplies by the mask, which turns an infinity
/// into NaN); the output carries no mask.
public struct GlobalPoolingLayer<Scalar: EngineScalar>: Layer {
    public var mode: PoolingMode
    public var dimensions: Int
    public var keepdims: Bool
    public var channelsFirst: Bool
    public var semantics: KerasSemantics

    public init(mode: PoolingMode, dimensions: Int, keepdims: Bool = false, channelsFirst: Bool = false,
                semantics: KerasSemantics = .keras3) {
        self.mode = mode
        self.dimensions = dimensions
        self.keepdims = keepdims
        self.channelsFirst = channelsFirst
        self.semantics = semantics
    }

    /// Only the 1-D average takes a mask; every global pooling returns none.
    public var maskRule: MaskRule { .compute }
    var name: String { (mode == .max ? "GlobalMaxPooling" : "GlobalAveragePooling") + "\(dimensions)D" }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let raw = try Shapes.single(inputs, name)
        guard raw.count == dimensions + 1 else {
            throw EngineError.invalidInput("\(name) takes an input of rank \(dimensions + 2), got \(Shapes.describe(raw))")
        }
        let channels = channelsFirst ? raw[0] : raw[dimensions]
        guard keepdims else { return [[channels]] }
        let ones = SymbolicShape(repeating: 1, count: dimensions)
        return [channelsFirst ? [channels] + ones : ones + [channels]]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(name).tensor
        guard x.rank == dimensions + 2 else {
            throw EngineError.shapeMismatch(what: "\(name) input", expected: "rank \(dimensions + 2)", actual: x.shape)
        }
        if channelsFirst { x = ChannelsLayout.toLast(x) }
        let (batch, channels) = (x.shape[0], x.shape[x.rank - 1])
        let steps = x.count / max(batch * channels, 1)
        let mask = mode == .average && dimensions == 1 ? call.masks[0] : nil
        if let mask, mask.shape != [batch, steps] {
            throw EngineError.shapeMismatch(what: "\(name) mask", expected: "(\(batch), \(steps))", actual: mask.shape)
        }
        var out = [Scalar](repeating: mode == .max ? -Scalar.infinity : 0, count: batch * channels)
        for b in 0..<batch {
            var kept: Scalar = 0
            for t in 0..<steps {
                let keep = mask.map { $0.values[b * steps + t] } ?? true
                if keep { kept += 1 }
                for c in 0..<channels {
                    var v = x.scalars[(b * steps + t) * channels + c]
                    switch mode {
                    case .max: out[b * channels + c] = Swift.max(out[b * channels + c], v)
                    case .average:
                        if !keep { v = semantics == .keras3 ? 0 : v * 0 }
                        out[b * channels + c] += v
                    }
                }
            }
            if mode == .average {
                let divisor = mask == nil ? Scalar(steps) : kept
                for c in 0..<channels { out[b * channels + c] = out[b * channels + c] / divisor }
            }
        }
        let ones = [Int](repeating: 1, count: dimensions)
        let shape = keepdims ? (channelsFirst ? [channels] + ones : ones + [channels]) : [channels]
        let y = Tensor(shape: [batch] + shape, scalars: out)
        return [Value(y)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        GlobalPoolingLayer<T>(mode: mode, dimensions: dimensions, keepdims: keepdims,
                              channelsFirst: channelsFirst, semantics: semantics)
    }

    public var summary: String {
        "keepdims=\(keepdims)" + (channelsFirst ? " data_format=channels_first" : "") + (mode == .average && dimensions == 1 ? " (masked mean as in \(semantics.rawValue))" : "")
    }
}
