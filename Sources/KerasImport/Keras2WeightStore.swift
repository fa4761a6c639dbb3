import HDF5

/// Reads Keras 2 / tf.keras `.h5` weights (full-model `model_weights/` or a weights-only file, and
/// Keras 3's legacy `.h5` save): for each layer, the group named after it, whose
/// `@weight_names` lists its datasets in save order.
final class Keras2WeightStore: WeightStore {
    let file: String
    /// The group holding `@layer_names` (`/model_weights`, or the root of a weights-only file).
    let root: Group
    let rootPath: String
    let layerNames: [String]
    private(set) var taken: Set<String> = []
    /// Every array handed to a layer (a model used as a layer shares its group with its layers).
    private(set) var consumed: Set<String> = []

    var usesKeys: Bool { false }

    init(file: String, root: Group, rootPath: String) throws {
        self.file = file
        self.root = root
        self.rootPath = rootPath
        guard try root.hasAttribute("layer_names") else {
            throw ImportError.unreadable(file: file, reason: "\(rootPath) has no @layer_names attribute")
        }
        let value = try root.attribute("layer_names")
        guard let names = value.stringsValue else {
            throw ImportError.unreadable(file: file, reason: "\(rootPath)@layer_names is not a list of strings")
        }
        layerNames = names
    }

    func layer(key: String, name: String) -> LayerWeights {
        Keras2LayerWeights(store: self, layerName: name, prefix: "")
    }

    /// The arrays listed in `<name>@weight_names` that start with `prefix`, in order.
    func arrays(layerName: String, prefix: String) throws -> [WeightArray] {
        let all = try arrays(layerName: layerName).filter { $0.path.dropFirst(rootPath.count + layerName.count + 2).hasPrefix(prefix) }
        for array in all { consumed.insert(array.path) }
        return all
    }

    /// The arrays listed in `<name>@weight_names`, in order.
    func arrays(layerName: String) throws -> [WeightArray] {
        taken.insert(layerName)
        guard layerNames.contains(layerName) else {
            throw ImportError.missingWeight(file: file, layer: layerName, path: "\(rootPath)/\(layerName) (not in @layer_names)")
        }
        guard try root.kind(of: layerName) == .group else {
            throw ImportError.missingWeight(file: file, layer: layerName, path: "\(rootPath)/\(layerName)")
        }
        let group = try root.group(layerName)
        guard try group.hasAttribute("weight_names") else { return [] }
        guard let names = try group.attribute("weight_names").stringsValue else {
            throw ImportError.unreadable(file: file, reason: "\(rootPath)/\(layerName)@weight_names is not a list of strings")
        }
        return try names.map { weightName in
            let path = "\(rootPath)/\(layerName)/\(weightName)"
            guard try group.kind(of: weightName) == .dataset else {
                throw ImportError.missingWeight(file: file, layer: layerName, path: path)
            }
            return WeightArray(path: path, dataset: try group.dataset(weightName))
        }
    }

    func checkAllConsumed() throws {
        for name in layerNames {
            let listed = try arraysIfAny(name)
            if !taken.contains(name) {
                if !listed.isEmpty {
                    throw ImportError.extraWeight(file: file, path: "\(rootPath)/\(name) (a layer the model config does not have)")
                }
                continue
            }
            for weight in listed where !consumed.contains("\(rootPath)/\(name)/\(weight)") {
                throw ImportError.extraWeight(file: file, path: "\(rootPath)/\(name)/\(weight)")
            }
        }
    }

    private func arraysIfAny(_ name: String) throws -> [String] {
        guard try root.kind(of: name) == .group else { return [] }
        let group = try root.group(name)
        guard try group.hasAttribute("weight_names") else { return [] }
        return try group.attribute("weight_names").stringsValue ?? []
    }
}

/// One layer's weights in a Keras 2 file: the arrays of group `layerName` whose names start
/// with `prefix` (empty for a top-level layer; `enc_lstm/` for a layer inside the model
/// `encoder`, whose group holds all its layers' weights).
///
/// tf.keras names a variable after the layer that made it, never after the models around it:
/// a layer inside a model inside `encoder` is `deep_dense/kernel:0` in the group `encoder`, so
/// a layer's prefix is its own name at any depth.
struct Keras2LayerWeights: LayerWeights {
    let store: Keras2WeightStore
    let layerName: String
    let prefix: String

    func arrays(_ part: WeightPart) throws -> [WeightArray] {
        let all = try store.arrays(layerName: layerName, prefix: prefix)
        switch part {
        case .forwardCell, .backwardCell:
            // '<bi>/forward_<inner>/lstm_cell/kernel:0' and '<bi>/backward_<inner>/...'
            let tag = part == .forwardCell ? "forward_" : "backward_"
            let tagged = all.filter { array in
                array.path.dropFirst(store.rootPath.count + layerName.count + 2 + prefix.count)
                    .split(separator: "/").contains { $0.hasPrefix(tag) }
            }
            if tagged.count * 2 == all.count || (!tagged.isEmpty && tagged.count < all.count) { return tagged }
            // No recognisable prefixes: the first half is forward, the second backward.
            let half = all.count / 2
            return part == .forwardCell ? Array(all[..<half]) : Array(all[half...])
        case .stackedCell(let index, _):
            // Keras 2 lists every cell's weights in one @weight_names, in cell order.
            return index == 0 ? all : []
        case .cell, .own, .inner:
            return all
        }
    }

    /// A wrapper's group lists its inner layer's weights as its own.
    func wrapped() -> LayerWeights { self }

    /// Keras 2 lists a layer's sub-layers' weights as its own, in order.
    func child(_ name: String) -> LayerWeights { self }

    func layer(key: String, name: String) -> LayerWeights {
        Keras2LayerWeights(store: store, layerName: layerName, prefix: name + "/")
    }
}
