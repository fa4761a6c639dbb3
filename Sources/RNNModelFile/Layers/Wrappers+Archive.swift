import RNNEngine

extension TimeDistributedLayer: ArchivableLayer {
    public static var typeName: String { "TimeDistributedLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("layer", layer: inner)
        e.encode("semantics", semantics: semantics)
    }

    public init(from d: inout LayerDecoder) throws {
        let inner: any Layer<Scalar> = try d.decode("layer", layerWithInputs: 1)
        guard inner.outputCount == 1 else { throw d.fail("the wrapped layer must have one output, it has \(inner.outputCount)", at: "layer") }
        self.init(inner, semantics: try d.decodeSemantics("semantics"))
    }
}

/// A model used as a layer: `{"model": <a model as at the top level>, "shapes": [...]}`, the
/// shapes being the inner model's output shapes, which must be what its layers give.
extension ModelLayer: ArchivableLayer {
    public static var typeName: String { "ModelLayer" }

    public func encode(to e: inout LayerEncoder) throws {
        try e.encode("model", model: model)
        e.put("shapes", .array(shapes.map { LayerEncoder.shape($0) }))
    }

    public init(from d: inout LayerDecoder) throws {
        let model = try d.decodeModel("model")
        guard case .array(let items) = try d.raw("shapes") else { throw d.fail("must be a list of shapes", at: "shapes") }
        let shapes = try items.enumerated().map { k, item in try d.shape(item, at: "shapes[\(k)]") }
        let computed = try ModelCoding.shapes(of: model, file: d.file, path: "\(d.path).model")
        let given = model.outputs.map { computed[$0.ref.node][$0.ref.output] }
        guard shapes == given else {
            throw d.fail("the inner model's outputs have shapes \(given.map(Shapes.describe)), the layer records \(shapes.map(Shapes.describe))", at: "shapes")
        }
        guard d.inputCount == model.inputs.count else {
            throw d.fail("the inner model takes \(model.inputs.count) input(s), the node passes \(d.inputCount)")
        }
        let converted: Model<Scalar> = (model as? Model<Scalar>) ?? model.converted(to: Scalar.self)
        self.init(model: converted, shapes: shapes)
    }
}
