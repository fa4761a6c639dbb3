import HDF5

/// One weight array as found in the file: where it sits and the dataset that holds it.
struct WeightArray {
    let path: String
    let dataset: Dataset
}

/// Where a layer's weights sit inside its own part of the file.
enum WeightPart: Equatable {
    /// A recurrent layer's cell (`<key>/cell/vars` in Keras 3).
    case cell
    /// Bidirectional's forward layer cell.
    case forwardCell
    /// Bidirectional's backward layer cell.
    case backwardCell
    /// The layer's own variables (`<key>/vars`): Dense, Embedding.
    case own
    /// A wrapper's inner layer (`<key>/layer/vars`): TimeDistributed.
    case inner
    /// Cell `index` of a `StackedRNNCells` (`<key>/cell/cells/<cellKey>/vars` in Keras 3).
    case stackedCell(index: Int, cellKey: String)
}

/// Where the weights of a model's layers are found: a whole file, or a model used as a layer.
protocol WeightSource {
    /// The weights of one layer; `key` is its Keras 3 weight key, `name` its layer name.
    func layer(key: String, name: String) -> LayerWeights
}

/// The weights of one layer, handed out part by part and checked for shape.
protocol LayerWeights: WeightSource {
    /// The arrays of `part`, in the order Keras saved them.
    func arrays(_ part: WeightPart) throws -> [WeightArray]
    /// The weights of the layer a wrapper holds (`TimeDistributed(layer)`).
    func wrapped() -> LayerWeights
    /// The weights of a sub-layer the layer keeps by attribute name (Keras 3 `<key>/<name>/vars`;
    /// Keras 2 lists them all as the layer's own).
    func child(_ name: String) -> LayerWeights
}

/// Where a model's weights come from: hands out each layer's weights and, at the end, checks
/// that nothing in the file was left unused.
protocol WeightStore: AnyObject, WeightSource {
    /// Whether layer weights are found by Keras 3 key (`lstm_1`) rather than by layer name.
    var usesKeys: Bool { get }
    /// Fails on any weight that no layer took.
    func checkAllConsumed() throws
}

/// Reads Keras 3 weights (`model.weights.h5` / `.weights.h5`): `layers/<key>/...vars/<n>`.
final class Keras3WeightStore: WeightStore {
    var usesKeys: Bool { true }

    let file: String
    let root: Group
    private(set) var consumed: Set<String> = []

    init(file: String, root: Group) {
        self.file = file
        self.root = root
    }

    /// The weights of the layer stored under `layers/<key>`.
    func layer(key: String, name: String) -> LayerWeights {
        Keras3LayerWeights(store: self, base: "layers/\(key)", layerName: name)
    }

    /// The datasets `0, 1, 2, ...` of a `vars` group, sorted numerically (h5py lists `10` before `2`).
    func vars(at groupPath: String, layerName: String, required: Bool) throws -> [WeightArray] {
        let kind = try root.kind(of: groupPath)
        guard kind == .group else {
            if !required && kind == .missing { return [] }
            throw ImportError.missingWeight(file: file, layer: layerName, path: "/" + groupPath)
        }
        let group = try root.group(groupPath)
        var numbered: [(Int, String)] = []
        for child in try group.childNames() {
            guard let n = Int(child), n >= 0 else {
                throw ImportError.extraWeight(file: file, path: "/\(groupPath)/\(child)")
            }
            numbered.append((n, child))
        }
        numbered.sort { $0.0 < $1.0 }
        for (position, (n, _)) in numbered.enumerated() where n != position {
            throw ImportError.missingWeight(file: file, layer: layerName, path: "/\(groupPath)/\(position)")
        }
        return try numbered.map { _, child in
            let path = "/\(groupPath)/\(child)"
            switch try group.kind(of: child) {
            case .dataset: break
            // An external or user-defined link: opening it gives the HDF5 layer's refusal.
            case .other: _ = try group.dataset(child)
            default: throw ImportError.extraWeight(file: file, path: path)
            }
            consumed.insert(path)
            return WeightArray(path: path, dataset: try group.dataset(child))
        }
    }

    /// Fails on any dataset under `layers/` that no layer took.
    func checkAllConsumed() throws {
        guard try root.kind(of: "layers") == .group else {
            throw ImportError.unreadable(file: file, reason: "no 'layers' group: not a Keras 3 weights file")
        }
        var visited: Set<ObjectIdentity> = []
        try walk(try root.group("layers"), path: "/layers", depth: 1, visited: &visited)
    }

    /// Groups below `/layers` deeper than this are refused (Keras nests about 8 deep).
    static let maxDepth = 64

    /// Visits every group once: a group reached again (a hard or soft link to an ancestor or a
    /// sibling) is refused, as is nesting deeper than `maxDepth`, so that walking a hostile
    /// file is bounded.
    private func walk(_ group: Group, path: String, depth: Int, visited: inout Set<ObjectIdentity>) throws {
        guard visited.insert(try group.identity).inserted else {
            throw ImportError.unreadable(file: file, reason: "\(path) is a group already reached by another path (a hard or soft link back to it); Keras weight files hold no such links")
        }
        guard depth <= Self.maxDepth else {
            throw ImportError.unreadable(file: file, reason: "\(path) is nested more than \(Self.maxDepth) groups deep below /layers; Keras weight files are about 8 deep")
        }
        for child in try group.childNames() {
            let childPath = path + "/" + child
            switch try group.kind(of: child) {
            case .group: try walk(try group.group(child), path: childPath, depth: depth + 1, visited: &visited)
            case .dataset where !consumed.contains(childPath):
                throw ImportError.extraWeight(file: file, path: childPath)
            case .other: _ = try group.dataset(child)
            default: break
            }
        }
    }
}

/// One layer's part of a Keras 3 weights file: everything under `base` (`layers/lstm`, or
/// `layers/functional/layers/lstm` inside a model used as a layer).
struct Keras3LayerWeights: LayerWeights {
    let store: Keras3WeightStore
    let base: String
    let layerName: String

    func arrays(_ part: WeightPart) throws -> [WeightArray] {
        switch part {
        case .cell: return try store.vars(at: "\(base)/cell/vars", layerName: layerName, required: true)
        case .forwardCell: return try store.vars(at: "\(base)/forward_layer/cell/vars", layerName: layerName, required: true)
        case .backwardCell: return try store.vars(at: "\(base)/backward_layer/cell/vars", layerName: layerName, required: true)
        case .own: return try store.vars(at: "\(base)/vars", layerName: layerName, required: false)
        case .inner: return try store.vars(at: "\(base)/layer/vars", layerName: layerName, required: true)
        case .stackedCell(_, let cellKey):
            return try store.vars(at: "\(base)/cell/cells/\(cellKey)/vars", layerName: layerName, required: true)
        }
    }

    func wrapped() -> LayerWeights { Keras3LayerWeights(store: store, base: "\(base)/layer", layerName: layerName) }

    func child(_ name: String) -> LayerWeights { Keras3LayerWeights(store: store, base: "\(base)/\(name)", layerName: layerName) }

    func layer(key: String, name: String) -> LayerWeights {
        Keras3LayerWeights(store: store, base: "\(base)/layers/\(key)", layerName: name)
    }
}

/// A layer with no weights at all (InputLayer, op nodes).
struct NoWeights: LayerWeights {
    func arrays(_ part: WeightPart) throws -> [WeightArray] { [] }
    func wrapped() -> LayerWeights { self }
    func child(_ name: String) -> LayerWeights { self }
    func layer(key: String, name: String) -> LayerWeights { self }
}

/// Takes arrays off a list one by one, checking count, shape and type.
struct WeightCursor {
    let file: String
    let layer: String
    let arrays: [WeightArray]
    /// Where the arrays came from, for errors when one is missing.
    let origin: String
    var next = 0

    init(file: String, layer: String, arrays: [WeightArray], origin: String) {
        self.file = file
        self.layer = layer
        self.arrays = arrays
        self.origin = origin
    }

    /// Reads the next array, which must have `shape`; `name` is Keras's name for it.
    mutating func take(_ name: String, shape: [Int]) throws -> [Double] {
        guard next < arrays.count else {
            throw ImportError.missingWeight(file: file, layer: layer, path: "\(origin) (\(name), array \(next))")
        }
        let array = arrays[next]
        next += 1
        let ds = array.dataset
        guard ds.shape == shape else {
            throw ImportError.weightShape(file: file, layer: layer, path: "\(array.path) (\(name))", expected: shape, actual: ds.shape)
        }
        switch ds.elementType {
        case .float32, .float64, .float16: break
        default: throw ImportError.weightType(file: file, path: array.path, actual: "\(ds.elementType)")
        }
        return try ds.read(as: Double.self)
    }

    /// Fails if arrays are left over.
    func finish() throws {
        if next < arrays.count {
            throw ImportError.extraWeight(file: file, path: arrays[next].path)
        }
    }
}
