/// Raw tensor operations inside functional graphs: Keras 3 op nodes (`keras.ops.*`) and tf.keras
/// `TFOpLambda` / `SlicingOpLambda` layers. Ops never carry masks (Keras attaches masks only in
/// `Layer.__call__`), so every op's `maskRule` is `.drop`; a boolean op result can become a mask
/// when passed as `mask=` to a layer.
///
/// Shapes follow NumPy / TensorFlow: axes count the batch axis as 0.

/// One argument of an op: a node input or a constant written in the config.
public enum Operand<Scalar: EngineScalar>: Sendable {
    case input(Int)
    case constant(Scalar, ElementKind)

    func value(_ inputs: [Value<Scalar>]) -> (Tensor<Scalar>, ElementKind) {
        switch self {
        case .input(let k): return (inputs[k].tensor, inputs[k].kind)
        case .constant(let c, let kind): return (Tensor(shape: [], scalars: [c]), kind)
        }
    }

    func shape(_ inputs: [SymbolicShape]) -> SymbolicShape? {
        if case .input(let k) = self { return inputs[k] }
        return nil
    }

    func converted<T: EngineScalar>(to: T.Type) -> Operand<T> {
        switch self {
        case .input(let k): return .input(k)
        case .constant(let c, let kind): return .constant(T(c), kind)
        }
    }

    var text: String {
        switch self {
        case .input(let k): return "input \(k)"
        case .constant(let c, _): return "\(c)"
        }
    }
}

/// The symbolic shape (without batch) of a broadcast of operands, at least one an input.
func broadcastShape<S>(_ operands: [Operand<S>], _ inputs: [SymbolicShape], what: String) throws -> SymbolicShape {
    var shape: SymbolicShape?
    for o in operands {
        guard let s = o.shape(inputs) else { continue }
        guard let current = shape else { shape = s; continue }
        // Both have a batch axis first, which broadcasting aligns last-to-first like every other.
        guard let b = Broadcast.shape([nil] + current, [nil] + s) else {
            throw EngineError.invalidInput("\(what): shapes \(Shapes.describe(current)) and \(Shapes.describe(s)) do not broadcast")
        }
        shape = Array(b.dropFirst())
    }
    guard let shape else { throw EngineError.invalidInput("\(what) has no tensor operand") }
    return shape
}

/// Element-wise functions of one tensor.
public enum UnaryFunction: String, Sendable, CaseIterable {
    case abs, square, sqrt, exp, log, tanh, sigmoid, relu, negative, logicalNot = "logical_not"
}

/// `abs(x)`, `sqrt(x)`, `-x`, ... (Keras 3 `Absolute`, `Sqrt`, `Negative`, ...; tf `math.abs`, ...).
public struct UnaryOp<Scalar: EngineScalar>: Layer {
    public var function: UnaryFunction

    public init(_ function: UnaryFunction) { self.function = function }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, function.rawValue)] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single(function.rawValue)
        let f: (Scalar) -> Scalar
        switch function {
        case .abs: f = { Swift.abs($0) }
        case .square: f = { $0 * $0 }
        case .sqrt: f = { Scalar.sqrt($0) }
        case .exp: f = { Scalar.exp($0) }
        case .log: f = { Scalar.log($0) }
        case .tanh: f = { Scalar.tanh($0) }
        case .sigmoid: f = { Activation.logistic($0) }
        case .relu: f = { $0 > 0 ? $0 : 0 }
        case .negative: f = { -$0 }
        case .logicalNot: f = { $0 == 0 ? 1 : 0 }
        }
        x.tensor.scalars = x.tensor.scalars.map(f)
        if function == .logicalNot { x.kind = .boolean }
        x.mask = nil
        return [x]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { UnaryOp<T>(function) }

    public var summary: String { "op \(function.rawValue)(x)" }
}

/// Element-wise functions of two operands.
public enum BinaryFunction: String, Sendable, CaseIterable {
    case add, subtract, multiply, divide, power, maximum, minimum
    case equal, notEqual = "not_equal", greater, greaterEqual = "greater_equal", less, lessEqual = "less_equal"
    case logicalAnd = "logical_and", logicalOr = "logical_or"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .greater, .greaterEqual, .less, .lessEqual, .logicalAnd, .logicalOr: return true
        default: return false
        }
    }
}

/// `x + y`, `x > y`, `logical_and(x, y)`, ... with tensors or constants on either side and NumPy
/// broadcasting. Integers stay integers except under `divide`; comparisons give booleans.
public struct BinaryOp<Scalar: EngineScalar>: Layer {
    public var function: BinaryFunction
    public var lhs: Operand<Scalar>
    public var rhs: Operand<Scalar>

    public init(_ function: BinaryFunction, _ lhs: Operand<Scalar>, _ rhs: Operand<Scalar>) {
        self.function = function
        self.lhs = lhs
        self.rhs = rhs
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        [try broadcastShape([lhs, rhs], inputs, what: function.rawValue)]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let (a, ka) = lhs.value(call.inputs), (b, kb) = rhs.value(call.inputs)
        let f: (Scalar, Scalar) -> Scalar
        switch function {
        case .add: f = { $0 + $1 }
        case .subtract: f = { $0 - $1 }
        case .multiply: f = { $0 * $1 }
        case .divide: f = { $0 / $1 }
        case .power: f = BinaryOp.power
        case .maximum: f = { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .minimum: f = { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case .equal: f = { $0 == $1 ? 1 : 0 }
        case .notEqual: f = { $0 != $1 ? 1 : 0 }
        case .greater: f = { $0 > $1 ? 1 : 0 }
        case .greaterEqual: f = { $0 >= $1 ? 1 : 0 }
        case .less: f = { $0 < $1 ? 1 : 0 }
        case .lessEqual: f = { $0 <= $1 ? 1 : 0 }
        case .logicalAnd: f = { $0 != 0 && $1 != 0 ? 1 : 0 }
        case .logicalOr: f = { $0 != 0 || $1 != 0 ? 1 : 0 }
        }
        let out = try Broadcast.apply(a, b, what: function.rawValue, f)
        let kind: ElementKind
        if function.isComparison {
            kind = .boolean
        } else if function == .divide {
            kind = .float
        } else {
            kind = ka == .float || kb == .float ? .float : (ka == .integer || kb == .integer ? .integer : .boolean)
        }
        return [Value(out, kind: kind)]
    }

    /// `pow` as TensorFlow computes it: a negative base with an integral exponent is allowed.
    static func power(_ x: Scalar, _ y: Scalar) -> Scalar {
        if x < 0, y == y.rounded() {
            let magnitude = Scalar.pow(-x, y)
            return Int64(exactly: y).map { $0 % 2 != 0 } ?? false ? -magnitude : magnitude
        }
        return Scalar.pow(x, y)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        BinaryOp<T>(function, lhs.converted(to: T.self), rhs.converted(to: T.self))
    }

    public var summary: String { "op \(function.rawValue)(\(lhs.text), \(rhs.text))" }
}

/// `where(condition, x, y)` with NumPy broadcasting; each operand a tensor or a constant.
public struct WhereOp<Scalar: EngineScalar>: Layer {
    public var condition: Operand<Scalar>
    public var x: Operand<Scalar>
    public var y: Operand<Scalar>

    public init(condition: Operand<Scalar>, x: Operand<Scalar>, y: Operand<Scalar>) {
        self.condition = condition
        self.x = x
        self.y = y
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        [try broadcastShape([condition, x, y], inputs, what: "where")]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let (c, _) = condition.value(call.inputs), (a, ka) = x.value(call.inputs), (b, kb) = y.value(call.inputs)
        let kind: ElementKind = ka == .float || kb == .float ? .float : ka
        return [Value(try Broadcast.select(c, a, b, what: "where"), kind: kind)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        WhereOp<T>(condition: condition.converted(to: T.self), x: x.converted(to: T.self), y: y.converted(to: T.self))
    }

    public var summary: String { "op where(\(condition.text), \(x.text), \(y.text))" }
}

/// `clip(x, min, max)`: `min(max(x, lo), hi)` (TensorFlow's `clip_by_value`).
public struct ClipOp<Scalar: EngineScalar>: Layer {
    public var low: Scalar
    public var high: Scalar

    public init(low: Scalar, high: Scalar) {
        self.low = low
        self.high = high
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "clip")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("clip")
        x.tensor.scalars = x.tensor.scalars.map { Swift.min(Swift.max($0, low), high) }
        x.mask = nil
        return [x]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ClipOp<T>(low: T(low), high: T(high)) }

    public var summary: String { "op clip(x, \(low), \(high))" }
}

/// What a `ReduceOp` computes.
public enum ReduceFunction: String, Sendable { case mean, sum, max, min, any, all }

/// Reductions: `mean`, `sum`, `max`, `min`, `any`, `all` over some axes (nil: all of them).
public struct ReduceOp<Scalar: EngineScalar>: Layer {
    public var function: ReduceFunction
    /// Axes including the batch axis (negative from the end), or nil for every axis.
    public var axes: [Int]?
    public var keepdims: Bool

    public init(_ function: ReduceFunction, axes: [Int]?, keepdims: Bool) {
        self.function = function
        self.axes = axes
        self.keepdims = keepdims
    }

    public var maskRule: MaskRule { .drop }

    func reduced(rank: Int) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        guard let r = resolveAxes(axes, rank: rank) else {
            throw EngineError.invalidInput("\(function.rawValue) over axis \(axes) of a rank-\(rank) tensor")
        }
        return r
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, function.rawValue)
        let r = try reduced(rank: x.count + 1)
        guard !r.contains(0) else {
            throw EngineError.invalidInput("\(function.rawValue) over the batch axis is not supported (the result would mix batch rows)")
        }
        return [keepdims ? x.enumerated().map { r.contains($0.offset + 1) ? 1 : $0.element } : x.enumerated().filter { !r.contains($0.offset + 1) }.map(\.element)]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single(function.rawValue)
        let r = try reduced(rank: x.tensor.rank)
        guard !r.contains(0) else { throw EngineError.invalidInput("\(function.rawValue) over the batch axis is not supported") }
        let kept = Array(0..<x.tensor.rank).filter { !r.contains($0) }
        let groups = AxisProjection(shape: x.tensor.shape, axes: kept)
        let start: Scalar
        switch function {
        case .mean, .sum, .any: start = 0
        case .all: start = 1
        case .max: start = -.infinity
        case .min: start = .infinity
        }
        var out = [Scalar](repeating: start, count: groups.count)
        for (i, v) in x.tensor.scalars.enumerated() {
            let g = groups.index[i]
            switch function {
            case .mean, .sum: out[g] += v
            case .max: out[g] = v.isNaN || out[g].isNaN ? .nan : Swift.max(out[g], v)
            case .min: out[g] = v.isNaN || out[g].isNaN ? .nan : Swift.min(out[g], v)
            case .any: if v != 0 { out[g] = 1 }
            case .all: if v == 0 { out[g] = 0 }
            }
        }
        if function == .mean {
            let n = Scalar(x.tensor.count / max(groups.count, 1))
            out = out.map { $0 / n }
        }
        let shape = keepdims ? x.tensor.shape.enumerated().map { r.contains($0.offset) ? 1 : $0.element } : kept.map { x.tensor.shape[$0] }
        let kind: ElementKind = function == .any || function == .all ? .boolean : (function == .mean ? .float : x.kind)
        return [Value(Tensor(shape: shape, scalars: out), kind: kind)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ReduceOp<T>(function, axes: axes, keepdims: keepdims) }

    public var summary: String { "op \(function.rawValue)(axis=\(axes.map { "\($0)" } ?? "None"), keepdims=\(keepdims))" }
}

/// `softmax(x, axis)` and `log_softmax(x, axis)` along one axis.
public struct SoftmaxOp<Scalar: EngineScalar>: Layer {
    public var axis: Int
    public var logarithm: Bool

    public init(axis: Int, logarithm: Bool) {
        self.axis = axis
        self.logarithm = logarithm
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "softmax")
        guard let a = Shapes.axis(axis, rank: x.count + 1), a >= 1 else {
            throw EngineError.invalidInput("softmax axis \(axis) is out of range for rank \(x.count + 1)")
        }
        return [x]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("softmax").tensor
        guard let a = Shapes.axis(axis, rank: x.rank) else { throw EngineError.invalidInput("softmax axis \(axis) for rank \(x.rank)") }
        return [Value(Self.apply(x, axis: a, logarithm: logarithm))]
    }

    /// Softmax (or log-softmax) of `x` along resolved axis `a`.
    static func apply(_ x: Tensor<Scalar>, axis a: Int, logarithm: Bool) -> Tensor<Scalar> {
        let last = x.rank - 1
        var perm = Array(0..<x.rank)
        perm.swapAt(a, last)
        var t = x.transposed(perm)
        (logarithm ? Activation.logSoftmax : Activation.softmax).apply(to: &t.scalars, rowLength: t.shape.last ?? 1)
        return t.transposed(perm)
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { SoftmaxOp<T>(axis: axis, logarithm: logarithm) }

    public var summary: String { "op \(logarithm ? "log_softmax" : "softmax")(axis=\(axis))" }
}

/// `concatenate(xs, axis)` and `stack(xs, axis)`.
public struct JoinOp<Scalar: EngineScalar>: Layer {
    public var axis: Int
    /// `stack` adds the axis; `concatenate` joins along an existing one.
    public var stack: Bool

    public init(axis: Int, stack: Bool) {
        self.axis = axis
        self.stack = stack
    }

    public var maskRule: MaskRule { .drop }
    var name: String { stack ? "stack" : "concatenate" }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard let first = inputs.first else { throw EngineError.invalidInput("\(name) has no inputs") }
        let rank = first.count + 1 + (stack ? 1 : 0)
        guard let a = Shapes.axis(axis, rank: rank), a >= 1 else {
            throw EngineError.invalidInput("\(name) axis \(axis) is out of range for rank \(rank)")
        }
        if stack {
            for s in inputs where s.count != first.count || zip(s, first).contains(where: { $0 != nil && $1 != nil && $0 != $1 }) {
                throw EngineError.invalidInput("stack needs inputs of one shape, got \(inputs.map(Shapes.describe).joined(separator: ", "))")
            }
            var out = first
            out.insert(inputs.count, at: a - 1)
            return [out]
        }
        return try ConcatenateLayer<Scalar>(axis: axis).outputShapes(for: inputs)
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var tensors = call.inputs.map { $0.tensor }
        guard let head = tensors.first else { throw EngineError.invalidInput("\(name) has no inputs") }
        var a = axis
        if stack {
            guard let resolved = Shapes.axis(axis, rank: head.rank + 1) else {
                throw EngineError.invalidInput("stack axis \(axis) for rank \(head.rank + 1)")
            }
            tensors = tensors.map { t in
                var shape = t.shape
                shape.insert(1, at: resolved)
                return Tensor(shape: shape, scalars: t.scalars)
            }
            a = resolved
        }
        let kinds = call.inputs.map { $0.kind }
        return [Value(try ConcatenateLayer<Scalar>.concatenate(tensors, axis: a, what: name),
                      kind: kinds.contains(.float) ? .float : kinds[0])]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { JoinOp<T>(axis: axis, stack: stack) }

    public var summary: String { "op \(name)(axis=\(axis))" }
}

/// What a `ReshapeOp` does.
public enum ReshapeKind: Sendable, Equatable {
    case expandDims(axis: Int)
    /// Squeezes these (resolved) axes.
    case squeeze(axes: [Int])
    /// The new shape, batch first: -1 (the batch) followed by the sizes of one batch row.
    case reshape([Int])
    case transpose([Int])
}

/// Ops that keep the elements and change the shape: `expand_dims`, `squeeze`, `reshape`,
/// `transpose`. Axes and shapes include the batch axis.
public struct ReshapeOp<Scalar: EngineScalar>: Layer {
    public var kind: ReshapeKind

    public init(_ kind: ReshapeKind) { self.kind = kind }

    public var maskRule: MaskRule { .drop }

    /// The full output shape for a full input shape (batch included), nil extents unknown.
    func shape(_ x: [Int?]) throws -> [Int?] {
        switch kind {
        case .expandDims(let axis):
            guard let a = Shapes.axis(axis, rank: x.count + 1) else {
                throw EngineError.invalidInput("expand_dims axis \(axis) is out of range for rank \(x.count)")
            }
            guard a >= 1 else { throw EngineError.invalidInput("expand_dims axis \(axis) would put a new axis before the batch axis") }
            var out = x
            out.insert(1, at: a)
            return out
        case .squeeze(let axes):
            for a in axes where !(a < x.count && (x[a] == 1 || x[a] == nil)) {
                throw EngineError.invalidInput("squeeze axis \(a) of \(Shapes.describe(Array(x.dropFirst()))) is not of extent 1")
            }
            return x.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        case .reshape(let target):
            // The engine keeps batch rows apart, so the batch axis must stay: -1 first (the
            // batch), then the sizes of one row, which must hold exactly one input row.
            let row = Array(target.dropFirst())
            guard target.first == -1, row.allSatisfy({ $0 >= 1 }) else {
                throw EngineError.invalidInput("reshape to \(target) does not keep the batch axis (it must be -1 followed by positive sizes)")
            }
            guard let perRow = Shapes.count(row) else { throw EngineError.invalidInput("reshape to \(target) is too large") }
            if x.dropFirst().allSatisfy({ $0 != nil }), let have = Shapes.count(x.dropFirst().map { $0! }), have != perRow {
                throw EngineError.invalidInput("reshape to \(target) cannot hold the \(have) elements of a batch row of \(Shapes.describe(Array(x.dropFirst())))")
            }
            return [x[0]] + row.map { $0 }
        case .transpose(let perm):
            guard perm.sorted() == Array(0..<x.count) else {
                throw EngineError.invalidInput("transpose axes \(perm) are not a permutation of \(x.count) axes")
            }
            return perm.map { x[$0] }
        }
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let out = try shape([nil] + Shapes.single(inputs, "reshape"))
        guard !out.isEmpty else { throw EngineError.invalidInput("\(summary) leaves no batch axis") }
        return [Array(out.dropFirst())]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("reshape")
        if case .transpose(let perm) = kind {
            guard perm.sorted() == Array(0..<x.tensor.rank) else {
                throw EngineError.invalidInput("transpose axes \(perm) for a rank-\(x.tensor.rank) tensor")
            }
            x.tensor = x.tensor.transposed(perm)
        } else {
            let out = try shape(x.tensor.shape.map { $0 })
            let concrete = out.compactMap { $0 }
            guard concrete.count == out.count, concrete.reduce(1, *) == x.tensor.count else {
                throw EngineError.invalidInput("\(summary) cannot reshape \(EngineError.format(x.tensor.shape))")
            }
            x.tensor = Tensor(shape: concrete, scalars: x.tensor.scalars)
        }
        x.mask = nil
        return [x]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { ReshapeOp<T>(kind) }

    public var summary: String {
        switch kind {
        case .expandDims(let a): return "op expand_dims(axis=\(a))"
        case .squeeze(let a): return "op squeeze(axis=\(a))"
        case .reshape(let s): return "op reshape(\(s))"
        case .transpose(let p): return "op transpose(\(p))"
        }
    }
}

/// `matmul(a, b)` with NumPy batching (leading axes broadcast), optionally transposing the last
/// two axes of either (tf's `transpose_a` / `transpose_b`).
public struct MatmulOp<Scalar: EngineScalar>: Layer {
    public var transposeA: Bool
    public var transposeB: Bool

    public init(transposeA: Bool = false, transposeB: Bool = false) {
        self.transposeA = transposeA
        self.transposeB = transposeB
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        guard inputs.count == 2 else { throw EngineError.invalidInput("matmul takes two tensors, got \(inputs.count)") }
        var (a, b) = ([nil] + inputs[0], [nil] + inputs[1])
        guard a.count >= 3, b.count >= 3 else { throw EngineError.invalidInput("matmul of tensors with fewer than 2 axes besides the batch is not supported") }
        if transposeA { a.swapAt(a.count - 1, a.count - 2) }
        if transposeB { b.swapAt(b.count - 1, b.count - 2) }
        if let k1 = a.last!, let k2 = b[b.count - 2], k1 != k2 {
            throw EngineError.invalidInput("matmul of \(Shapes.describe(inputs[0])) and \(Shapes.describe(inputs[1])): inner sizes \(k1) and \(k2) differ")
        }
        guard let lead = Broadcast.shape(Array(a.dropLast(2)), Array(b.dropLast(2))) else {
            throw EngineError.invalidInput("matmul batch axes of \(Shapes.describe(inputs[0])) and \(Shapes.describe(inputs[1])) do not broadcast")
        }
        return [Array((lead + [a[a.count - 2], b.last!]).dropFirst())]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        guard call.inputs.count == 2 else { throw EngineError.invalidInput("matmul takes two tensors") }
        var (a, b) = (call.inputs[0].tensor, call.inputs[1].tensor)
        guard a.rank >= 2, b.rank >= 2 else { throw EngineError.invalidInput("matmul needs tensors of rank 2 or more") }
        func swapLast(_ t: Tensor<Scalar>) -> Tensor<Scalar> {
            var p = Array(0..<t.rank)
            p.swapAt(t.rank - 1, t.rank - 2)
            return t.transposed(p)
        }
        if transposeA { a = swapLast(a) }
        if transposeB { b = swapLast(b) }
        let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
        guard b.shape[b.rank - 2] == k, let lead = Broadcast.shape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            throw EngineError.invalidInput("matmul of \(EngineError.format(a.shape)) and \(EngineError.format(b.shape))")
        }
        let ia = Broadcast.offsets(from: Array(a.shape.dropLast(2)), to: lead)
        let ib = Broadcast.offsets(from: Array(b.shape.dropLast(2)), to: lead)
        var out = [Scalar](repeating: 0, count: lead.reduce(1, *) * m * n)
        for (g, (pa, pb)) in zip(ia, ib).enumerated() {
            let aBase = pa * m * k, bBase = pb * k * n, oBase = g * m * n
            for i in 0..<m {
                for j in 0..<n {
                    var s: Scalar = 0
                    for p in 0..<k { s += a.scalars[aBase + i * k + p] * b.scalars[bBase + p * n + j] }
                    out[oBase + i * n + j] = s
                }
            }
        }
        return [Value(Tensor(shape: lead + [m, n], scalars: out))]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { MatmulOp<T>(transposeA: transposeA, transposeB: transposeB) }

    public var summary: String { "op matmul" + (transposeA ? " transpose_a" : "") + (transposeB ? " transpose_b" : "") }
}

/// One element of a NumPy index: `x[1:4:2, -1, None, ...]`.
public enum IndexItem: Sendable, Equatable {
    case slice(start: Int?, stop: Int?, step: Int?)
    case index(Int)
    case newAxis
    case ellipsis
}

/// `x[key]` with NumPy basic indexing (Keras 3 `GetItem`, tf.keras `SlicingOpLambda`).
public struct GetItemOp<Scalar: EngineScalar>: Layer {
    public var key: [IndexItem]

    public init(key: [IndexItem]) { self.key = key }

    public var maskRule: MaskRule { .drop }

    /// The key with its ellipsis expanded for `rank` axes: one item per axis, plus new axes.
    func expanded(rank: Int) throws -> [IndexItem] {
        guard key.filter({ $0 == .ellipsis }).count <= 1 else { throw EngineError.invalidInput("an index with two ellipses") }
        let consuming = key.filter { $0 != .newAxis && $0 != .ellipsis }.count
        guard consuming <= rank else { throw EngineError.invalidInput("index \(key) has more items than the \(rank) axes") }
        var items = key
        if !items.contains(.ellipsis) { items.append(.ellipsis) }
        let i = items.firstIndex(of: .ellipsis)!
        items.replaceSubrange(i...i, with: Array(repeating: IndexItem.slice(start: nil, stop: nil, step: nil), count: rank - consuming))
        return items
    }

    /// Python's `slice.indices(length)`.
    static func indices(_ start: Int?, _ stop: Int?, _ step: Int?, length: Int) throws -> (Int, Int, Int) {
        let step = step ?? 1
        guard step != 0 else { throw EngineError.invalidInput("slice step cannot be zero") }
        func clamp(_ v: Int?, _ fallback: Int, _ low: Int, _ high: Int) -> Int {
            guard var v else { return fallback }
            if v < 0 { v += length }
            return Swift.min(Swift.max(v, low), high)
        }
        if step > 0 { return (clamp(start, 0, 0, length), clamp(stop, length, 0, length), step) }
        return (clamp(start, length - 1, -1, length - 1), clamp(stop, -1, -1, length - 1), step)
    }

    /// For each axis of the input, the positions taken (nil: dropped, an integer index).
    func plan(_ shape: [Int?]) throws -> (out: [Int?], picks: [[Int]?]) {
        var out: [Int?] = []
        var picks: [[Int]?] = []
        var axis = 0
        for item in try expanded(rank: shape.count) {
            switch item {
            case .newAxis:
                out.append(1)
            case .ellipsis:
                break
            case .index(let i):
                if let n = shape[axis] {
                    let j = i < 0 ? i + n : i
                    guard j >= 0 && j < n else { throw EngineError.invalidInput("index \(i) is out of range for axis \(axis) of size \(n)") }
                    picks.append([j])
                } else {
                    picks.append(nil)
                }
                axis += 1
            case .slice(let start, let stop, let step):
                if let n = shape[axis] {
                    let (a, b, s) = try Self.indices(start, stop, step, length: n)
                    let taken = Array(stride(from: a, to: b, by: s))
                    out.append(taken.count)
                    picks.append(taken)
                } else {
                    out.append(nil)
                    picks.append(nil)
                }
                axis += 1
            }
        }
        return (out, picks)
    }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "getitem")
        guard let first = try expanded(rank: x.count + 1).first, case .slice(nil, nil, nil) = first else {
            throw EngineError.invalidInput("an index that selects along the batch axis is not supported: \(key)")
        }
        return [Array(try plan([nil] + x).out.dropFirst())]
    }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("getitem")
        let (outShape, picks) = try plan(x.tensor.shape.map { $0 })
        let source = x.tensor
        let lists = picks.map { $0! }
        var strides = [Int](repeating: 1, count: source.rank)
        for k in stride(from: source.rank - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * source.shape[k + 1] }
        var out: [Scalar] = []
        out.reserveCapacity(lists.map(\.count).reduce(1, *))
        func walk(_ axis: Int, _ offset: Int) {
            if axis == lists.count { out.append(source.scalars[offset]); return }
            for p in lists[axis] { walk(axis + 1, offset + p * strides[axis]) }
        }
        walk(0, 0)
        x.tensor = Tensor(shape: outShape.map { $0! }, scalars: out)
        x.mask = nil
        return [x]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { GetItemOp<T>(key: key) }

    public var summary: String { "op getitem \(key)" }
}

/// `cast(x, dtype)`: to bool (`x != 0`), an integer type (toward zero) or a float type.
public struct CastOp<Scalar: EngineScalar>: Layer {
    public var kind: ElementKind

    public init(to kind: ElementKind) { self.kind = kind }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "Cast")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Cast")
        switch kind {
        case .boolean: x.tensor.scalars = x.tensor.scalars.map { $0 != 0 ? 1 : 0 }
        case .integer: x.tensor.scalars = x.tensor.scalars.map { $0.rounded(.towardZero) }
        case .float: break
        }
        return [Value(x.tensor, kind: kind)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { CastOp<T>(to: kind) }

    public var summary: String { "op: cast to \(kind.rawValue)" }
}

/// `zeros_like(x, dtype)` / `ones_like(x, dtype)`: a tensor of x's shape filled with one value,
/// of `kind` (nil: x's kind). Keras 3's `Concatenate.compute_mask` records them.
public struct FillLikeOp<Scalar: EngineScalar>: Layer {
    public var value: Scalar
    public var kind: ElementKind?

    public init(value: Scalar, kind: ElementKind?) {
        self.value = value
        self.kind = kind
    }

    public var maskRule: MaskRule { .drop }

    public func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { [try Shapes.single(inputs, "FillLike")] }

    public func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        let x = try call.single("FillLike")
        return [Value(Tensor(shape: x.tensor.shape, repeating: value), kind: kind ?? x.kind)]
    }

    public func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { FillLikeOp<T>(value: T(value), kind: kind) }

    public var summary: String { "op: fill like x with \(value)" + (kind.map { " (\($0.rawValue))" } ?? "") }
}
