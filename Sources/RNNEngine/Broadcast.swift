/// Which Keras defines a semantic where Keras 2 (tf.keras) and Keras 3 differ (merge masks,
/// `hard_sigmoid`, defaults). The importer picks it from the file's `keras_version`.
public enum KerasSemantics: String, Sendable, Equatable {
    case keras2 = "Keras 2"
    case keras3 = "Keras 3"
}

/// NumPy broadcasting on row-major tensors.
public enum Broadcast {
    /// The broadcast shape of `a` and `b` (NumPy rules: align trailing axes; an extent of 1
    /// stretches), or nil when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for k in 0..<rank {
            let x = k < rank - a.count ? 1 : a[k - (rank - a.count)]
            let y = k < rank - b.count ? 1 : b[k - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out[k] = x == 1 ? y : x
        }
        return out
    }

    /// The symbolic broadcast shape (without batch), or nil when the known extents clash.
    public static func shape(_ a: SymbolicShape, _ b: SymbolicShape) -> SymbolicShape? {
        let rank = max(a.count, b.count)
        var out = SymbolicShape(repeating: 1, count: rank)
        for k in 0..<rank {
            let x: Int? = k < rank - a.count ? 1 : a[k - (rank - a.count)]
            let y: Int? = k < rank - b.count ? 1 : b[k - (rank - b.count)]
            switch (x, y) {
            case (1, _): out[k] = y
            case (_, 1): out[k] = x
            case (nil, _), (_, nil): out[k] = x ?? y
            case let (p?, q?):
                guard p == q else { return nil }
                out[k] = p
            }
        }
        return out
    }

    /// For each element of a tensor of shape `target`, the offset of the element of a tensor of
    /// shape `source` that broadcasting pairs with it.
    public static func offsets(from source: [Int], to target: [Int]) -> [Int] {
        let count = target.reduce(1, *)
        if source == target { return Array(0..<count) }
        let rank = target.count
        let padded = [Int](repeating: 1, count: rank - source.count) + source
        var strides = [Int](repeating: 0, count: rank)
        var step = 1
        for k in stride(from: rank - 1, through: 0, by: -1) {
            strides[k] = padded[k] == 1 ? 0 : step
            step *= padded[k]
        }
        var out = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for n in 0..<count {
            out[n] = offset
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                offset += strides[k]
                if index[k] < target[k] { break }
                offset -= strides[k] * index[k]
                index[k] = 0
                k -= 1
            }
        }
        return out
    }

    /// `f(a, b)` element-wise with NumPy broadcasting.
    public static func apply<S, T>(_ a: Tensor<S>, _ b: Tensor<S>, what: String, _ f: (S, S) -> T) throws -> Tensor<T> {
        if a.shape == b.shape {
            return Tensor(shape: a.shape, scalars: zip(a.scalars, b.scalars).map(f))
        }
        guard let target = shape(a.shape, b.shape) else {
            throw EngineError.invalidInput("\(what): shapes \(EngineError.format(a.shape)) and \(EngineError.format(b.shape)) do not broadcast")
        }
        let (ia, ib) = (offsets(from: a.shape, to: target), offsets(from: b.shape, to: target))
        return Tensor(shape: target, scalars: zip(ia, ib).map { f(a.scalars[$0], b.scalars[$1]) })
    }

    /// `condition ? a : b` element-wise (NumPy's `where`), all three broadcast together.
    public static func select<S>(_ condition: Tensor<S>, _ a: Tensor<S>, _ b: Tensor<S>, what: String) throws -> Tensor<S>
    where S: BinaryFloatingPoint {
        guard let ab = shape(a.shape, b.shape), let target = shape(condition.shape, ab) else {
            throw EngineError.invalidInput("\(what): shapes \(EngineError.format(condition.shape)), \(EngineError.format(a.shape)) and \(EngineError.format(b.shape)) do not broadcast")
        }
        let (ic, ia, ib) = (offsets(from: condition.shape, to: target), offsets(from: a.shape, to: target), offsets(from: b.shape, to: target))
        return Tensor(shape: target, scalars: (0..<ic.count).map { condition.scalars[ic[$0]] != 0 ? a.scalars[ia[$0]] : b.scalars[ib[$0]] })
    }

    /// `x` stretched to `target` (which it must broadcast to).
    public static func expand<S>(_ x: Tensor<S>, to target: [Int]) -> Tensor<S> {
        if x.shape == target { return x }
        return Tensor(shape: target, scalars: offsets(from: x.shape, to: target).map { x.scalars[$0] })
    }
}
