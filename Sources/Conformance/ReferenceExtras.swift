import Foundation
import HDF5
import RNNEngine

/// Every layer's outputs as Keras computed them: a reference file's `/layers` (float32) or
/// `/layers_float64` group, written by `rnncheck-ref --layers` (fixtures/README.md).
public struct LayerReference: Sendable {
    /// One node: a call of a layer in the model's graph.
    public struct Node: Sendable {
        /// rnncheck's node name: the layer's name for its first call, `<layer>#<i>` for call i.
        public var node: String
        /// The layer's name (`@layer`).
        public var layer: String
        /// The layer's Keras class (`@class_name`).
        public var className: String
        /// The node's outputs in Keras's order: `@name` (`"<layer>/<what>"`), the values, and a
        /// tolerance stored with the dataset, if any.
        public var outputs: [(name: String, tensor: Tensor<Double>, tolerance: StoredTolerance)]

        public init(node: String, layer: String, className: String,
                    outputs: [(name: String, tensor: Tensor<Double>, tolerance: StoredTolerance)]) {
            self.node = node
            self.layer = layer
            self.className = className
            self.outputs = outputs
        }
    }

    /// The nodes in graph order (`@layer_order`).
    public var nodes: [Node]

    public init(nodes: [Node]) { self.nodes = nodes }

    /// Reads `/<group>`: `@layer_order` names every node group, in graph order, and every node
    /// group is named in it.
    static func read(_ group: Group, file: String) throws -> LayerReference {
        let path = group.objectPath
        guard try group.hasAttribute("layer_order"), let order = try group.attribute("layer_order").stringsValue else {
            throw ConformanceError.unusable(file: file, object: "\(path)@layer_order",
                reason: "missing or not a list of strings (the node names in graph order, as rnncheck-ref --layers writes them)")
        }
        let children = Set(try group.childNames())
        var seen = Set<String>()
        for name in order {
            guard seen.insert(name).inserted else {
                throw ConformanceError.unusable(file: file, object: "\(path)@layer_order", reason: "names node '\(name)' twice")
            }
            guard children.contains(name), try group.kind(of: name) == .group else {
                throw ConformanceError.unusable(file: file, object: "\(path)/\(name)", reason: "is named in @layer_order but is not a group")
            }
        }
        if let extra = children.subtracting(seen).sorted().first {
            throw ConformanceError.unusable(file: file, object: "\(path)/\(extra)", reason: "is not named in @layer_order")
        }
        var nodes: [Node] = []
        for name in order {
            let g = try group.group(name)
            let layer = try g.hasAttribute("layer") ? (try g.attribute("layer").stringValue ?? name) : name
            let className = try g.hasAttribute("class_name") ? (try g.attribute("class_name").stringValue ?? "?") : "?"
            let datasets = try ReferenceData.numbered("output_", in: g, names: try g.childNames(), file: file)
            guard !datasets.isEmpty else {
                throw ConformanceError.unusable(file: file, object: "\(path)/\(name)/output_0", reason: "missing dataset (a node has output_0, output_1, ...)")
            }
            let outputs = try datasets.map { dsName, ds in
                let label = try ds.hasAttribute("name") ? (try ds.attribute("name").stringValue ?? "\(name)/\(dsName)") : "\(name)/\(dsName)"
                return (label, try ReferenceData.read(ds, name: dsName), try StoredTolerance.read(ds, file: file))
            }
            nodes.append(Node(node: name, layer: layer, className: className, outputs: outputs))
        }
        return LayerReference(nodes: nodes)
    }
}

/// What a reference file can hold besides `input_*` and `output_*` (fixtures/README.md): Keras's
/// float64 outputs, every layer's outputs, stored tolerances, and where it all came from.
/// `rnncheck compare` and `rnncheck verify` read the same groups.
public struct ReferenceExtras: Sendable {
    /// `@name` and `@description` of the root, when present.
    public var name: String?
    public var description: String?
    /// Keras's float64 run of the same model (`/reference_float64/output_*`).
    public var float64: [Tensor<Double>]?
    /// Every layer's outputs (`/layers`), and the float64 clone's (`/layers_float64`).
    public var layers: LayerReference?
    public var layersFloat64: LayerReference?
    /// `/tolerances`: atol, rtol, and why.
    public var toleranceOverride: (atol: Double?, rtol: Double?, reason: String?) = (nil, nil, nil)
    /// Per model output, the tolerance stored on its `/output_i` dataset.
    public var outputTolerances: [StoredTolerance] = []
    public var provenance: [String: String] = [:]

    public init() {}

    /// Reads the optional groups of `root`; `outputCount` is the number of `/output_*` datasets.
    public static func read(root: Group, file: String, outputCount: Int) throws -> ReferenceExtras {
        var extras = ReferenceExtras()
        if try root.hasAttribute("name") { extras.name = try root.attribute("name").stringValue }
        if try root.hasAttribute("description") { extras.description = try root.attribute("description").stringValue }
        if try root.kind(of: "reference_float64") == .group {
            let g = try root.group("reference_float64")
            extras.float64 = try ReferenceData.readNumbered("output_", in: g, names: try g.childNames(), file: file).map(\.1)
        }
        if try root.kind(of: "layers") == .group {
            extras.layers = try LayerReference.read(try root.group("layers"), file: file)
        }
        if try root.kind(of: "layers_float64") == .group {
            extras.layersFloat64 = try LayerReference.read(try root.group("layers_float64"), file: file)
        }
        if try root.kind(of: "tolerances") == .group {
            let t = try root.group("tolerances")
            extras.toleranceOverride.atol = try StoredTolerance.value(t, "atol", object: "/tolerances@atol", file: file)
            extras.toleranceOverride.rtol = try StoredTolerance.value(t, "rtol", object: "/tolerances@rtol", file: file)
            if try t.hasAttribute("reason") { extras.toleranceOverride.reason = try t.attribute("reason").stringValue }
        }
        extras.outputTolerances = try (0..<outputCount).map { try StoredTolerance.read(try root.dataset("output_\($0)"), file: file) }
        if try root.kind(of: "provenance") == .group {
            let p = try root.group("provenance")
            for key in try p.attributeNames() {
                switch try p.attribute(key) {
                case .string(let s): extras.provenance[key] = s
                case .int(let i): extras.provenance[key] = String(i)
                case .double(let d): extras.provenance[key] = String(d)
                case .strings(let s): extras.provenance[key] = s.joined(separator: ", ")
                case let other: extras.provenance[key] = "\(other)"
                }
            }
        }
        return extras
    }

    /// Refuses Keras results that hold NaN or infinity (unless `allowed`): a reference whose
    /// expected values are not finite cannot show that rnncheck matches Keras (NaN never
    /// matches). Inputs are not checked: padding that a mask skips may be NaN or infinite.
    /// Layer outputs are exempt when an input is not finite (a masked padding value flows
    /// through the layers before the mask removes it).
    static func checkFinite(_ reference: ReferenceData, _ extras: ReferenceExtras, file: String, allowed: Bool) throws {
        guard !allowed else { return }
        func check(_ tensor: Tensor<Double>, _ object: String) throws {
            var nan = 0, inf = 0
            var first: Int?
            for (i, x) in tensor.scalars.enumerated() where !x.isFinite {
                if x.isNaN { nan += 1 } else { inf += 1 }
                if first == nil { first = i }
            }
            guard let first else { return }
            throw ConformanceError.unusable(
                file: file, object: object,
                reason: "holds \(nan) NaN and \(inf) infinite value(s) (the first at \(Report.describe(index: tensor.multiIndex(first)))); "
                    + "expected values that are not finite cannot show that rnncheck matches Keras. Check how the reference was "
                    + "written, or pass --allow-nonfinite if the model really computes them")
        }
        for (n, output) in reference.outputs.enumerated() { try check(output.tensor, "/output_\(n)") }
        for (n, t) in (extras.float64 ?? []).enumerated() { try check(t, "/reference_float64/output_\(n)") }
        let inputsFinite = reference.inputs.allSatisfy { $0.scalars.allSatisfy(\.isFinite) }
        guard inputsFinite else { return }
        for (group, layers) in [("layers", extras.layers), ("layers_float64", extras.layersFloat64)] {
            for node in layers?.nodes ?? [] {
                for (k, o) in node.outputs.enumerated() { try check(o.tensor, "/\(group)/\(node.node)/output_\(k)") }
            }
        }
    }
}

extension StoredTolerance {
    /// The largest tolerance a reference may store (atol and rtol alike): a wrong gate, bias or
    /// activation moves outputs by 1e-3 and more, so a looser tolerance could pass a wrong engine.
    public static let ceiling = 1e-3

    /// `@atol` / `@rtol` of a dataset.
    static func read(_ ds: Dataset, file: String) throws -> StoredTolerance {
        StoredTolerance(atol: try value(ds, "atol", object: "\(ds.objectPath)@atol", file: file),
                        rtol: try value(ds, "rtol", object: "\(ds.objectPath)@rtol", file: file))
    }

    /// An attribute that, when present, must be a finite number in 0...`ceiling`: the file is
    /// untrusted, and a stored tolerance of infinity would pass anything.
    static func value(_ holder: some AttributeHolder, _ name: String, object: String, file: String) throws -> Double? {
        guard try holder.hasAttribute(name) else { return nil }
        guard let value = try holder.attribute(name).doubleValue else {
            throw ConformanceError.unusable(file: file, object: object, reason: "is not a number; a stored tolerance is one number")
        }
        guard value.isFinite, value >= 0, value <= ceiling else {
            throw ConformanceError.unusable(
                file: file, object: object,
                reason: "is \(value); a stored tolerance must be a finite number from 0 to \(ceiling) (a looser one could pass a wrong engine)")
        }
        return value
    }
}
