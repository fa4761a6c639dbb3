import RNNEngine

/// A tensor shape without the batch axis; nil extents are unknown (e.g. variable time).
typealias SymbolicShape = [Int?]

/// Turns one Keras layer (class name + config + weights) into an engine operation, given the
/// shapes of its inputs, and says what shapes it produces.
struct LayerFactory {
    let file: String
    let kerasMajor: Int
    /// Notes on semantics chosen, for `inspect` (e.g. which hard_sigmoid).
    var notes: [String] = []

    struct Built {
        var operation: LayerOperation<Double>
        var outputShapes: [SymbolicShape]
        /// Weight paths read, in order.
        var weightPaths: [String]
    }

    static let recurrentClasses: Set<String> = ["LSTM", "GRU", "SimpleRNN"]

    mutating func build(
        className: String, name: String, config: JSONValue, inputShapes: [SymbolicShape], weights: LayerWeights
    ) throws -> Built {
        let reader = LayerConfigReader(file: file, kerasMajor: kerasMajor, layer: name, config: config)
        func one() throws -> SymbolicShape {
            guard inputShapes.count == 1 else {
                throw ImportError.config(file: file, path: config.path, message: "\(className) '\(name)' takes one input, got \(inputShapes.count)")
            }
            return inputShapes[0]
        }
        switch className {
        case "LSTM", "GRU", "SimpleRNN":
            let input = try one()
            let arrays = try weights.arrays(.cell)
            var cursor = WeightCursor(file: file, layer: name, arrays: arrays, origin: "\(name) cell weights")
            let layer = try recurrent(className: className, reader: reader, input: input, cursor: &cursor, inBidirectional: false)
            try cursor.finish()
            return Built(operation: .recurrent(layer), outputShapes: Self.recurrentShapes(layer, input: input),
                         weightPaths: arrays.map(\.path))
        case "Bidirectional":
            let input = try one()
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["layer", "backward_layer", "merge_mode", "weights"]))
            try reader.checkDType()
            let inner = try config["layer"]
            let innerClass = try inner.string("class_name")
            guard Self.recurrentClasses.contains(innerClass) else {
                throw reader.unsupported("Bidirectional around \(innerClass)")
            }
            let forwardConfig = try inner["config"]
            let forwardName = try forwardConfig.optional("name")?.string() ?? "forward"
            let backwardEntry = try config.optional("backward_layer")
            let backwardClass = try backwardEntry?.string("class_name") ?? innerClass
            guard Self.recurrentClasses.contains(backwardClass) else {
                throw reader.unsupported("Bidirectional backward layer \(backwardClass)")
            }
            let backwardConfig = try backwardEntry?["config"] ?? forwardConfig
            let fArrays = try weights.arrays(.forwardCell)
            let bArrays = try weights.arrays(.backwardCell)
            var fCursor = WeightCursor(file: file, layer: name, arrays: fArrays, origin: "\(name) forward weights")
            var bCursor = WeightCursor(file: file, layer: name, arrays: bArrays, origin: "\(name) backward weights")
            var forward = try recurrent(
                className: innerClass,
                reader: LayerConfigReader(file: file, kerasMajor: kerasMajor, layer: "\(name)/\(forwardName)", config: forwardConfig),
                input: input, cursor: &fCursor, inBidirectional: true)
            let backwardName = try backwardConfig.optional("name")?.string() ?? "backward"
            var backward = try recurrent(
                className: backwardClass,
                reader: LayerConfigReader(file: file, kerasMajor: kerasMajor, layer: "\(name)/\(backwardName)", config: backwardConfig),
                input: input, cursor: &bCursor, inBidirectional: true)
            try fCursor.finish()
            try bCursor.finish()
            if backwardEntry == nil {
                // Keras 2 files store only the forward layer; Keras builds the backward one from
                // the same config with go_backwards flipped.
                backward.goBackwards = !forward.goBackwards
            }
            guard forward.goBackwards != backward.goBackwards else {
                throw reader.unsupported("Bidirectional whose forward and backward layers have the same go_backwards")
            }
            guard forward.returnSequences == backward.returnSequences, forward.returnState == backward.returnState else {
                throw reader.unsupported("Bidirectional whose forward and backward layers differ in return_sequences or return_state")
            }
            // Bidirectional forces zero_output_for_mask = return_sequences on both layers.
            forward.zeroOutputForMask = forward.returnSequences
            backward.zeroOutputForMask = backward.returnSequences
            let mergeMode: MergeMode?
            if let m = try config.optional("merge_mode") {
                let text = try m.string()
                guard let mode = MergeMode(rawValue: text) else { throw reader.unsupported("merge_mode '\(text)'") }
                mergeMode = mode
            } else {
                mergeMode = nil
            }
            let layer = BidirectionalLayer(forward: forward, backward: backward, mergeMode: mergeMode)
            let fShapes = Self.recurrentShapes(forward, input: input)
            let bShapes = Self.recurrentShapes(backward, input: input)
            var shapes: [SymbolicShape]
            switch mergeMode {
            case nil: shapes = [fShapes[0], bShapes[0]]
            case .concat?: shapes = [Array(fShapes[0].dropLast()) + [forward.units + backward.units]]
            default:
                guard forward.units == backward.units else {
                    throw reader.unsupported("merge_mode '\(mergeMode!.rawValue)' with forward and backward units \(forward.units) and \(backward.units)")
                }
                shapes = [fShapes[0]]
            }
            if layer.returnState { shapes += Array(fShapes.dropFirst()) + Array(bShapes.dropFirst()) }
            return Built(operation: .bidirectional(layer), outputShapes: shapes, weightPaths: (fArrays + bArrays).map(\.path))
        default:
            return try buildOther(className: className, name: name, config: config, reader: reader,
                                  inputShapes: inputShapes, weights: weights)
        }
    }

    static func recurrentShapes(_ layer: RecurrentLayer<Double>, input: SymbolicShape) -> [SymbolicShape] {
        let u = layer.units
        let out: SymbolicShape = layer.returnSequences ? [input.first ?? nil, u] : [u]
        return [out] + (layer.returnState ? Array(repeating: [u], count: layer.cell.stateCount) : [])
    }

    /// Builds an LSTM, GRU or SimpleRNN layer from its config and cell weights.
    mutating func recurrent(
        className: String, reader: LayerConfigReader, input: SymbolicShape, cursor: inout WeightCursor,
        inBidirectional: Bool
    ) throws -> RecurrentLayer<Double> {
        var known = LayerConfigReader.commonKeys.union(LayerConfigReader.trainingOnlyKeys).union([
            "units", "activation", "use_bias", "return_sequences", "return_state", "go_backwards",
            "stateful", "unroll", "zero_output_for_mask", "time_major",
        ])
        if className != "SimpleRNN" { known.insert("recurrent_activation") }
        if className == "GRU" { known.insert("reset_after") }
        try reader.checkKeys(known)
        try reader.checkDType()
        guard input.count == 2, let inputDim = input[1] else {
            throw ImportError.config(file: file, path: reader.config.path,
                message: "\(className) '\(reader.layer)' needs a (time, features) input with known features, got \(input)")
        }
        if try reader.bool("time_major", default: false) {
            throw reader.unsupported("time_major=True")
        }
        let u = try reader.config.int("units")
        guard u > 0 else { throw reader.config.fail("units must be positive, got \(u)") }
        let useBias = try reader.bool("use_bias", default: true)
        let activation = try reader.activation("activation", default: .tanh)
        guard activation.isElementwise else { throw reader.unsupported("activation '\(activation)' on a recurrent cell") }
        let recurrentActivation = className == "SimpleRNN" ? Activation.linear : try reader.activation("recurrent_activation", default: .sigmoid)
        guard recurrentActivation.isElementwise else {
            throw reader.unsupported("recurrent_activation '\(recurrentActivation)'")
        }
        for a in [activation, recurrentActivation] where a == .hardSigmoid || a == .hardSigmoidKeras2 {
            let note = "layer '\(reader.layer)' uses \(a), as the file was written by Keras \(kerasMajor)"
            if !notes.contains(note) { notes.append(note) }
        }
        let cell: RecurrentCell<Double>
        switch className {
        case "LSTM":
            let kernel = try cursor.take("kernel", shape: [inputDim, 4 * u])
            let recurrentKernel = try cursor.take("recurrent_kernel", shape: [u, 4 * u])
            let bias = useBias ? try cursor.take("bias", shape: [4 * u]) : nil
            cell = .lstm(LSTMCell(units: u, inputDim: inputDim, kernel: kernel, recurrentKernel: recurrentKernel,
                                  bias: bias, activation: activation, recurrentActivation: recurrentActivation))
        case "GRU":
            let resetAfter = try reader.bool("reset_after", default: true)
            let kernel = try cursor.take("kernel", shape: [inputDim, 3 * u])
            let recurrentKernel = try cursor.take("recurrent_kernel", shape: [u, 3 * u])
            var inputBias: [Double]?
            var recurrentBias: [Double]?
            if useBias {
                if resetAfter {
                    let both = try cursor.take("bias", shape: [2, 3 * u])
                    inputBias = Array(both[..<(3 * u)])
                    recurrentBias = Array(both[(3 * u)...])
                } else {
                    inputBias = try cursor.take("bias", shape: [3 * u])
                }
            }
            cell = .gru(GRUCell(units: u, inputDim: inputDim, kernel: kernel, recurrentKernel: recurrentKernel,
                                inputBias: inputBias, recurrentBias: recurrentBias, resetAfter: resetAfter,
                                activation: activation, recurrentActivation: recurrentActivation))
        default:
            let kernel = try cursor.take("kernel", shape: [inputDim, u])
            let recurrentKernel = try cursor.take("recurrent_kernel", shape: [u, u])
            let bias = useBias ? try cursor.take("bias", shape: [u]) : nil
            cell = .simpleRNN(SimpleRNNCell(units: u, inputDim: inputDim, kernel: kernel, recurrentKernel: recurrentKernel,
                                            bias: bias, activation: activation))
        }
        let returnSequences = try reader.bool("return_sequences", default: false)
        var layer = RecurrentLayer(
            cell: cell,
            returnSequences: returnSequences,
            returnState: try reader.bool("return_state", default: false),
            goBackwards: try reader.bool("go_backwards", default: false),
            zeroOutputForMask: try reader.bool("zero_output_for_mask", default: false))
        layer.unroll = try reader.bool("unroll", default: false)
        return layer
    }
}
