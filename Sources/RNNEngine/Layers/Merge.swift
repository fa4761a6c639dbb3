/// Element-wise merges of several tensors (`Add`, `Subtract`, `Multiply`, `Average`,
/// `Maximum`, `Minimum`).
public enum MergeOperation: String, Sendable, Equatable, CaseIterable {
    case add, subtract, multiply, average, maximum, minimum
}

/// `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` on tensors of any rank, with
/// NumPy broadcasting; an input of lower rank gets axes inserted after the batch axis first, as
/// Keras does (`keras/src/layers/merging/base_merge.py`).
///
/// Masks differ by Keras version. Keras 3: the output mask is the OR of the input masks when
/// every input has one (else none); `Maximum` / `Minimum` ignore an input's masked elements
/// (they take the other operand there), and `Multiply` counts them as 1 and, when every input
/// has a mask, gives 0 where all are masked. Keras 2: the AND of the masks present, and the
/// values never depend on the masks.
public struct MergeLayer<Scalar: EngineScalar>: Layer {
    public var operation: MergeOperation
    public var semantics: KerasSemantics

    public init(_ operation: MergeOperation, semantics: KerasSemantics = .keras3) {
        self.operation = operation
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .compute }

    var name: String { operation.rawValue.prefix(1).uppercased() + operation.rawValue.dropFirst() }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard inputs.count >= (operation == .subtract ? 2 : 1), operation != .subtract || inputs.count == 2 else {
            throw EngineError.invalidInput("\(name) takes \(operation == .subtract ? "exactly two" : "at least one") input(s), got \(inputs.count)")
        }
        let rank = inputs.map(\.count).max() ?? 0
        var shape: SymbolicShape = Self.raised(inputs[0], to: rank)
        for s in inputs.dropFirst() {
            guard let b = Broadcast.shape(shape, Self.raised(s, to: rank)) else {
                throw EngineError.invalidInput("\(name) inputs have incompatible shapes \(inputs.map(Shapes.describe).joined(separator: ", "))")
            }
            shape = b
        }
        return [shape]
    }

    /// A shape with axes of extent 1 inserted after the batch axis up to `rank` (without batch).
    static func raised(_ shape: SymbolicShape, to rank: Int) -> SymbolicShape {
        SymbolicShape(repeating: 1, count: rank - shape.count) + shape
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        _ = try outputShapes(for: call.inputs.map { $0.tensor.shape.dropFirst().map { $0 } })
        let rank = call.inputs.map { $0.tensor.rank }.max() ?? 0
        let xs = call.inputs.map { v in
            Tensor(shape: [v.tensor.shape[0]] + [Int](repeating: 1, count: rank - v.tensor.rank) + v.tensor.shape.dropFirst(),
                   scalars: v.tensor.scalars)
        }
        let mask = try outputMask(call)
        if semantics == .keras3 {
            // The masks the tensors carry, as `backend.get_keras_mask(x)` sees them inside
            // `call`; an input Keras had to expand to a higher rank is a new tensor without one.
            let carried = call.inputs.map { $0.tensor.rank == rank ? $0.mask : nil }
            switch operation {
            case .maximum, .minimum: return [Value(try maskedExtremum(xs, carried: carried), mask: mask)]
            case .multiply: return [Value(try maskedProduct(xs, carried: carried), mask: mask)]
            case .add, .subtract, .average: break
            }
        }
        var out = xs[0]
        for x in xs.dropFirst() {
            if x.shape == out.shape, operation == .add || operation == .average {
                // Same shapes (the usual residual Add): one loop, the same additions.
                out.scalars.withUnsafeMutableBufferPointer { o in
                    x.scalars.withUnsafeBufferPointer { v in for i in 0..<o.count { o[i] = o[i] + v[i] } }
                }
                continue
            }
            out = try Broadcast.apply(out, x, what: name) { (a: Scalar, b: Scalar) -> Scalar in
                switch operation {
                case .add, .average: return a + b
                case .subtract: return a - b
                case .multiply: return a * b
                case .maximum: return Swift.max(a, b)
                case .minimum: return Swift.min(a, b)
                }
            }
        }
        if operation == .average {
            let n = Scalar(xs.count)
            for i in out.scalars.indices { out.scalars[i] = out.scalars[i] / n }
        }
        return [Value(out, mask: mask)]
    }

    /// `ops.broadcast_to(ops.expand_dims(mask, -1), ops.shape(x))` as 0 and 1, or nil without a mask.
    func spread(_ m: Mask?, _ x: Tensor<Scalar>) throws -> Tensor<Scalar>? {
        guard let m else { return nil }
        let expanded = Tensor<Scalar>(shape: m.shape + [1], scalars: m.values.map { $0 ? 1 : 0 })
        guard Broadcast.shape(expanded.shape, x.shape) == x.shape else {
            throw EngineError.invalidInput("\(name): a mask of shape \(EngineError.format(m.shape)) does not fit an input of shape \(EngineError.format(x.shape))")
        }
        return Broadcast.expand(expanded, to: x.shape)
    }

    /// Keras 3's `Multiply._merge_function`: a masked element counts as 1 (`where(mask, x, 1)`);
    /// when every input has a mask, the product is 0 where all of them are masked.
    func maskedProduct(_ xs: [Tensor<Scalar>], carried: [Mask?]) throws -> Tensor<Scalar> {
        let everyInputMasked = carried.allSatisfy { $0 != nil }
        var output: Tensor<Scalar>?
        var either: Tensor<Scalar>?
        for (x0, m) in zip(xs, carried) {
            var x = x0
            if let mask = try spread(m, x) {
                x = try Broadcast.select(mask, x, Tensor(shape: [], scalars: [1]), what: name)
                if everyInputMasked {
                    either = try either.map { try Broadcast.apply($0, mask, what: name) { ($0 != 0 || $1 != 0) ? 1 : 0 } } ?? mask
                }
            }
            output = try output.map { try Broadcast.apply($0, x, what: name, *) } ?? x
        }
        guard var product = output else { throw EngineError.invalidInput("\(name) has no inputs") }
        if let either { product = try Broadcast.select(either, product, Tensor(shape: [], scalars: [0]), what: name) }
        return product
    }

    /// Keras 3's `_apply_merge_op_and_or_mask`: where an input is masked it does not take part.
    func maskedExtremum(_ xs: [Tensor<Scalar>], carried: [Mask?]) throws -> Tensor<Scalar> {
        let pick: (Scalar, Scalar) -> Scalar = operation == .maximum ? { Swift.max($0, $1) } : { Swift.min($0, $1) }
        var output = xs[0]
        var outputMask = try spread(carried[0], xs[0])
        for (x0, m) in zip(xs.dropFirst(), carried.dropFirst()) {
            var x = x0
            let mask = try spread(m, x)
            if let mask { x = try Broadcast.select(mask, x, output, what: name) }
            if let outputMask { output = try Broadcast.select(outputMask, output, x, what: name) }
            if let mask, let om = outputMask {
                outputMask = try Broadcast.apply(om, mask, what: name) { ($0 != 0 || $1 != 0) ? 1 : 0 }
            } else {
                outputMask = nil
            }
            output = try Broadcast.apply(output, x, what: name, pick)
        }
        return output
    }

    func outputMask(_ call: LayerCall<Scalar>) throws -> Mask? {
        let masks = call.previousMasks
        switch semantics {
        case .keras3:
            guard !masks.isEmpty, masks.allSatisfy({ $0 != nil }) else { return nil }
            return try masks.dropFirst().reduce(masks[0]!) { try Self.combine($0, $1!, name: name, or: true) }
        case .keras2:
            let present = masks.compactMap { $0 }
            guard let first = present.first else { return nil }
            return try present.dropFirst().reduce(first) { try Self.combine($0, $1, name: name, or: false) }
        }
    }

    static func combine(_ a: Mask, _ b: Mask, name: String, or: Bool) throws -> Mask {
        let t = try Broadcast.apply(a.tensor(as: Double.self), b.tensor(as: Double.self), what: "\(name) masks") {
            (or ? ($0 != 0 || $1 != 0) : ($0 != 0 && $1 != 0)) ? 1.0 : 0.0
        }
        return Mask(t)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { MergeLayer<T>(operation, semantics: semantics) }

    public var summary: String { "\(operation.rawValue) (masks as in \(semantics.rawValue))" }
}

/// `Concatenate(axis)`: the inputs joined along `axis` (negative counts from the end).
///
/// The output mask follows Keras (`keras/src/layers/merging/concatenate.py`): each input's mask is
/// widened to the input's rank (an unmasked input counts as all true), the masks are joined
/// along `axis`, and reduced over the last axis — with `any` in Keras 3, `all` in Keras 2.
public struct ConcatenateLayer<Scalar: EngineScalar>: Layer {
    public var axis: Int
    public var semantics: KerasSemantics

    public init(axis: Int, semantics: KerasSemantics = .keras3) {
        self.axis = axis
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .compute }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard let first = inputs.first, inputs.count >= 1 else { throw EngineError.invalidInput("Concatenate takes at least one input") }
        guard let a = Shapes.axis(axis, rank: first.count + 1), a >= 1 else {
            throw EngineError.invalidInput("Concatenate axis \(axis) is out of range for inputs of rank \(first.count + 1)")
        }
        var shape = first
        for s in inputs.dropFirst() {
            guard s.count == first.count, zip(s, first).enumerated().allSatisfy({ $0.offset == a - 1 || $0.element.0 == nil || $0.element.1 == nil || $0.element.0 == $0.element.1 }) else {
                throw EngineError.invalidInput("Concatenate along axis \(axis) needs inputs that agree on every other axis, got \(inputs.map(Shapes.describe).joined(separator: ", "))")
            }
            for k in shape.indices where k != a - 1 && shape[k] == nil { shape[k] = s[k] }
        }
        let extents = inputs.map { $0[a - 1] }
        shape[a - 1] = extents.contains { $0 == nil } ? nil : extents.map { $0! }.reduce(0, +)
        return [shape]
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let tensors = call.inputs.map { $0.tensor }
        let out = try Self.concatenate(tensors, axis: axis, what: "Concatenate")
        return [Value(out, mask: try outputMask(tensors, call.previousMasks))]
    }

    /// Joins tensors along `axis`; they must agree on every other axis.
    public static func concatenate<S>(_ tensors: [Tensor<S>], axis: Int, what: String) throws -> Tensor<S> {
        guard let head = tensors.first else { throw EngineError.invalidInput("\(what) has no inputs") }
        let rank = head.rank
        guard let a = Shapes.axis(axis, rank: rank) else {
            throw EngineError.invalidInput("\(what) axis \(axis) is out of range for rank \(rank)")
        }
        for t in tensors where t.rank != rank || zip(t.shape, head.shape).enumerated().contains(where: { $0.offset != a && $0.element.0 != $0.element.1 }) {
            throw EngineError.shapeMismatch(what: "\(what) input", expected: "\(EngineError.format(head.shape)) except axis \(a)", actual: t.shape)
        }
        let outer = head.shape[..<a].reduce(1, *)
        let inners = tensors.map { $0.shape[a...].reduce(1, *) }
        var out = [S]()
        out.reserveCapacity(outer * inners.reduce(0, +))
        for o in 0..<outer {
            for (t, inner) in zip(tensors, inners) {
                out.append(contentsOf: t.scalars[(o * inner)..<((o + 1) * inner)])
            }
        }
        var shape = head.shape
        shape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
        return Tensor(shape: shape, scalars: out)
    }

    func outputMask(_ tensors: [Tensor<Scalar>], _ masks: [Mask?]) throws -> Mask? {
        guard masks.contains(where: { $0 != nil }) else { return nil }
        var widened: [Tensor<Double>] = []
        for (x, m) in zip(tensors, masks) {
            guard let m else {
                widened.append(Tensor(shape: x.shape, repeating: 1))
                continue
            }
            let t = m.tensor(as: Double.self)
            if m.rank < x.rank {
                let expanded = Tensor(shape: m.shape + [1], scalars: t.scalars)
                // Keras 3 broadcasts the mask over the input; Keras 2 only adds the axis.
                guard Broadcast.shape(expanded.shape, x.shape) == x.shape else {
                    throw EngineError.invalidInput("Concatenate: a mask of shape \(EngineError.format(m.shape)) does not fit an input of shape \(EngineError.format(x.shape))")
                }
                widened.append(semantics == .keras3 ? Broadcast.expand(expanded, to: x.shape) : expanded)
            } else {
                widened.append(t)
            }
        }
        let joined = try Self.concatenate(widened, axis: axis, what: "Concatenate masks")
        let n = joined.shape.last ?? 1
        let rows = n == 0 ? 0 : joined.count / n
        var flags = [Bool](repeating: semantics == .keras2, count: rows)
        for r in 0..<rows {
            let row = joined.scalars[(r * n)..<((r + 1) * n)]
            flags[r] = semantics == .keras3 ? row.contains { $0 != 0 } : row.allSatisfy { $0 != 0 }
        }
        return Mask(shape: Array(joined.shape.dropLast()), values: flags)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ConcatenateLayer<T>(axis: axis, semantics: semantics) }

    public var summary: String { "axis=\(axis)" }
}

/// `Dot(axes, normalize)`: Keras's `batch_dot` of two tensors — for each batch row, the sum over
/// axis `axes.0` of the first and `axes.1` of the second. The output has the first input's other
/// axes, then the second's; a rank-1 result becomes `(batch, 1)`. With `normalize`, both inputs
/// are first L2-normalized along their axes (Keras 3: `x·min(rsqrt(Σx²), 1e7)`; Keras 2
/// `l2_normalize`: `x·rsqrt(max(Σx², 1e-12))`). No mask comes out.
public struct DotLayer<Scalar: EngineScalar>: Layer {
    /// Keras axes (negative counts from the end of each input, batch included).
    public var axes: (Int, Int)
    public var normalize: Bool
    public var semantics: KerasSemantics

    public init(axes: (Int, Int), normalize: Bool, semantics: KerasSemantics = .keras3) {
        self.axes = axes
        self.normalize = normalize
        self.semantics = semantics
    }

    public var maskRule: MaskRule { .drop }

    /// The two axes resolved against the inputs' ranks (Python's `%` for negative axes).
    func resolved(_ r1: Int, _ r2: Int) throws -> (Int, Int) {
        func mod(_ a: Int, _ r: Int) -> Int { ((a % r) + r) % r }
        let (a, b) = (axes.0 < 0 ? mod(axes.0, r1) : axes.0, axes.1 < 0 ? mod(axes.1, r2) : axes.1)
        guard r1 >= 2, r2 >= 2, (1..<r1).contains(a), (1..<r2).contains(b) else {
            throw EngineError.invalidInput("Dot axes \(axes) do not fit inputs of rank \(r1) and \(r2) (the batch axis cannot be summed)")
        }
        return (a, b)
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard inputs.count == 2 else { throw EngineError.invalidInput("Dot takes exactly two inputs, got \(inputs.count)") }
        let (x, y) = (inputs[0], inputs[1])
        let (a, b) = try resolved(x.count + 1, y.count + 1)
        if let d1 = x[a - 1], let d2 = y[b - 1], d1 != d2 {
            throw EngineError.invalidInput("Dot sums axis \(a) of \(Shapes.describe(x)) with axis \(b) of \(Shapes.describe(y)): \(d1) ≠ \(d2)")
        }
        var out = x
        out.remove(at: a - 1)
        var rest = y
        rest.remove(at: b - 1)
        out += rest
        return [out.isEmpty ? [1] : out]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        guard call.inputs.count == 2 else { throw EngineError.invalidInput("Dot takes exactly two inputs, got \(call.inputs.count)") }
        var (x, y) = (call.inputs[0].tensor, call.inputs[1].tensor)
        let (a, b) = try resolved(x.rank, y.rank)
        guard x.shape[0] == y.shape[0], x.shape[a] == y.shape[b] else {
            throw EngineError.invalidInput("Dot cannot sum axis \(a) of \(EngineError.format(x.shape)) with axis \(b) of \(EngineError.format(y.shape))")
        }
        if normalize {
            x = l2Normalized(x, axis: a)
            y = l2Normalized(y, axis: b)
        }
        // Summed axis last in x, first (after batch) in y.
        let xt = x.transposed((0..<x.rank).filter { $0 != a } + [a])
        let yt = y.transposed([0, b] + (1..<y.rank).filter { $0 != b })
        let batch = x.shape[0], k = x.shape[a]
        let m = xt.count / max(batch * k, 1), n = yt.count / max(batch * k, 1)
        var out = [Scalar](repeating: 0, count: batch * m * n)
        for bi in 0..<batch {
            for i in 0..<m {
                for j in 0..<n {
                    var s: Scalar = 0
                    for p in 0..<k { s += xt.scalars[(bi * m + i) * k + p] * yt.scalars[(bi * k + p) * n + j] }
                    out[(bi * m + i) * n + j] = s
                }
            }
        }
        let shape = Array(xt.shape.dropLast()) + Array(yt.shape.dropFirst(2))
        return [Value(Tensor(shape: shape.count == 1 ? [batch, 1] : shape, scalars: out))]
    }

    func l2Normalized(_ x: Tensor<Scalar>, axis: Int) -> Tensor<Scalar> {
        var out = x
        let groups = AxisProjection(shape: x.shape, axes: Array(0..<x.rank).filter { $0 != axis })
        var squares = [Scalar](repeating: 0, count: groups.count)
        for i in x.scalars.indices { squares[groups.index[i]] += x.scalars[i] * x.scalars[i] }
        let inv = squares.map { s in
            semantics == .keras3 ? Swift.min(1 / Scalar.sqrt(s), Scalar(1e7)) : 1 / Scalar.sqrt(Swift.max(s, Scalar(1e-12)))
        }
        for i in out.scalars.indices { out.scalars[i] = out.scalars[i] * inv[groups.index[i]] }
        return out
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { DotLayer<T>(axes: axes, normalize: normalize, semantics: semantics) }

    public var summary: String { "axes=(\(axes.0), \(axes.1)) normalize=\(normalize)" }
}
