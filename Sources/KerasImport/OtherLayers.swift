import RNNEngine

extension LayerFactory {
    /// Layers that are the identity at inference, with the options they may carry.
    static let identityLayers: [String: Set<String>] = [
        "Dropout": ["rate", "noise_shape", "seed"],
        "SpatialDropout1D": ["rate", "seed", "noise_shape", "data_format"],
        "GaussianNoise": ["stddev", "seed"],
        "GaussianDropout": ["rate", "seed"],
        "AlphaDropout": ["rate", "noise_shape", "seed"],
        "ActivityRegularization": ["l1", "l2"],
    ]

    static let mergeLayers: [String: MergeOperation] = [
        "Add": .add, "Subtract": .subtract, "Multiply": .multiply, "Average": .average,
        "Maximum": .maximum, "Minimum": .minimum,
    ]

    mutating func buildOther(
        className: String, name: String, config: JSONValue, reader: LayerConfigReader,
        inputShapes: [SymbolicShape], weights: LayerWeights
    ) throws -> Built {
        func one() throws -> SymbolicShape {
            guard inputShapes.count == 1 else {
                throw ImportError.config(file: file, path: config.path, message: "\(className) '\(name)' takes one input, got \(inputShapes.count)")
            }
            return inputShapes[0]
        }
        func noWeights() throws {
            let own = try weights.arrays(.own)
            if let first = own.first { throw ImportError.extraWeight(file: file, path: first.path) }
        }
        if let keys = Self.identityLayers[className] {
            try reader.checkKeys(LayerConfigReader.commonKeys.union(keys))
            let input = try one()
            try noWeights()
            return Built(operation: .identity, outputShapes: [input], weightPaths: [])
        }
        if let op = Self.mergeLayers[className] {
            try reader.checkKeys(LayerConfigReader.commonKeys)
            try noWeights()
            guard let first = inputShapes.first, inputShapes.count >= 2 else {
                throw ImportError.config(file: file, path: config.path, message: "\(className) '\(name)' needs at least two inputs")
            }
            return Built(operation: .merge(op), outputShapes: [first], weightPaths: [])
        }
        switch className {
        case "Dense":
            let input = try one()
            let (dense, paths) = try self.dense(reader: reader, input: input, arrays: try weights.arrays(.own))
            return Built(operation: .dense(dense), outputShapes: [Array(input.dropLast()) + [dense.units]], weightPaths: paths)
        case "TimeDistributed":
            let input = try one()
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["layer"]))
            let inner = try config["layer"]
            let innerClass = try inner.string("class_name")
            guard innerClass == "Dense" else { throw reader.unsupported("TimeDistributed around \(innerClass)") }
            guard input.count >= 2 else {
                throw ImportError.config(file: file, path: config.path, message: "TimeDistributed '\(name)' needs a (time, ...) input, got \(input)")
            }
            let innerReader = LayerConfigReader(file: file, kerasMajor: kerasMajor, layer: "\(name)/\(try inner["config"].optional("name")?.string() ?? "dense")", config: try inner["config"])
            let (dense, paths) = try self.dense(reader: innerReader, input: input, arrays: try weights.arrays(.inner))
            return Built(operation: .timeDistributedDense(dense), outputShapes: [Array(input.dropLast()) + [dense.units]], weightPaths: paths)
        case "Embedding":
            let input = try one()
            try reader.checkKeys(LayerConfigReader.commonKeys.union(LayerConfigReader.trainingOnlyKeys)
                .union(["input_dim", "output_dim", "mask_zero", "input_length", "sparse", "embeddings_initializer"]))
            try reader.checkDType()
            let inputDim = try config.int("input_dim"), outputDim = try config.int("output_dim")
            let arrays = try weights.arrays(.own)
            var cursor = WeightCursor(file: file, layer: name, arrays: arrays, origin: "\(name) weights")
            let table = try cursor.take("embeddings", shape: [inputDim, outputDim])
            try cursor.finish()
            let layer = EmbeddingLayer(inputDim: inputDim, outputDim: outputDim, embeddings: table,
                                       maskZero: try reader.bool("mask_zero", default: false))
            return Built(operation: .embedding(layer), outputShapes: [input + [outputDim]], weightPaths: arrays.map(\.path))
        case "Masking":
            let input = try one()
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["mask_value"]))
            try noWeights()
            let value = try config.optional("mask_value")?.double() ?? 0
            return Built(operation: .masking(maskValue: value), outputShapes: [input], weightPaths: [])
        case "Activation":
            let input = try one()
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["activation"]))
            try noWeights()
            return Built(operation: .activation(try reader.activation("activation", default: .linear)), outputShapes: [input], weightPaths: [])
        case "Concatenate":
            try reader.checkKeys(LayerConfigReader.commonKeys.union(["axis"]))
            try noWeights()
            guard let first = inputShapes.first, inputShapes.count >= 2 else {
                throw ImportError.config(file: file, path: config.path, message: "Concatenate '\(name)' needs at least two inputs")
            }
            let axis = try config.optional("axis")?.int() ?? -1
            let rank = first.count + 1
            let a = axis < 0 ? axis + rank : axis
            guard a >= 1 && a < rank else { throw reader.unsupported("Concatenate along axis \(axis)") }
            var shape = first
            let extents = inputShapes.map { $0.count == first.count ? $0[a - 1] : nil }
            shape[a - 1] = extents.contains { $0 == nil } ? nil : extents.map { $0! }.reduce(0, +)
            return Built(operation: .merge(.concatenate(axis: axis)), outputShapes: [shape], weightPaths: [])
        case "RNN":
            return try genericRNN(name: name, config: config, reader: reader, input: try one(), weights: weights)
        default:
            throw ImportError.unsupported(file: file, layer: name, what: "layer class '\(className)'")
        }
    }

    func dense(reader: LayerConfigReader, input: SymbolicShape, arrays: [WeightArray]) throws -> (DenseLayer<Double>, [String]) {
        try reader.checkKeys(LayerConfigReader.commonKeys.union(LayerConfigReader.trainingOnlyKeys)
            .union(["units", "activation", "use_bias"]))
        try reader.checkDType()
        guard let inputDim = input.last ?? nil else {
            throw ImportError.config(file: file, path: reader.config.path, message: "Dense '\(reader.layer)' needs an input with a known last axis")
        }
        let units = try reader.config.int("units")
        var cursor = WeightCursor(file: file, layer: reader.layer, arrays: arrays, origin: "\(reader.layer) weights")
        let kernel = try cursor.take("kernel", shape: [inputDim, units])
        let bias = try reader.bool("use_bias", default: true) ? try cursor.take("bias", shape: [units]) : nil
        try cursor.finish()
        let dense = DenseLayer(inputDim: inputDim, units: units, kernel: kernel, bias: bias,
                               activation: try reader.activation("activation", default: .linear))
        return (dense, arrays.map(\.path))
    }

    /// `keras.layers.RNN(cell)` with a built-in cell.
    mutating func genericRNN(
        name: String, config: JSONValue, reader: LayerConfigReader, input: SymbolicShape, weights: LayerWeights
    ) throws -> Built {
        try reader.checkKeys(LayerConfigReader.commonKeys.union([
            "cell", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
            "zero_output_for_mask", "time_major",
        ]))
        try reader.checkDType()
        let cellEntry = try config["cell"]
        let cellClass = try cellEntry.string("class_name")
        var layer: RecurrentLayer<Double>
        var paths: [String] = []
        if cellClass == "StackedRNNCells" {
            let cellsConfig = try cellEntry["config"]
            let entries = try cellsConfig["cells"].array()
            guard !entries.isEmpty else { throw cellsConfig.fail("StackedRNNCells with no cells") }
            var arrays: [WeightArray] = []
            var counts: [String: Int] = [:]
            for (index, entry) in entries.enumerated() {
                let base = GraphBuilder.snakeCase(try entry.string("class_name"))
                let n = counts[base, default: 0]
                counts[base] = n + 1
                arrays += try weights.arrays(.stackedCell(index: index, cellKey: n == 0 ? base : "\(base)_\(n)"))
            }
            var cursor = WeightCursor(file: file, layer: name, arrays: arrays, origin: "\(name) cell weights")
            var cells: [RecurrentCell<Double>] = []
            var width = input
            for entry in entries {
                let cell = try self.cell(entry: entry, layerName: name, input: width, cursor: &cursor, reader: reader)
                cells.append(cell)
                width = [input.first ?? nil, cell.units]
            }
            try cursor.finish()
            layer = RecurrentLayer(cell: .stacked(cells))
            paths = arrays.map(\.path)
        } else {
            let arrays = try weights.arrays(.cell)
            var cursor = WeightCursor(file: file, layer: name, arrays: arrays, origin: "\(name) cell weights")
            layer = RecurrentLayer(cell: try self.cell(entry: cellEntry, layerName: name, input: input, cursor: &cursor, reader: reader))
            try cursor.finish()
            paths = arrays.map(\.path)
        }
        if try reader.bool("time_major", default: false) { throw reader.unsupported("time_major=True") }
        layer.returnSequences = try reader.bool("return_sequences", default: false)
        layer.returnState = try reader.bool("return_state", default: false)
        layer.goBackwards = try reader.bool("go_backwards", default: false)
        layer.zeroOutputForMask = try reader.bool("zero_output_for_mask", default: false)
        layer.unroll = try reader.bool("unroll", default: false)
        let u = layer.units
        let out: SymbolicShape = layer.returnSequences ? [input.first ?? nil, u] : [u]
        let shapes = [out] + (layer.returnState ? layer.cell.stateWidths.map { [$0] } : [])
        return Built(operation: .recurrent(layer), outputShapes: shapes, weightPaths: paths)
    }

    /// One built-in cell (`LSTMCell`, `GRUCell`, `SimpleRNNCell`) from its config entry.
    mutating func cell(
        entry: JSONValue, layerName: String, input: SymbolicShape, cursor: inout WeightCursor, reader: LayerConfigReader
    ) throws -> RecurrentCell<Double> {
        let cellClass = try entry.string("class_name")
        let layerClass: String
        switch cellClass {
        case "LSTMCell": layerClass = "LSTM"
        case "GRUCell": layerClass = "GRU"
        case "SimpleRNNCell": layerClass = "SimpleRNN"
        default: throw reader.unsupported("RNN cell '\(cellClass)'")
        }
        // The cell's own config has the cell options; the layer's has the sequence options.
        let cellConfig = try entry["config"]
        let cellReader = LayerConfigReader(file: file, kerasMajor: kerasMajor,
                                           layer: "\(layerName)/\(try cellConfig.optional("name")?.string() ?? cellClass)", config: cellConfig)
        return try recurrent(className: layerClass, reader: cellReader, input: input, cursor: &cursor, inBidirectional: false).cell
    }
}
