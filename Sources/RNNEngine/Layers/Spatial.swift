/// `ZeroPadding2D/3D`, `Cropping2D/3D`, `UpSampling2D/3D`: the spatial axes of
/// `(batch, spatial…, channels)` (or channels first) padded with zeros, cropped, or each
/// element repeated (`UpSampling2D(interpolation="bilinear")` resizes as TensorFlow's
/// `tf.image.resize`, with half-pixel centers, in float32 like TensorFlow's kernel). Masks are dropped, as in Keras.
public struct SpatialResizeLayer<Scalar: EngineScalar>: Layer {
    public enum Operation: Sendable, Equatable {
        /// (before, after) per spatial axis.
        case pad([(Int, Int)])
        case crop([(Int, Int)])
        case repeatEach([Int])
        case bilinear([Int])

        public static func == (a: Operation, b: Operation) -> Bool {
            switch (a, b) {
            case (.pad(let x), .pad(let y)), (.crop(let x), .crop(let y)): return x.map { [$0.0, $0.1] } == y.map { [$0.0, $0.1] }
            case (.repeatEach(let x), .repeatEach(let y)), (.bilinear(let x), .bilinear(let y)): return x == y
            default: return false
            }
        }
    }

    public var operation: Operation
    public var channelsFirst: Bool

    public init(_ operation: Operation, channelsFirst: Bool = false) {
        self.operation = operation
        self.channelsFirst = channelsFirst
    }

    public var maskRule: MaskRule { .drop }

    var dimensions: Int {
        switch operation {
        case .pad(let p), .crop(let p): return p.count
        case .repeatEach(let s), .bilinear(let s): return s.count
        }
    }

    var name: String {
        switch operation {
        case .pad: return "ZeroPadding\(dimensions)D"
        case .crop: return "Cropping\(dimensions)D"
        case .repeatEach, .bilinear: return "UpSampling\(dimensions)D"
        }
    }

    func extent(_ n: Int, axis d: Int) throws -> Int {
        switch operation {
        case .pad(let p): return n + p[d].0 + p[d].1
        case .crop(let p):
            guard p[d].0 + p[d].1 < n else { throw EngineError.invalidInput("\(name) cropping \(p[d].0) + \(p[d].1) is not smaller than the extent \(n) of spatial axis \(d + 1)") }
            return n - p[d].0 - p[d].1
        case .repeatEach(let s), .bilinear(let s): return n * s[d]
        }
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let raw = try Shapes.single(inputs, name)
        guard raw.count == dimensions + 1 else { throw EngineError.invalidInput("\(name) takes an input of rank \(dimensions + 2), got \(Shapes.describe(raw))") }
        var x = channelsFirst ? ChannelsLayout.toLast(raw) : raw
        for d in 0..<dimensions { if let n = x[d] { x[d] = try extent(n, axis: d) } }
        return [channelsFirst ? ChannelsLayout.toFirst(x) : x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(name).tensor
        guard x.rank == dimensions + 2 else { throw EngineError.shapeMismatch(what: "\(name) input", expected: "rank \(dimensions + 2)", actual: x.shape) }
        if channelsFirst { x = ChannelsLayout.toLast(x) }
        let (batch, channels) = (x.shape[0], x.shape[x.rank - 1])
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let out = try spatial.indices.map { try extent(spatial[$0], axis: $0) }
        try EngineLimits.check([batch] + out + [channels], of: Scalar.self, what: "\(name) output")
        let inStrides = rowMajorStrides(spatial), outStrides = rowMajorStrides(out)
        let (inCount, outCount) = (spatial.reduce(1, *), out.reduce(1, *))
        let count = batch * outCount * channels
        var y: [Scalar]
        if case .bilinear = operation {
            // TensorFlow's ResizeBilinear kernel (half-pixel centers) computes in float32 whatever
            // the tensor's type, so a float64 Keras model carries its roundings too: per axis, the
            // source position (i + 0.5) · (n / n′) − 0.5, its floor and ceiling clamped to the
            // axis, and the lerp weight position − floor; then top = tl + (tr − tl)·x_lerp,
            // bottom = bl + (br − bl)·x_lerp, top + (bottom − top)·y_lerp. Keras only allows
            // bilinear in UpSampling2D.
            guard dimensions == 2 else { throw EngineError.invalidInput("\(name): bilinear interpolation needs 2 spatial axes") }
            let weights = (0..<2).map { d in (0..<out[d]).map { i -> (Int, Int, Float) in
                let position = (Float(i) + 0.5) * (Float(spatial[d]) / Float(out[d])) - 0.5
                let floor = position.rounded(.down)
                return (Swift.max(Int(floor), 0), Swift.min(Int(position.rounded(.up)), spatial[d] - 1), position - floor)
            } }
            let cols = spatial[1]
            let xf = x.scalars.converted(to: Float.self)
            var yf = [Float](repeating: 0, count: count)
            for b in 0..<batch {
                for row in 0..<out[0] {
                    let (y0, y1, yLerp) = weights[0][row]
                    for col in 0..<out[1] {
                        let (x0, x1, xLerp) = weights[1][col]
                        let o = ((b * out[0] + row) * out[1] + col) * channels
                        let tl = (b * inCount + y0 * cols + x0) * channels, tr = (b * inCount + y0 * cols + x1) * channels
                        let bl = (b * inCount + y1 * cols + x0) * channels, br = (b * inCount + y1 * cols + x1) * channels
                        for c in 0..<channels {
                            let topLeft = xf[tl + c], bottomLeft = xf[bl + c]
                            let top = topLeft + (xf[tr + c] - topLeft) * xLerp
                            let bottom = bottomLeft + (xf[br + c] - bottomLeft) * xLerp
                            yf[o + c] = top + (bottom - top) * yLerp
                        }
                    }
                }
            }
            y = yf.converted(to: Scalar.self)
        } else {
            y = [Scalar](repeating: 0, count: count)
            // Per spatial axis, where each output index reads from (as an offset into one
            // example's positions), or -1 outside the input (a zero of the padding).
            let sources: [[Int]] = (0..<dimensions).map { d in
                (0..<out[d]).map { i in
                    let source: Int
                    switch operation {
                    case .pad(let p): source = i - p[d].0
                    case .crop(let p): source = i + p[d].0
                    case .repeatEach(let s): source = i / s[d]
                    case .bilinear: source = i
                    }
                    return source >= 0 && source < spatial[d] ? source * inStrides[d] : -1
                }
            }
            x.scalars.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    for o in 0..<outCount {
                        var offset = 0
                        for d in 0..<dimensions {
                            let source = sources[d][(o / outStrides[d]) % out[d]]
                            if source < 0 { offset = -1; break }
                            offset += source
                        }
                        guard offset >= 0 else { continue }
                        for b in 0..<batch {
                            let dst = (b * outCount + o) * channels, src = (b * inCount + offset) * channels
                            for c in 0..<channels { ys[dst + c] = xs[src + c] }
                        }
                    }
                }
            }
        }
        var t = Tensor(shape: [batch] + out + [channels], scalars: y)
        if channelsFirst { t = ChannelsLayout.toFirst(t) }
        return [Value(t)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        let op: SpatialResizeLayer<T>.Operation
        switch operation {
        case .pad(let p): op = .pad(p)
        case .crop(let p): op = .crop(p)
        case .repeatEach(let s): op = .repeatEach(s)
        case .bilinear(let s): op = .bilinear(s)
        }
        return SpatialResizeLayer<T>(op, channelsFirst: channelsFirst)
    }

    public var summary: String {
        let text: String
        switch operation {
        case .pad(let p): text = "padding=\(p.map { [$0.0, $0.1] })"
        case .crop(let p): text = "cropping=\(p.map { [$0.0, $0.1] })"
        case .repeatEach(let s): text = "size=\(s)"
        case .bilinear(let s): text = "size=\(s) interpolation=bilinear"
        }
        return text + (channelsFirst ? " data_format=channels_first" : "")
    }
}
