/// A dense, row-major array of scalars with a shape.
///
/// Recurrent tensors are `(batch, time, features)`; states and last outputs are
/// `(batch, units)`. The engine keeps shapes explicit and checks them at model boundaries.
public struct Tensor<Scalar>: Sendable where Scalar: Sendable {
    /// The extent of each axis, outermost first.
    public var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Scalar]

    /// Creates a tensor from its elements.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(
            scalars.count == shape.reduce(1, *),
            "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor whose every element is `value`.
    public init(shape: [Int], repeating value: Scalar) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The element at a full multi-index.
    public subscript(_ index: Int...) -> Scalar {
        get { scalars[flatIndex(index)] }
        set { scalars[flatIndex(index)] = newValue }
    }

    /// The row-major offset of a full multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var offset = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) out of range for shape \(shape)")
            offset = offset * extent + i
        }
        return offset
    }

    /// The multi-index of a row-major offset.
    public func multiIndex(_ flat: Int) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}

extension Tensor: Equatable where Scalar: Equatable {}

extension Tensor where Scalar: BinaryFloatingPoint {
    /// The same values in another floating-point type (exact from float32 to float64).
    public func converted<T: BinaryFloatingPoint>(to: T.Type = T.self) -> Tensor<T> {
        Tensor<T>(shape: shape, scalars: scalars.converted(to: T.self))
    }
}

/// A Keras mask: which elements of a tensor's leading axes are real data (`true`) and which are
/// padding. Recurrent layers take `(batch, time)` masks; other layers' masks have their own shape
/// (an `Embedding` over `(batch, a, b)` ids gives an `(batch, a, b)` mask).
public struct Mask: Sendable, Equatable {
    /// The extent of each axis, batch first.
    public var shape: [Int]
    /// Row-major flags.
    public var values: [Bool]

    public init(shape: [Int], values: [Bool]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in mask shape \(shape)")
        precondition(values.count == shape.reduce(1, *), "mask of shape \(shape) needs \(shape.reduce(1, *)) flags, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A `(batch, time)` mask.
    public init(batch: Int, time: Int, values: [Bool]) {
        self.init(shape: [batch, time], values: values)
    }

    /// The flags of a boolean tensor (any element other than zero is `true`).
    public init<S: BinaryFloatingPoint>(_ tensor: Tensor<S>) {
        self.init(shape: tensor.shape, values: tensor.scalars.map { $0 != 0 })
    }

    public var rank: Int { shape.count }
    /// The batch extent (the first axis).
    public var batch: Int { shape.first ?? 1 }
    /// The second axis of a `(batch, time)` mask.
    public var time: Int { shape.count > 1 ? shape[1] : 1 }

    /// The flag at `(b, t)` of a `(batch, time)` mask.
    public subscript(b: Int, t: Int) -> Bool { values[b * time + t] }

    /// Keeps an element only where both masks keep it.
    public func and(_ other: Mask) -> Mask {
        precondition(shape == other.shape, "masks of different shapes \(shape) and \(other.shape)")
        return Mask(shape: shape, values: zip(values, other.values).map { $0 && $1 })
    }

    /// The mask as a tensor of 0 and 1.
    public func tensor<S: BinaryFloatingPoint>(as _: S.Type = S.self) -> Tensor<S> {
        Tensor(shape: shape, scalars: values.map { $0 ? 1 : 0 })
    }
}

extension Tensor {
    /// The tensor with its axes reordered: axis `k` of the result is axis `perm[k]` of `self`.
    ///
    /// - Precondition: `perm` is a permutation of `0..<rank`.
    public func transposed(_ perm: [Int]) -> Tensor {
        precondition(perm.sorted() == Array(0..<rank), "\(perm) is not a permutation of \(rank) axes")
        if perm == Array(0..<rank) { return self }
        let newShape = perm.map { shape[$0] }
        var strides = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
        let permutedStrides = perm.map { strides[$0] }
        var out = [Scalar]()
        out.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for _ in 0..<count {
            out.append(scalars[offset])
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                offset += permutedStrides[k]
                if index[k] < newShape[k] { break }
                offset -= permutedStrides[k] * index[k]
                index[k] = 0
                k -= 1
            }
        }
        return Tensor(shape: newShape, scalars: out)
    }
}
