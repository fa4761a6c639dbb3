import RNNEngine

extension LoadedModel {
    /// A human-readable account of the model: its layer graph, each layer's options and output
    /// shapes, parameter counts, where each weight was read from, and the semantics chosen.
    public func summary() -> String {
        var lines: [String] = []
        let m = model
        lines.append("model '\(m.name)': \(format.rawValue), Keras \(kerasVersion ?? "version not recorded")")
        lines.append("parameters: \(m.parameterCount)")
        lines.append("")
        for (index, node) in m.nodes.enumerated() {
            let inputs = node.inputs.map { ref in
                let source = m.nodes[ref.node].name
                return ref.output == 0 ? source : "\(source)[\(ref.output)]"
            }
            var head = "[\(index)] \(node.name) (\(node.className))"
            if !inputs.isEmpty { head += " <- " + inputs.joined(separator: ", ") }
            lines.append(head)
            if !node.initialState.isEmpty {
                lines.append("    initial_state: " + node.initialState.map { m.nodes[$0.node].name + ($0.output == 0 ? "" : "[\($0.output)]") }.joined(separator: ", "))
            }
            switch node.maskSource {
            case .explicit(let ref): lines.append("    mask: from \(m.nodes[ref.node].name)")
            case .none, .implicit: break
            }
            let options = Self.options(node.operation)
            if !options.isEmpty { lines.append("    " + options) }
            if index < outputShapes.count {
                let shapes = outputShapes[index].map { "(batch, " + $0.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + ")" }
                lines.append("    output shape\(shapes.count > 1 ? "s" : ""): " + shapes.joined(separator: ", "))
            }
            let params = node.operation.parameterCount
            if params > 0 { lines.append("    parameters: \(params)") }
            for path in weightSources[node.name] ?? [] { lines.append("    weight: \(path)") }
        }
        lines.append("")
        lines.append("inputs: " + m.inputs.map { m.nodes[$0].name }.joined(separator: ", "))
        lines.append("outputs: " + m.outputs.map(\.name).joined(separator: ", "))
        if !notes.isEmpty {
            lines.append("")
            lines.append("notes:")
            for note in notes { lines.append("  - " + note) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func options(_ op: LayerOperation<Double>) -> String {
        switch op {
        case .input(let shape):
            return "shape: (batch, " + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + ")"
        case .recurrent(let r):
            return recurrentOptions(r)
        case .bidirectional(let b):
            return "merge_mode=\(b.mergeMode?.rawValue ?? "None")\n    forward: \(recurrentOptions(b.forward))\n    backward: \(recurrentOptions(b.backward))"
        case .dense(let d), .timeDistributedDense(let d):
            return "units=\(d.units) activation=\(d.activation) use_bias=\(d.bias != nil)"
        case .embedding(let e):
            return "input_dim=\(e.inputDim) output_dim=\(e.outputDim) mask_zero=\(e.maskZero)"
        case .masking(let v): return "mask_value=\(v)"
        case .identity: return "identity at inference"
        case .activation(let a): return "activation=\(a)"
        case .merge(let m): return "\(m)"
        case .notEqual(let v): return "mask op: x != \(v)"
        case .any(let axis, let keepdims): return "mask op: any(axis=\(axis), keepdims=\(keepdims))"
        }
    }

    static func recurrentOptions(_ r: RecurrentLayer<Double>) -> String {
        var parts = ["\(r.cell.kindName)(units=\(r.units))"]
        switch r.cell {
        case .lstm(let c):
            parts += ["activation=\(c.activation)", "recurrent_activation=\(c.recurrentActivation)", "use_bias=\(c.bias != nil)"]
        case .gru(let c):
            parts += ["activation=\(c.activation)", "recurrent_activation=\(c.recurrentActivation)",
                      "use_bias=\(c.inputBias != nil)", "reset_after=\(c.resetAfter)"]
        case .simpleRNN(let c):
            parts += ["activation=\(c.activation)", "use_bias=\(c.bias != nil)"]
        case .stacked(let cells):
            parts += ["cells: " + cells.map { recurrentOptions(RecurrentLayer(cell: $0)) }.joined(separator: "; ")]
        }
        parts += ["return_sequences=\(r.returnSequences)", "return_state=\(r.returnState)",
                  "go_backwards=\(r.goBackwards)", "zero_output_for_mask=\(r.zeroOutputForMask)"]
        return parts.joined(separator: " ")
    }
}
