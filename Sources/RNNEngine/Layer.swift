/// A tensor shape without the batch axis, as Keras's configs record it; `nil` extents are not
/// known until run time (e.g. a variable number of timesteps).
public typealias SymbolicShape = [Int?]

/// What the elements of a value are. The engine stores every value in its scalar type (integers
/// are exact in float32 up to 2^24, in float64 up to 2^53); the kind says how Keras sees them.
public enum ElementKind: String, Sendable, Equatable {
    /// float32 in Keras (float64 in the reference run).
    case float
    /// Integer ids (`int32` / `int64` inputs, `Cast` to an integer type).
    case integer
    /// Booleans stored as 0 and 1 (masks, comparisons).
    case boolean
}

/// A value flowing through a model: a tensor, how Keras types it, and the mask Keras attaches
/// to it (`_keras_mask`), which later layers receive implicitly.
public struct Value<Scalar: EngineScalar>: Sendable {
    public var tensor: Tensor<Scalar>
    public var kind: ElementKind
    public var mask: Mask?

    public init(_ tensor: Tensor<Scalar>, kind: ElementKind = .float, mask: Mask? = nil) {
        self.tensor = tensor
        self.kind = kind
        self.mask = mask
    }
}

/// What a layer's outputs carry as masks: Keras's `compute_mask`.
public enum MaskRule: String, Sendable, Equatable {
    /// Keras's default `compute_mask` for layers that support masking: the outputs carry the
    /// mask the layer received (`previous_mask`), the first output the first mask.
    case keep
    /// The layer does not support masking: whatever mask arrived is dropped.
    case drop
    /// The layer computes its outputs' masks itself (`Embedding`, `Masking`, merges, RNNs, ...),
    /// and `evaluate` returns them.
    case compute
}

/// One call of a layer, with everything Keras passes to `call`.
public struct LayerCall<Scalar: EngineScalar>: Sendable {
    /// The tensor arguments, in the order the layer defines (for most layers: just one).
    public var inputs: [Value<Scalar>]
    /// For each input, the mask the call receives (Keras's `mask` / `<name>_mask` arguments).
    public var masks: [Mask?]
    /// For each input, the mask Keras hands to `compute_mask` (`previous_mask`). It differs from
    /// `masks` where Keras 3 does not pass a mask to the call but still propagates one (a
    /// recurrent layer called with `initial_state`).
    public var previousMasks: [Mask?]
    /// Initial states: the `initial_state` tensors, or the states a previous streaming call left.
    public var initialState: [Tensor<Scalar>]?
    /// Set by a layer with state: its final states, which a streaming call carries on.
    public var finalState: [Tensor<Scalar>]?

    public init(inputs: [Value<Scalar>], masks: [Mask?]? = nil, previousMasks: [Mask?]? = nil,
                initialState: [Tensor<Scalar>]? = nil) {
        self.inputs = inputs
        self.masks = masks ?? inputs.map { $0.mask }
        self.previousMasks = previousMasks ?? self.masks
        self.initialState = initialState
    }

    /// The only input of a one-input layer.
    public func single(_ layer: String) throws -> Value<Scalar> {
        guard inputs.count == 1 else {
            throw EngineError.invalidInput("\(layer) takes one input, got \(inputs.count)")
        }
        return inputs[0]
    }
}

/// A Keras layer at inference: one value of a type that knows everything about itself.
///
/// A layer computes in its scalar type (`Float` like Keras, or `Double` to measure Keras's own
/// rounding). Shapes in `outputShapes` leave out the batch axis; `evaluate` checks the actual
/// shapes it receives and throws `EngineError` for any it cannot take.
public protocol Layer<Scalar>: Sendable {
    associatedtype Scalar: EngineScalar

    /// How many tensors a call returns.
    var outputCount: Int { get }
    /// How many weights the layer holds.
    var parameterCount: Int { get }
    /// What the outputs carry as masks.
    var maskRule: MaskRule { get }
    /// The shapes of the outputs (without the batch axis) given the inputs'; throws a sentence
    /// naming the problem when the inputs cannot be taken.
    func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape]
    /// Runs one call. Layers whose `maskRule` is `.compute` set the outputs' masks.
    func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>]
    /// The same layer computing in another scalar type (weights converted, exactly from float32).
    func converted<T: EngineScalar>(to: T.Type) -> any Layer<T>
    /// The layer's options on one line, for `inspect`.
    var summary: String { get }
    /// What output `index` is called in reports (`output`, `state_h`, `forward_c`, ...).
    func outputName(_ index: Int) -> String
    /// Whether calling the layer erases the masks its input tensors carry for every later reader
    /// (Keras 3's `MultiHeadAttention` does `set_keras_mask(query, None)`).
    var clearsInputMasks: Bool { get }
}

extension Layer {
    public var parameterCount: Int { 0 }
    public var outputCount: Int { 1 }
    public func outputName(_ index: Int) -> String { index == 0 ? "output" : "output_\(index)" }
    public var clearsInputMasks: Bool { false }
}

extension Array where Element: BinaryFloatingPoint {
    /// The elements converted to another floating-point type (exact from float32 to float64).
    ///
    /// Float and Double go through concrete loops (vectorized), a same-type conversion shares
    /// the storage: a generic `map { T($0) }` converts element by element through witness
    /// tables, which showed up in profiles of `run` beside the tile kernel.
    public func converted<T: BinaryFloatingPoint>(to _: T.Type = T.self) -> [T] {
        if Element.self == T.self { return unsafeBitCast(self, to: [T].self) }
        if Element.self == Float.self, T.self == Double.self {
            return unsafeBitCast(ScalarConversion.widen(unsafeBitCast(self, to: [Float].self)), to: [T].self)
        }
        if Element.self == Double.self, T.self == Float.self {
            return unsafeBitCast(ScalarConversion.narrow(unsafeBitCast(self, to: [Double].self)), to: [T].self)
        }
        return map { T($0) }
    }
}

/// Concrete Float <-> Double conversion loops (round to nearest, as `Float(_:)` does).
enum ScalarConversion {
    static func widen(_ a: [Float]) -> [Double] {
        [Double](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = Double(src[i]) }
            }
            count = a.count
        }
    }

    static func narrow(_ a: [Double]) -> [Float] {
        [Float](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = Float(src[i]) }
            }
            count = a.count
        }
    }
}

/// Shape helpers shared by layers.
public enum Shapes {
    /// `"(batch, 6, ?)"`.
    public static func describe(_ shape: SymbolicShape) -> String {
        "(batch" + shape.map { ", " + ($0.map(String.init) ?? "?") }.joined() + ")"
    }

    /// The one shape of a one-input layer.
    public static func single(_ inputs: [SymbolicShape], _ layer: String) throws -> SymbolicShape {
        guard inputs.count == 1 else { throw EngineError.invalidInput("\(layer) takes one input, got \(inputs.count)") }
        return inputs[0]
    }

    /// Whether an actual shape (with batch) fits a symbolic one (without).
    public static func fits(_ actual: [Int], _ expected: SymbolicShape) -> Bool {
        actual.count == expected.count + 1 && zip(actual.dropFirst(), expected).allSatisfy { $1 == nil || $0 == $1 }
    }

    /// The element count of a shape, or nil when it overflows.
    public static func count(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o || d < 0 { return nil }
            n = p
        }
        return n
    }

    /// A Keras axis (negative counts from the end; axis 0 is the batch) as an index into a shape
    /// of `rank` axes including the batch, or nil when out of range.
    public static func axis(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return a >= 0 && a < rank ? a : nil
    }
}

/// Bounds on what a run may allocate, so that a hostile config (`RepeatVector(n=1e12)`) is refused
/// with a sentence instead of exhausting memory. Set once at start-up (the command line sets it
/// from `--max-read-bytes`); `Model` checks every node's outputs before the node runs.
public enum EngineLimits {
    nonisolated(unsafe) public static var maxTensorBytes: Int = 1 << 30

    /// Throws when a tensor of `shape` in `Scalar` would exceed `maxTensorBytes`.
    public static func check<Scalar>(_ shape: [Int], of _: Scalar.Type, what: String) throws {
        let limit = maxTensorBytes
        guard let count = Shapes.count(shape) else {
            throw EngineError.invalidInput("\(what) would have shape \(EngineError.format(shape)), too many elements to count")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride)
        guard !overflow, bytes <= limit else {
            throw EngineError.invalidInput("\(what) would have shape \(EngineError.format(shape)) (\(overflow ? "more than \(Int.max)" : "\(bytes)") bytes), over the \(limit)-byte limit")
        }
    }
}
