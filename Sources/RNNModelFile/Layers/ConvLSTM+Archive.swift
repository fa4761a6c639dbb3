import RNNEngine

extension ConvLSTMLayer: ArchivableLayer {
    public static var typeName: String { "ConvLSTMLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("input", layer: input as any Layer<Scalar>)
        try e.encode("recurrent", layer: recurrent as any Layer<Scalar>)
        e.encode("activation", activation: activation)
        e.encode("recurrent_activation", activation: recurrentActivation)
        e.encode("return_sequences", returnSequences)
        e.encode("return_state", returnState)
        e.encode("go_backwards", goBackwards)
        e.encode("zero_output_for_mask", zeroOutputForMask)
    }

    public init(from d: inout LayerDecoder) throws {
        let input = try d.decode("input", layer: ConvolutionLayer<Scalar>.self, inputs: 1)
        let recurrent = try d.decode("recurrent", layer: ConvolutionLayer<Scalar>.self, inputs: 1)
        // The step reads the recurrent convolution of the state at every position of the state:
        // stride 1, undilated, `same` padding, one group, over as many axes as the input's.
        let dims = input.geometry.kernel.count
        let ones = [Int](repeating: 1, count: dims)
        guard recurrent.geometry.kernel.count == dims, recurrent.geometry.strides == ones, recurrent.geometry.dilation == ones,
              recurrent.geometry.padding == .same, recurrent.groups == 1, input.groups == 1 else {
            throw d.fail("the recurrent convolution must be stride 1, undilated, 'same' padding, one group, over the input's \(dims) spatial axes", at: "recurrent")
        }
        guard input.filters == recurrent.filters, recurrent.inputChannels * 4 == recurrent.filters else {
            throw d.fail("both convolutions compute the four gates: 4 × \(recurrent.inputChannels) filters each, found \(input.filters) and \(recurrent.filters)", at: "recurrent")
        }
        guard !input.channelsFirst, !recurrent.channelsFirst else { throw d.fail("the convolutions work channels-last", at: "input") }
        self.init(input: input, recurrent: recurrent, activation: try d.decodeElementwiseActivation("activation"),
                  recurrentActivation: try d.decodeElementwiseActivation("recurrent_activation"),
                  returnSequences: try d.decode("return_sequences", as: Bool.self), returnState: try d.decode("return_state", as: Bool.self),
                  goBackwards: try d.decode("go_backwards", as: Bool.self), zeroOutputForMask: try d.decode("zero_output_for_mask", as: Bool.self))
    }
}

/// Keras's importer makes a `SequenceBidirectionalLayer` only around `ConvLSTM` layers, and the
/// file holds only that: both directions are `ConvLSTMLayer`s.
extension SequenceBidirectionalLayer: ArchivableLayer {
    public static var typeName: String { "SequenceBidirectionalLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        for (key, layer) in [("forward", forward), ("backward", backward)] {
            guard layer is ConvLSTMLayer<Scalar> else {
                throw e.fail("its \(key) layer is a \(type(of: layer)); the file holds a SequenceBidirectionalLayer around ConvLSTMLayers only")
            }
            try e.encode(key, layer: layer)
        }
        e.encode("merge_mode", mergeMode: mergeMode)
        e.encode("return_sequences", returnSequences)
        e.encode("states", states)
    }

    public init(from d: inout LayerDecoder) throws {
        let forward = try d.decode("forward", layer: ConvLSTMLayer<Scalar>.self, inputs: d.inputCount)
        let backward = try d.decode("backward", layer: ConvLSTMLayer<Scalar>.self, inputs: d.inputCount)
        let returnSequences = try d.decode("return_sequences", as: Bool.self)
        let states = try d.decode("states", in: 0...2)
        guard forward.returnSequences == returnSequences, backward.returnSequences == returnSequences,
              forward.outputCount == 1 + states, backward.outputCount == 1 + states, forward.goBackwards != backward.goBackwards else {
            throw d.fail("the two directions must mirror each other and the layer (return_sequences, \(states) state(s) each, opposite go_backwards)")
        }
        self.init(forward: forward, backward: backward, mergeMode: try d.decodeMergeMode("merge_mode"),
                  returnSequences: returnSequences, states: states)
    }
}
