import Foundation
import RNNEngine
import RNNModelFile
import Testing
import _TestSupport

/// Every engine layer type has a file form, under its own name.
@Suite("Model file: layer types")
struct LayerTypeTests {
    /// The engine's layer types, read from its sources: `public struct X<Scalar: EngineScalar>: Layer`
    /// and `extension X: Layer`.
    static func engineLayerTypes() throws -> Set<String> {
        let folder = TestPaths.repositoryRoot.appendingPathComponent("Sources/RNNEngine/Layers")
        var names: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for pattern in [#"public struct (\w+)<Scalar: EngineScalar>: Layer\b"#, #"extension (\w+): Layer\b"#] {
                let regex = try NSRegularExpression(pattern: pattern)
                for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    names.insert(String(text[Range(m.range(at: 1), in: text)!]))
                }
            }
        }
        return names
    }

    @Test("every engine layer type is registered under its Swift name")
    func everyTypeIsRegistered() throws {
        let engine = try Self.engineLayerTypes()
        #expect(engine.count >= 45, "found \(engine.count) engine layer types")
        let registered = LayerTypes.builtIn.map { $0.typeName }
        #expect(Set(registered).count == registered.count, "a name is registered twice")
        #expect(Set(registered) == engine, "not registered: \(engine.subtracting(registered).sorted()); not an engine type: \(Set(registered).subtracting(engine).sorted())")
        for type in LayerTypes.builtIn {
            #expect("\(type)" == "\(type.typeName)<Double>", "\(type) is named \(type.typeName)")
        }
    }

    /// A custom layer: writable and readable once its type conforms and is passed in.
    struct Scale<Scalar: EngineScalar>: ArchivableLayer {
        var factor: Scalar
        var maskRule: MaskRule { .drop }
        func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { inputs }
        func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
            var x = try call.single("Scale")
            x.tensor.scalars = x.tensor.scalars.map { $0 * factor }
            return [x]
        }
        func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { Scale<T>(factor: T(factor)) }
        var summary: String { "factor=\(factor)" }

        static var typeName: String { "demo>Scale" }
        func encode(to e: inout LayerEncoder) throws { e.encode("factor", real: factor) }
        init(factor: Scalar) { self.factor = factor }
        init(from d: inout LayerDecoder) throws { factor = try d.decode("factor", real: Scalar.self) }
    }

    /// A custom layer that has no file form.
    struct Opaque<Scalar: EngineScalar>: Layer {
        var maskRule: MaskRule { .drop }
        func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { inputs }
        func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] { [try call.single("Opaque")] }
        func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { Opaque<T>() }
        var summary: String { "" }
    }

    static func model(_ layer: any Layer<Double>, className: String) throws -> Model<Double> {
        try Model(name: "m", nodes: [
            Node(name: "x", className: "InputLayer", layer: InputLayer<Double>(shape: [3])),
            Node(name: "custom", className: className, layer: layer, inputs: [TensorRef(node: 0)]),
        ], inputs: [0], outputs: [ModelOutput(ref: TensorRef(node: 1), name: "custom")])
    }

    @Test("a custom layer: refused by name without a file form, read back with one")
    func customLayers() throws {
        let opaque = try Self.model(Opaque<Double>(), className: "demo>Opaque")
        #expect {
            try ModelFile.encode(opaque)
        } throws: { error in
            let text = (error as? ModelFileError)?.errorDescription ?? ""
            return text.contains("node 'custom', demo>Opaque") && text.contains("Opaque<Double> has no file form")
        }

        let scale = try Self.model(Scale<Double>(factor: 2.5), className: "demo>Scale")
        // Writing needs the type registered, so that the file can be read back.
        #expect(throws: ModelFileError.self) { try ModelFile.encode(scale) }
        let bytes = try ModelFile.encode(scale, customLayers: [Scale<Double>.self])
        #expect {
            try ModelFile(bytes: bytes, name: "custom.rnn")
        } throws: { error in
            let text = (error as? ModelFileError)?.errorDescription ?? ""
            return text.hasPrefix("custom.rnn: ") && text.contains("unknown layer type 'demo>Scale'")
        }
        let file = try ModelFile(bytes: bytes, name: "custom.rnn", customLayers: [Scale<Double>.self])
        let y = try file.model.predict([Tensor(shape: [1, 3], scalars: [1, 2, 4])])
        #expect(y[0].scalars == [2.5, 5, 10])
        // A custom type may not take an engine type's name.
        struct Impostor<Scalar: EngineScalar>: ArchivableLayer {
            var maskRule: MaskRule { .drop }
            func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { inputs }
            func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] { [try call.single("x")] }
            func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { Impostor<T>() }
            var summary: String { "" }
            static var typeName: String { "DenseLayer" }
            func encode(to e: inout LayerEncoder) throws {}
            init() {}
            init(from d: inout LayerDecoder) throws {}
        }
        #expect(throws: ModelFileError.self) { try ModelFile(bytes: bytes, name: "custom.rnn", customLayers: [Impostor<Double>.self]) }
    }

    /// A layer type that a later format version introduces (here: version 2, one past this reader).
    struct Later<Scalar: EngineScalar>: ArchivableLayer {
        var maskRule: MaskRule { .drop }
        func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] { inputs }
        func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] { [try call.single("Later")] }
        func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { Later<T>() }
        var summary: String { "" }
        static var typeName: String { "demo>Later" }
        static var formatVersion: UInt32 { ModelFile.formatVersion + 1 }
        func encode(to e: inout LayerEncoder) throws {}
        init() {}
        init(from d: inout LayerDecoder) throws {}
    }

    @Test("a file takes the highest version among its layer types, and a reader holds types to it")
    func versions() throws {
        // Only version-1 types: version 1 (byte 8 of the preamble).
        let scale = try ModelFile.encode(try Self.model(Scale<Double>(factor: 2), className: "demo>Scale"), customLayers: [Scale<Double>.self])
        #expect(RawModelFile(scale).version == 1)

        let later = try ModelFile.encode(try Self.model(Later<Double>(), className: "demo>Later"), customLayers: [Later<Double>.self])
        var raw = RawModelFile(later)
        #expect(raw.version == ModelFile.formatVersion + 1)
        // This reader refuses the later version as a whole, naming both versions ...
        #expect {
            try ModelFile(bytes: later, name: "later.rnn", customLayers: [Later<Double>.self])
        } throws: { error in
            let text = (error as? ModelFileError)?.errorDescription ?? ""
            return text.hasPrefix("later.rnn: ") && text.contains("format version 2") && text.contains("reads version 1")
        }
        // ... and a file that claims an earlier version than one of its types is refused at the type.
        raw.version = 1
        #expect {
            try ModelFile(bytes: raw.bytes(), name: "later.rnn", customLayers: [Later<Double>.self])
        } throws: { error in
            let text = (error as? ModelFileError)?.errorDescription ?? ""
            return text.contains("model.nodes[1].layer.type") && text.contains("layer type 'demo>Later' needs format version 2, the file is version 1")
        }
    }
}
