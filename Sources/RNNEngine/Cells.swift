/// The arithmetic of one step of a Keras recurrent cell, written in Keras's own operation order
/// (`keras/src/layers/rnn/{lstm,gru,simple_rnn}.py`, `implementation=2`).
///
/// Shapes: `D` input features, `u` units, `G` gate width (`4u` LSTM, `3u` GRU, `u` SimpleRNN).
/// Kernels are `(in, out)` and used as `x @ W`.
public protocol RecurrentCellProtocol: Sendable {
    associatedtype Scalar: EngineScalar
    /// `u`.
    var units: Int { get }
    /// `D`.
    var inputDim: Int { get }
    /// The number of state tensors (2 for LSTM: h, c; 1 for GRU and SimpleRNN).
    var stateCount: Int { get }
    /// The part of the step that depends only on the input: `rows × D` in, `rows × G` out.
    func projectInputs(_ x: [Scalar], rows: Int) -> [Scalar]
    /// One step for a batch of `rows`: reads the projected input rows and the states
    /// (each `rows × u`), writes the new states and returns the step output (`rows × u`).
    func step(projected: ArraySlice<Scalar>, states: inout [[Scalar]], rows: Int) -> [Scalar]
}

/// LSTM, gate order i, f, c, o.
///
/// `z = (x @ W + h @ U) + b; i = σ(z_i); f = σ(z_f); c' = f*c + i*act(z_c); o = σ(z_o); h' = o*act(c')`.
public struct LSTMCell<Scalar: EngineScalar>: RecurrentCellProtocol {
    public var units: Int
    public var inputDim: Int
    /// `(D, 4u)`.
    public var kernel: [Scalar]
    /// `(u, 4u)`.
    public var recurrentKernel: [Scalar]
    /// `(4u)`, or nil when `use_bias=False`.
    public var bias: [Scalar]?
    /// Used for the candidate and for the output (`activation`).
    public var activation: Activation
    /// Used for the i, f and o gates (`recurrent_activation`).
    public var recurrentActivation: Activation

    public init(
        units: Int, inputDim: Int, kernel: [Scalar], recurrentKernel: [Scalar], bias: [Scalar]?,
        activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid
    ) {
        precondition(kernel.count == inputDim * 4 * units, "LSTM kernel must be (\(inputDim), \(4 * units))")
        precondition(recurrentKernel.count == units * 4 * units, "LSTM recurrent kernel must be (\(units), \(4 * units))")
        precondition(bias.map { $0.count == 4 * units } ?? true, "LSTM bias must be (\(4 * units),)")
        self.units = units
        self.inputDim = inputDim
        self.kernel = kernel
        self.recurrentKernel = recurrentKernel
        self.bias = bias
        self.activation = activation
        self.recurrentActivation = recurrentActivation
    }

    public var stateCount: Int { 2 }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func projectInputs(_ x: [Scalar], rows: Int) -> [Scalar] {
        Kernels.matmul(x, kernel, m: rows, k: inputDim, n: 4 * units)
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func step(projected: ArraySlice<Scalar>, states: inout [[Scalar]], rows: Int) -> [Scalar] {
        let u = units
        let g = 4 * u
        var z = Kernels.matmul(states[0], recurrentKernel, m: rows, k: u, n: g)
        let base = projected.startIndex
        for r in 0..<rows {
            for j in 0..<g {
                var value = projected[base + r * g + j] + z[r * g + j]
                if let bias { value = value + bias[j] }
                z[r * g + j] = value
            }
        }
        var h = [Scalar](repeating: 0, count: rows * u)
        var c = states[1]
        for r in 0..<rows {
            let zr = r * g
            for j in 0..<u {
                let i = recurrentActivation(z[zr + j])
                let f = recurrentActivation(z[zr + u + j])
                let candidate = activation(z[zr + 2 * u + j])
                let o = recurrentActivation(z[zr + 3 * u + j])
                let cNew = f * c[r * u + j] + i * candidate
                c[r * u + j] = cNew
                h[r * u + j] = o * activation(cNew)
            }
        }
        states[0] = h
        states[1] = c
        return h
    }
}

/// GRU, gate order z, r, h.
///
/// `reset_after=True`: `mx = x@W + b_in; mh = h@U + b_rec; z = σ(mx_z + mh_z); r = σ(mx_r + mh_r);
/// ĥ = act(mx_h + r*mh_h); h' = z*h + (1-z)*ĥ`.
/// `reset_after=False`: `ĥ = act(mx_h + (r*h) @ U_h)`, one bias on the input side.
public struct GRUCell<Scalar: EngineScalar>: RecurrentCellProtocol {
    public var units: Int
    public var inputDim: Int
    /// `(D, 3u)`.
    public var kernel: [Scalar]
    /// `(u, 3u)`.
    public var recurrentKernel: [Scalar]
    /// `(3u)`: row 0 of Keras's `(2, 3u)` bias with `reset_after=True`, the whole bias otherwise.
    public var inputBias: [Scalar]?
    /// `(3u)`: row 1 of Keras's `(2, 3u)` bias; nil with `reset_after=False`.
    public var recurrentBias: [Scalar]?
    public var resetAfter: Bool
    public var activation: Activation
    public var recurrentActivation: Activation

    public init(
        units: Int, inputDim: Int, kernel: [Scalar], recurrentKernel: [Scalar],
        inputBias: [Scalar]?, recurrentBias: [Scalar]?, resetAfter: Bool,
        activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid
    ) {
        precondition(kernel.count == inputDim * 3 * units, "GRU kernel must be (\(inputDim), \(3 * units))")
        precondition(recurrentKernel.count == units * 3 * units, "GRU recurrent kernel must be (\(units), \(3 * units))")
        precondition(inputBias.map { $0.count == 3 * units } ?? true)
        precondition(recurrentBias.map { $0.count == 3 * units } ?? true)
        precondition(resetAfter || recurrentBias == nil, "reset_after=False has a single bias")
        self.units = units
        self.inputDim = inputDim
        self.kernel = kernel
        self.recurrentKernel = recurrentKernel
        self.inputBias = inputBias
        self.recurrentBias = recurrentBias
        self.resetAfter = resetAfter
        self.activation = activation
        self.recurrentActivation = recurrentActivation
    }

    public var stateCount: Int { 1 }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func projectInputs(_ x: [Scalar], rows: Int) -> [Scalar] {
        var mx = Kernels.matmul(x, kernel, m: rows, k: inputDim, n: 3 * units)
        if let inputBias { Kernels.addRowVector(&mx, inputBias) }
        return mx
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func step(projected: ArraySlice<Scalar>, states: inout [[Scalar]], rows: Int) -> [Scalar] {
        let u = units
        let hPrev = states[0]
        let base = projected.startIndex
        var hNew = [Scalar](repeating: 0, count: rows * u)
        if resetAfter {
            var inner = Kernels.matmul(hPrev, recurrentKernel, m: rows, k: u, n: 3 * u)
            if let recurrentBias { Kernels.addRowVector(&inner, recurrentBias) }
            for r in 0..<rows {
                for j in 0..<u {
                    let px = base + r * 3 * u
                    let z = recurrentActivation(projected[px + j] + inner[r * 3 * u + j])
                    let reset = recurrentActivation(projected[px + u + j] + inner[r * 3 * u + u + j])
                    let candidate = activation(projected[px + 2 * u + j] + reset * inner[r * 3 * u + 2 * u + j])
                    hNew[r * u + j] = z * hPrev[r * u + j] + (1 - z) * candidate
                }
            }
        } else {
            // Recurrent kernel split: U[:, :2u] for z and r, U[:, 2u:] for the candidate.
            var uZR = [Scalar](repeating: 0, count: u * 2 * u)
            var uH = [Scalar](repeating: 0, count: u * u)
            for p in 0..<u {
                for j in 0..<(2 * u) { uZR[p * 2 * u + j] = recurrentKernel[p * 3 * u + j] }
                for j in 0..<u { uH[p * u + j] = recurrentKernel[p * 3 * u + 2 * u + j] }
            }
            let inner = Kernels.matmul(hPrev, uZR, m: rows, k: u, n: 2 * u)
            var zGate = [Scalar](repeating: 0, count: rows * u)
            var resetH = [Scalar](repeating: 0, count: rows * u)
            for r in 0..<rows {
                for j in 0..<u {
                    let px = base + r * 3 * u
                    zGate[r * u + j] = recurrentActivation(projected[px + j] + inner[r * 2 * u + j])
                    let reset = recurrentActivation(projected[px + u + j] + inner[r * 2 * u + u + j])
                    resetH[r * u + j] = reset * hPrev[r * u + j]
                }
            }
            let recurrentH = Kernels.matmul(resetH, uH, m: rows, k: u, n: u)
            for r in 0..<rows {
                for j in 0..<u {
                    let candidate = activation(projected[base + r * 3 * u + 2 * u + j] + recurrentH[r * u + j])
                    let z = zGate[r * u + j]
                    hNew[r * u + j] = z * hPrev[r * u + j] + (1 - z) * candidate
                }
            }
        }
        states[0] = hNew
        return hNew
    }
}

/// SimpleRNN: `h' = act((x @ W + b) + h @ U)`.
public struct SimpleRNNCell<Scalar: EngineScalar>: RecurrentCellProtocol {
    public var units: Int
    public var inputDim: Int
    /// `(D, u)`.
    public var kernel: [Scalar]
    /// `(u, u)`.
    public var recurrentKernel: [Scalar]
    /// `(u)`, or nil.
    public var bias: [Scalar]?
    public var activation: Activation

    public init(
        units: Int, inputDim: Int, kernel: [Scalar], recurrentKernel: [Scalar], bias: [Scalar]?,
        activation: Activation = .tanh
    ) {
        precondition(kernel.count == inputDim * units, "SimpleRNN kernel must be (\(inputDim), \(units))")
        precondition(recurrentKernel.count == units * units, "SimpleRNN recurrent kernel must be (\(units), \(units))")
        precondition(bias.map { $0.count == units } ?? true)
        self.units = units
        self.inputDim = inputDim
        self.kernel = kernel
        self.recurrentKernel = recurrentKernel
        self.bias = bias
        self.activation = activation
    }

    public var stateCount: Int { 1 }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func projectInputs(_ x: [Scalar], rows: Int) -> [Scalar] {
        var h = Kernels.matmul(x, kernel, m: rows, k: inputDim, n: units)
        if let bias { Kernels.addRowVector(&h, bias) }
        return h
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func step(projected: ArraySlice<Scalar>, states: inout [[Scalar]], rows: Int) -> [Scalar] {
        let u = units
        var out = Kernels.matmul(states[0], recurrentKernel, m: rows, k: u, n: u)
        let base = projected.startIndex
        for i in 0..<(rows * u) { out[i] = activation(projected[base + i] + out[i]) }
        states[0] = out
        return out
    }
}
