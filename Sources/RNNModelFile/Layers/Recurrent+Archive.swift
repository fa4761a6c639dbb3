import RNNEngine

extension InputLayer: ArchivableLayer {
    public static var typeName: String { "InputLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        e.encode("shape", shape: shape)
        e.encode("kind", kind: kind)
    }

    public init(from d: inout LayerDecoder) throws {
        guard d.inputCount == 0 else { throw d.fail("an InputLayer node takes no inputs, this one has \(d.inputCount)") }
        self.init(shape: try d.decodeShape("shape"), kind: try d.decodeKind("kind"))
    }
}

// MARK: - Recurrent layers

/// A cell in the description: `{"kind": "lstm" | "gru" | "simple_rnn" | "stacked", ...}`.
enum CellCoding {
    static func encode<S: EngineScalar>(_ cell: RecurrentCell<S>, _ e: inout LayerEncoder) throws {
        switch cell {
        case .lstm(let c):
            e.encode("kind", "lstm")
            e.encode("units", c.units)
            e.encode("input_dim", c.inputDim)
            try e.encode("kernel", tensor: c.kernel, shape: [c.inputDim, 4 * c.units])
            try e.encode("recurrent_kernel", tensor: c.recurrentKernel, shape: [c.units, 4 * c.units])
            try e.encode("bias", tensor: c.bias, shape: [4 * c.units])
            e.encode("activation", activation: c.activation)
            e.encode("recurrent_activation", activation: c.recurrentActivation)
        case .gru(let c):
            e.encode("kind", "gru")
            e.encode("units", c.units)
            e.encode("input_dim", c.inputDim)
            try e.encode("kernel", tensor: c.kernel, shape: [c.inputDim, 3 * c.units])
            try e.encode("recurrent_kernel", tensor: c.recurrentKernel, shape: [c.units, 3 * c.units])
            try e.encode("input_bias", tensor: c.inputBias, shape: [3 * c.units])
            try e.encode("recurrent_bias", tensor: c.recurrentBias, shape: [3 * c.units])
            e.encode("reset_after", c.resetAfter)
            e.encode("activation", activation: c.activation)
            e.encode("recurrent_activation", activation: c.recurrentActivation)
        case .simpleRNN(let c):
            e.encode("kind", "simple_rnn")
            e.encode("units", c.units)
            e.encode("input_dim", c.inputDim)
            try e.encode("kernel", tensor: c.kernel, shape: [c.inputDim, c.units])
            try e.encode("recurrent_kernel", tensor: c.recurrentKernel, shape: [c.units, c.units])
            try e.encode("bias", tensor: c.bias, shape: [c.units])
            e.encode("activation", activation: c.activation)
        case .stacked(let cells):
            e.encode("kind", "stacked")
            try e.encode("cells", objects: cells) { cell, inner in try encode(cell, &inner) }
        }
    }

    static func decode<S: EngineScalar>(_ d: inout LayerDecoder, stackable: Bool = true) throws -> RecurrentCell<S> {
        let kind = try d.decode("kind", as: String.self)
        if kind == "stacked" {
            guard stackable else { throw d.fail("a stacked cell cannot hold another stack", at: "kind") }
            let cells: [RecurrentCell<S>] = try d.decode("cells", objects: 1024) { try decode(&$0, stackable: false) }
            guard let first = cells.first else { throw d.fail("a stack needs at least one cell", at: "cells") }
            // Each cell reads the output of the one before it.
            var width = first.units
            for (k, cell) in cells.enumerated().dropFirst() {
                guard cell.inputDim == width else {
                    throw d.fail("cell \(k) takes \(cell.inputDim) input features, but cell \(k - 1) gives \(width)", at: "cells[\(k)].input_dim")
                }
                width = cell.units
            }
            return .stacked(cells)
        }
        let units = try d.decode("units", in: 1...Names.maxSize)
        let inputDim = try d.decode("input_dim", in: 1...Names.maxSize)
        switch kind {
        case "lstm":
            return .lstm(LSTMCell(
                units: units, inputDim: inputDim,
                kernel: try d.decode("kernel", tensorOf: [inputDim, 4 * units]),
                recurrentKernel: try d.decode("recurrent_kernel", tensorOf: [units, 4 * units]),
                bias: try d.decodeOptional("bias", tensorOf: [4 * units]),
                activation: try d.decodeElementwiseActivation("activation"),
                recurrentActivation: try d.decodeElementwiseActivation("recurrent_activation")))
        case "gru":
            let kernel: [S] = try d.decode("kernel", tensorOf: [inputDim, 3 * units])
            let recurrentKernel: [S] = try d.decode("recurrent_kernel", tensorOf: [units, 3 * units])
            let inputBias: [S]? = try d.decodeOptional("input_bias", tensorOf: [3 * units])
            let recurrentBias: [S]? = try d.decodeOptional("recurrent_bias", tensorOf: [3 * units])
            let resetAfter = try d.decode("reset_after", as: Bool.self)
            guard resetAfter || recurrentBias == nil else {
                throw d.fail("a GRU with reset_after=false has one bias (input_bias); recurrent_bias must be null", at: "recurrent_bias")
            }
            return .gru(GRUCell(
                units: units, inputDim: inputDim, kernel: kernel, recurrentKernel: recurrentKernel,
                inputBias: inputBias, recurrentBias: recurrentBias, resetAfter: resetAfter,
                activation: try d.decodeElementwiseActivation("activation"),
                recurrentActivation: try d.decodeElementwiseActivation("recurrent_activation")))
        case "simple_rnn":
            return .simpleRNN(SimpleRNNCell(
                units: units, inputDim: inputDim,
                kernel: try d.decode("kernel", tensorOf: [inputDim, units]),
                recurrentKernel: try d.decode("recurrent_kernel", tensorOf: [units, units]),
                bias: try d.decodeOptional("bias", tensorOf: [units]),
                activation: try d.decodeElementwiseActivation("activation")))
        default:
            throw d.fail("'\(kind)' is not one of 'lstm', 'gru', 'simple_rnn', 'stacked'", at: "kind")
        }
    }
}

extension RecurrentLayer: ArchivableLayer {
    public static var typeName: String { "RecurrentLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("cell", object: { try CellCoding.encode(cell, &$0) })
        e.encode("return_sequences", returnSequences)
        e.encode("return_state", returnState)
        e.encode("go_backwards", goBackwards)
        e.encode("zero_output_for_mask", zeroOutputForMask)
        e.encode("unroll", unroll)
    }

    public init(from d: inout LayerDecoder) throws {
        self.init(cell: try d.decode("cell", object: { try CellCoding.decode(&$0) }),
                  returnSequences: try d.decode("return_sequences", as: Bool.self),
                  returnState: try d.decode("return_state", as: Bool.self),
                  goBackwards: try d.decode("go_backwards", as: Bool.self),
                  zeroOutputForMask: try d.decode("zero_output_for_mask", as: Bool.self))
        unroll = try d.decode("unroll", as: Bool.self)
    }
}

extension BidirectionalLayer: ArchivableLayer {
    public static var typeName: String { "BidirectionalLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("forward", layer: forward as any Layer<Scalar>)
        try e.encode("backward", layer: backward as any Layer<Scalar>)
        e.encode("merge_mode", mergeMode: mergeMode)
    }

    public init(from d: inout LayerDecoder) throws {
        let forward = try d.decode("forward", layer: RecurrentLayer<Scalar>.self, inputs: d.inputCount)
        let backward = try d.decode("backward", layer: RecurrentLayer<Scalar>.self, inputs: d.inputCount)
        // What the Keras importer makes of a Bidirectional, and what the fast path relies on.
        guard forward.cell.inputDim == backward.cell.inputDim else {
            throw d.fail("the forward layer takes \(forward.cell.inputDim) features, the backward \(backward.cell.inputDim)", at: "backward")
        }
        guard forward.returnSequences == backward.returnSequences, forward.returnState == backward.returnState,
              forward.goBackwards != backward.goBackwards else {
            throw d.fail("the backward layer must mirror the forward one (same return_sequences and return_state, the other go_backwards)", at: "backward")
        }
        self.init(forward: forward, backward: backward, mergeMode: try d.decodeMergeMode("merge_mode"))
    }
}
