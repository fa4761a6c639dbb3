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
        Tensor<T>(shape: shape, scalars: scalars.map { T($0) })
    }
}

/// Which timesteps of a `(batch, time)` sequence are real data (`true`) and which are padding.
public struct Mask: Sendable, Equatable {
    public var batch: Int
    public var time: Int
    /// Row-major `(batch, time)` flags.
    public var values: [Bool]

    public init(batch: Int, time: Int, values: [Bool]) {
        precondition(values.count == batch * time, "mask needs \(batch * time) flags, got \(values.count)")
        self.batch = batch
        self.time = time
        self.values = values
    }

    public subscript(b: Int, t: Int) -> Bool { values[b * time + t] }

    /// Keeps a step only where both masks keep it.
    public func and(_ other: Mask) -> Mask {
        precondition(batch == other.batch && time == other.time, "masks of different shapes")
        return Mask(batch: batch, time: time, values: zip(values, other.values).map { $0 && $1 })
    }
}
