import RNNEngine

/// `LSTM`, `GRU`, `SimpleRNN`, `RNN(cell)` and `Bidirectional`.
enum RecurrentImport {
    /// `call(sequences, initial_state=None, mask=None, training=None)` (Keras 3; Keras 2's
    /// `call(inputs, mask, training, initial_state, constants)` binds by keyword the same way).
    static let signature = CallSignature(
        parameters: ["sequences", "initial_state", "mask", "training", "constants"], inputs: ["sequences"],
        initialState: "initial_state")

    static let entries: [String: LayerEntry] = [
        "LSTM": LayerEntry(signature) { try layer(&$0, className: "LSTM") },
        "GRU": LayerEntry(signature) { try layer(&$0, className: "GRU") },
        "SimpleRNN": LayerEntry(signature) { try layer(&$0, className: "SimpleRNN") },
        "RNN": LayerEntry(signature) { try genericRNN(&$0) },
        "Bidirectional": LayerEntry(signature) { try bidirectional(&$0) },
    ]

    static let classes: Set<String> = ["LSTM", "GRU", "SimpleRNN"]

    static func layer(_ b: inout LayerBuild, className: String) throws -> any Layer<Double> {
        var cursor = try b.cursor(.cell, origin: "\(b.name) cell weights")
        let layer = try recurrent(&b, className: className, reader: b.reader, input: b.input(), cursor: &cursor)
        try cursor.finish()
        return layer
    }

    static func bidirectional(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let input = try b.input()
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union(["layer", "backward_layer", "merge_mode", "weights"]))
        try reader.checkDType()
        let inner = try reader.config["layer"]
        let innerClass = try inner.string("class_name")
        if let d = ConvLSTMImport.classes[innerClass] { return try convLSTMBidirectional(&b, dimensions: d, input: input) }
        guard classes.contains(innerClass) else { throw reader.unsupported("Bidirectional around \(innerClass)") }
        let forwardConfig = try inner["config"]
        let forwardName = try forwardConfig.optional("name")?.string() ?? "forward"
        let backwardEntry = try reader.config.optional("backward_layer")
        let backwardClass = try backwardEntry?.string("class_name") ?? innerClass
        guard classes.contains(backwardClass) else { throw reader.unsupported("Bidirectional backward layer \(backwardClass)") }
        let backwardConfig = try backwardEntry?["config"] ?? forwardConfig
        var fCursor = try b.cursor(.forwardCell, origin: "\(b.name) forward weights")
        var bCursor = try b.cursor(.backwardCell, origin: "\(b.name) backward weights")
        var forward = try recurrent(
            &b, className: innerClass, reader: reader.nested("\(b.name)/\(forwardName)", config: forwardConfig),
            input: input, cursor: &fCursor)
        let backwardName = try backwardConfig.optional("name")?.string() ?? "backward"
        var backward = try recurrent(
            &b, className: backwardClass, reader: reader.nested("\(b.name)/\(backwardName)", config: backwardConfig),
            input: input, cursor: &bCursor)
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
        var mergeMode: MergeMode?
        if let m = try reader.config.optional("merge_mode") {
            let text = try m.string()
            guard let mode = MergeMode(rawValue: text) else { throw reader.unsupported("merge_mode '\(text)'") }
            mergeMode = mode
        }
        return BidirectionalLayer(forward: forward, backward: backward, mergeMode: mergeMode)
    }

    /// `Bidirectional(ConvLSTMnD)`.
    static func convLSTMBidirectional(_ b: inout LayerBuild, dimensions d: Int, input: SymbolicShape) throws -> any Layer<Double> {
        let reader = b.reader
        let forwardConfig = try reader.config["layer"]["config"]
        let backwardEntry = try reader.config.optional("backward_layer")
        if let backwardEntry, try backwardEntry.string("class_name") != "ConvLSTM\(d)D" {
            throw reader.unsupported("Bidirectional whose backward layer is \(try backwardEntry.string("class_name"))")
        }
        let backwardConfig = try backwardEntry?["config"] ?? forwardConfig
        var fCursor = try b.cursor(.forwardCell, origin: "\(b.name) forward weights")
        var bCursor = try b.cursor(.backwardCell, origin: "\(b.name) backward weights")
        var forward = try ConvLSTMImport.convLSTM(&b, reader: reader.nested("\(b.name)/forward", config: forwardConfig), dimensions: d,
                                                  input: input, cursor: &fCursor)
        var backward = try ConvLSTMImport.convLSTM(&b, reader: reader.nested("\(b.name)/backward", config: backwardConfig), dimensions: d,
                                                   input: input, cursor: &bCursor)
        try fCursor.finish()
        try bCursor.finish()
        if backwardEntry == nil { backward.goBackwards = !forward.goBackwards }
        guard forward.goBackwards != backward.goBackwards, forward.returnSequences == backward.returnSequences,
              forward.returnState == backward.returnState else {
            throw reader.unsupported("Bidirectional whose layers do not mirror each other")
        }
        // Bidirectional forces zero_output_for_mask = return_sequences, which tf.keras's
        // ConvRNN never passes on to its loop.
        forward.zeroOutputForMask = reader.kerasMajor >= 3 && forward.returnSequences
        backward.zeroOutputForMask = reader.kerasMajor >= 3 && backward.returnSequences
        var mergeMode: MergeMode?
        if let m = try reader.config.optional("merge_mode") {
            guard let mode = MergeMode(rawValue: try m.string()) else { throw reader.unsupported("merge_mode '\(try m.string())'") }
            mergeMode = mode
        }
        return SequenceBidirectionalLayer<Double>(forward: forward, backward: backward, mergeMode: mergeMode,
                                                  returnSequences: forward.returnSequences, states: forward.returnState ? 2 : 0)
    }

    /// An LSTM, GRU or SimpleRNN layer from its config and cell weights.
    static func recurrent(
        _ b: inout LayerBuild, className: String, reader: LayerConfigReader, input: SymbolicShape, cursor: inout WeightCursor
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
            throw ImportError.config(file: reader.file, path: reader.config.path,
                message: "\(className) '\(reader.layer)' needs a (time, features) input with known features, got \(Shapes.describe(input))")
        }
        if try reader.bool("time_major", default: false) { throw reader.unsupported("time_major=True") }
        let u = try reader.positive("units")
        let useBias = try reader.bool("use_bias", default: true)
        let activation = try reader.activation("activation", default: .tanh)
        guard activation.isElementwise else { throw reader.unsupported("activation '\(activation)' on a recurrent cell") }
        let recurrentActivation = className == "SimpleRNN" ? Activation.linear : try reader.activation("recurrent_activation", default: .sigmoid)
        guard recurrentActivation.isElementwise else { throw reader.unsupported("recurrent_activation '\(recurrentActivation)'") }
        for a in [activation, recurrentActivation] where a == .hardSigmoid || a == .hardSigmoidKeras2 {
            b.note("layer '\(reader.layer)' uses \(a), as the file was written by Keras \(reader.kerasMajor)")
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
        case "SimpleRNN":
            let kernel = try cursor.take("kernel", shape: [inputDim, u])
            let recurrentKernel = try cursor.take("recurrent_kernel", shape: [u, u])
            let bias = useBias ? try cursor.take("bias", shape: [u]) : nil
            cell = .simpleRNN(SimpleRNNCell(units: u, inputDim: inputDim, kernel: kernel, recurrentKernel: recurrentKernel,
                                            bias: bias, activation: activation))
        default:
            throw reader.unsupported("recurrent layer class '\(className)'")
        }
        var layer = RecurrentLayer(cell: cell)
        try sequenceOptions(&layer, reader: reader)
        return layer
    }

    /// The options every RNN layer shares.
    static func sequenceOptions(_ layer: inout RecurrentLayer<Double>, reader: LayerConfigReader) throws {
        layer.returnSequences = try reader.bool("return_sequences", default: false)
        layer.returnState = try reader.bool("return_state", default: false)
        layer.goBackwards = try reader.bool("go_backwards", default: false)
        layer.zeroOutputForMask = try reader.bool("zero_output_for_mask", default: false)
        layer.unroll = try reader.bool("unroll", default: false)
    }

    /// `keras.layers.RNN(cell)` with a built-in cell or a `StackedRNNCells`.
    static func genericRNN(_ b: inout LayerBuild) throws -> any Layer<Double> {
        let input = try b.input()
        let reader = b.reader
        try reader.checkKeys(LayerConfigReader.commonKeys.union([
            "cell", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
            "zero_output_for_mask", "time_major",
        ]))
        try reader.checkDType()
        if try reader.bool("time_major", default: false) { throw reader.unsupported("time_major=True") }
        let cellEntry = try reader.config["cell"]
        var layer: RecurrentLayer<Double>
        if try cellEntry.string("class_name") == "StackedRNNCells" {
            let cellsConfig = try cellEntry["config"]
            let entries = try cellsConfig["cells"].array()
            guard !entries.isEmpty else { throw cellsConfig.fail("StackedRNNCells with no cells") }
            var arrays: [WeightArray] = []
            var counts: [String: Int] = [:]
            for (index, entry) in entries.enumerated() {
                let base = GraphBuilder.snakeCase(try entry.string("class_name"))
                let n = counts[base, default: 0]
                counts[base] = n + 1
                arrays += try b.weights.arrays(.stackedCell(index: index, cellKey: n == 0 ? base : "\(base)_\(n)"))
            }
            b.weightPaths += arrays.map(\.path)
            var cursor = WeightCursor(file: b.file, layer: b.name, arrays: arrays, origin: "\(b.name) cell weights")
            var cells: [RecurrentCell<Double>] = []
            var width = input
            for entry in entries {
                let cell = try self.cell(&b, entry: entry, input: width, cursor: &cursor)
                cells.append(cell)
                width = [input.first ?? nil, cell.units]
            }
            try cursor.finish()
            layer = RecurrentLayer(cell: .stacked(cells))
        } else {
            var cursor = try b.cursor(.cell, origin: "\(b.name) cell weights")
            layer = RecurrentLayer(cell: try cell(&b, entry: cellEntry, input: input, cursor: &cursor))
            try cursor.finish()
        }
        try sequenceOptions(&layer, reader: reader)
        return layer
    }

    /// One built-in cell (`LSTMCell`, `GRUCell`, `SimpleRNNCell`) from its config entry.
    static func cell(_ b: inout LayerBuild, entry: JSONValue, input: SymbolicShape, cursor: inout WeightCursor) throws -> RecurrentCell<Double> {
        let cellClass = try entry.string("class_name")
        let layerClass: String
        switch cellClass {
        case "LSTMCell": layerClass = "LSTM"
        case "GRUCell": layerClass = "GRU"
        case "SimpleRNNCell": layerClass = "SimpleRNN"
        default: throw b.reader.unsupported("RNN cell '\(cellClass)'")
        }
        // The cell's own config has the cell options; the layer's has the sequence options.
        let cellConfig = try entry["config"]
        let cellReader = b.reader.nested("\(b.name)/\(try cellConfig.optional("name")?.string() ?? cellClass)", config: cellConfig)
        return try recurrent(&b, className: layerClass, reader: cellReader, input: input, cursor: &cursor).cell
    }
}
