import RNNEngine

extension LoadedModel {
    /// A human-readable account of the model: its layer graph, each layer's options and output
    /// shapes, parameter counts, where each weight was read from, the semantics chosen, and
    /// (from a lenient load) every unsupported layer.
    public func summary() -> String {
        var lines: [String] = []
        let m = model
        lines.append("model '\(m.name)': \(format.rawValue), Keras \(kerasVersion ?? "version not recorded")")
        lines.append("parameters: \(m.parameterCount)")
        lines.append("")
        func name(_ ref: TensorRef) -> String { m.nodes[ref.node].name + (ref.output == 0 ? "" : "[\(ref.output)]") }
        for (index, node) in m.nodes.enumerated() {
            var head = "[\(index)] \(node.name) (\(node.className))"
            if !node.inputs.isEmpty { head += " <- " + node.inputs.map(name).joined(separator: ", ") }
            lines.append(head)
            if !node.initialState.isEmpty {
                lines.append("    initial_state: " + node.initialState.map(name).joined(separator: ", "))
            }
            for case .tensor(let ref) in node.masks { lines.append("    mask: from \(name(ref))") }
            let options = node.layer.summary
            if !options.isEmpty { lines.append("    " + options) }
            if index < outputShapes.count, !(node.layer is UnsupportedLayer<Double>) {
                let shapes = outputShapes[index].map(Shapes.describe)
                lines.append("    output shape\(shapes.count > 1 ? "s" : ""): " + shapes.joined(separator: ", "))
            }
            let params = node.layer.parameterCount
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
        if !problems.isEmpty {
            lines.append("")
            lines.append("not supported (\(problems.count)):")
            for problem in problems { lines.append("  - " + problem) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
