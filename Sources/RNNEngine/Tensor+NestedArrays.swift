/// Tensors from nested Swift arrays, the way a Keras user writes `np.array([[...]])`: the shape
/// is read off the nesting, outermost axis first, and the elements are laid out row-major.
///
/// ```swift
/// let x = try Tensor<Float>([[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]])   // shape [1, 2, 3]
/// let tokens = try Tensor<Float>(ids: [[4, 9, 2, 0, 0]])              // shape [1, 5]
/// ```
///
/// Every row along an axis must have the same length: a ragged array throws
/// ``EngineError/invalidInput(_:)`` naming the first row that differs. An axis of extent 0
/// leaves the extents inside it unknown, so `[]` as a rank-2 (or deeper) array throws too; make
/// an empty tensor with ``init(shape:scalars:)``. Deeper than rank 4: ``init(shape:scalars:)``.
extension Tensor where Scalar: BinaryFloatingPoint {
    /// A rank-1 tensor: shape `[scalars.count]`.
    public init(_ scalars: [Scalar]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A rank-2 tensor, `rows[i][j]` at `[i, j]`.
    ///
    /// - Throws: ``EngineError/invalidInput(_:)`` when the rows differ in length, or `rows` is
    ///   empty (the second extent is then unknown).
    public init(_ rows: [[Scalar]]) throws {
        var shape = [rows.count]
        let scalars = try NestedArrays.join(rows, shape: &shape)
        self.init(shape: shape, scalars: scalars)
    }

    /// A rank-3 tensor, `(batch, time, features)` for a recurrent layer: `x[b][t][f]` at `[b, t, f]`.
    ///
    /// - Throws: ``EngineError/invalidInput(_:)`` when the array is ragged or an outer axis has
    ///   extent 0.
    public init(_ batches: [[[Scalar]]]) throws {
        var shape = [batches.count]
        let rows = try NestedArrays.join(batches, shape: &shape)
        let scalars = try NestedArrays.join(rows, shape: &shape)
        self.init(shape: shape, scalars: scalars)
    }

    /// A rank-4 tensor: `x[a][b][c][d]` at `[a, b, c, d]`.
    ///
    /// - Throws: ``EngineError/invalidInput(_:)`` when the array is ragged or an outer axis has
    ///   extent 0.
    public init(_ batches: [[[[Scalar]]]]) throws {
        var shape = [batches.count]
        let planes = try NestedArrays.join(batches, shape: &shape)
        let rows = try NestedArrays.join(planes, shape: &shape)
        let scalars = try NestedArrays.join(rows, shape: &shape)
        self.init(shape: shape, scalars: scalars)
    }

    /// Integer token ids as the engine takes them: every tensor holds floating-point scalars, and
    /// an `Embedding` looks up row `Int(id)`. Shape `[ids.count]`.
    ///
    /// - Throws: ``EngineError/invalidInput(_:)`` for an id that `Scalar` cannot hold exactly
    ///   (`Float` holds every integer up to 2^24 = 16,777,216 in magnitude).
    public init<I: BinaryInteger>(ids: [I]) throws {
        try self.init(ids: ids, shape: [ids.count])
    }

    /// Token ids of shape `(batch, time)`, the usual input of an `Embedding`: `ids[b][t]` at `[b, t]`.
    ///
    /// - Throws: ``EngineError/invalidInput(_:)`` for ragged rows, an empty array, or an id that
    ///   `Scalar` cannot hold exactly.
    public init<I: BinaryInteger>(ids: [[I]]) throws {
        var shape = [ids.count]
        let flat = try NestedArrays.join(ids, shape: &shape)
        try self.init(ids: flat, shape: shape)
    }

    /// Token ids of rank 3: `ids[a][b][c]` at `[a, b, c]`.
    ///
    /// - Throws: ``EngineError/invalidInput(_:)`` for a ragged or empty array, or an id that
    ///   `Scalar` cannot hold exactly.
    public init<I: BinaryInteger>(ids: [[[I]]]) throws {
        var shape = [ids.count]
        let rows = try NestedArrays.join(ids, shape: &shape)
        let flat = try NestedArrays.join(rows, shape: &shape)
        try self.init(ids: flat, shape: shape)
    }

    private init<I: BinaryInteger>(ids flat: [I], shape: [Int]) throws {
        var scalars = [Scalar]()
        scalars.reserveCapacity(flat.count)
        for (k, id) in flat.enumerated() {
            guard let value = Scalar(exactly: id) else {
                throw EngineError.invalidInput(
                    "token id \(id) at \(NestedArrays.path(k, in: shape)) is not exactly representable as \(Scalar.self); "
                        + "the nearest \(Scalar.self) would select another Embedding row")
            }
            scalars.append(value)
        }
        self.init(shape: shape, scalars: scalars)
    }
}

/// Shape inference for nested arrays, one axis at a time.
enum NestedArrays {
    /// Concatenates `parts` (the elements of the axes in `shape` so far, row-major), checking that
    /// every part has the first part's length, which becomes the next extent in `shape`.
    static func join<Element>(_ parts: [[Element]], shape: inout [Int]) throws -> [Element] {
        guard let first = parts.first else {
            throw EngineError.invalidInput(
                "cannot infer the shape of a nested array with no elements: axis \(shape.count) has no rows to measure "
                    + "(shape so far \(describe(shape))); make an empty tensor with Tensor(shape:scalars:)")
        }
        let extent = first.count
        var joined = [Element]()
        joined.reserveCapacity(parts.count * extent)
        for (k, part) in parts.enumerated() {
            guard part.count == extent else {
                throw EngineError.invalidInput(
                    "ragged nested array: \(path(k, in: shape)) has \(part.count) element(s) but \(path(0, in: shape)) has \(extent); "
                        + "every row along an axis must have the same length")
            }
            joined.append(contentsOf: part)
        }
        shape.append(extent)
        return joined
    }

    /// The multi-index of row-major offset `k` in `shape`, as `[i, j, ...]`.
    static func path(_ k: Int, in shape: [Int]) -> String {
        var rest = k
        var index = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return "[" + index.map(String.init).joined(separator: ", ") + "]"
    }

    static func describe(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + ", ...)"
    }
}
