import Foundation
import XCTest
import _TestSupport

/// Runs the built `rnncheck` binary and checks its output and exit code.
final class CLITests: XCTestCase {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("rnncheck")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("rnncheck")
    }

    func rnncheck(_ arguments: [String], in directory: URL = TestPaths.repositoryRoot) throws -> Result {
        try Self.run(arguments, in: directory)
    }

    static func run(_ arguments: [String], in directory: URL = TestPaths.repositoryRoot) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testVerifyShippedFixturesPasses() throws {
        let r = try rnncheck(["verify"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let count = try TestPaths.fixtureFiles().count
        XCTAssertTrue(r.stdout.contains("PASSED: \(count) of \(count) case(s) within tolerance"), r.stdout)
        XCTAssertEqual(r.stderr, "")
    }

    func testVerifyJSONReport() throws {
        let dir = try TemporaryDirectory()
        let report = dir.path("report.json")
        let r = try rnncheck(["verify", TestPaths.fixture("seed_bidi_last").path, "--format", "json", "--output", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        XCTAssertEqual(object?["passed"] as? Bool, true)
        let cases = try XCTUnwrap(object?["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.first?["name"] as? String, "seed_bidi_last")
        let outputs = try XCTUnwrap(cases.first?["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.map { $0["name"] as? String }, ["bi/output", "bi/forward_h", "bi/forward_c", "bi/backward_h", "bi/backward_c"])
        XCTAssertEqual(outputs.first?["shape"] as? [Int], [1, 6])
        XCTAssertEqual(outputs.first?["expected_shape"] as? [Int], [1, 6])
    }

    func testPerturbedFixtureExitsOneAndNamesTheIndex() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("lstm_seqT_stateT").path)
        // output_0 is (2, 5, 4): perturb (batch 0, time 4, unit 1)
        raw.outputs[0].values[(0 * 5 + 4) * 4 + 1] += 0.001
        let path = dir.path("perturbed.h5")
        try raw.write(to: path)
        let r = try rnncheck(["verify", path, "--format", "json"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["passed"] as? Bool, false)
        let outputs = ((object?["cases"] as? [[String: Any]])?.first?["outputs"] as? [[String: Any]]) ?? []
        let failing = outputs.filter { ($0["passed"] as? Bool) == false }
        XCTAssertEqual(failing.count, 1)
        XCTAssertEqual(failing.first?["worst_index"] as? [Int], [0, 4, 1])
        XCTAssertEqual(failing.first?["mismatched"] as? Int, 1)
        let text = try rnncheck(["verify", path])
        XCTAssertTrue(text.stdout.contains("worst at (batch 0, time 4, unit 1)"), text.stdout)
    }

    func testCompareWithUserExportedFiles() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("bidi_sum_seqT_stateT").path)
        try raw.writeModel(to: dir.path("model.keras"))
        try raw.write(to: dir.path("ref.h5"), asFixture: false)
        let r = try rnncheck(["compare", dir.path("model.keras"), dir.path("ref.h5")])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("PASS  model.keras"), r.stdout)
    }

    /// `rnncheck export`, then the exported file used where the Keras file was: `compare` passes
    /// against Keras's outputs, `run` writes exactly the outputs the Keras file's run writes, and a
    /// damaged copy is refused with exit 2 naming it.
    func testExportedModelFileStandsInForTheKerasFile() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("bidi_sum_seqT_stateT").path)
        try raw.writeModel(to: dir.path("model.keras"))
        try raw.write(to: dir.path("ref.h5"), asFixture: false)
        let export = try rnncheck(["export", dir.path("model.keras"), "-o", dir.path("model.rnn")])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stdout.hasPrefix("wrote \(dir.path("model.rnn")): "), export.stdout)
        XCTAssertTrue(export.stdout.contains("format version 1"), export.stdout)

        let compare = try rnncheck(["compare", dir.path("model.rnn"), dir.path("ref.h5")])
        XCTAssertEqual(compare.status, 0, compare.stdout + compare.stderr)
        XCTAssertTrue(compare.stdout.hasPrefix("PASS  model.rnn"), compare.stdout)

        for model in ["model.keras", "model.rnn"] {
            let r = try rnncheck(["run", dir.path(model), dir.path("ref.h5"), "-o", dir.path(model + ".out.h5")])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let direct = try RawFixture.readPlain(path: dir.path("model.keras.out.h5")).outputs
        let exported = try RawFixture.readPlain(path: dir.path("model.rnn.out.h5")).outputs
        XCTAssertEqual(direct.count, raw.outputs.count)
        XCTAssertEqual(exported.map { $0.shape }, direct.map { $0.shape })
        XCTAssertEqual(exported.map { $0.values.map { $0.bitPattern } }, direct.map { $0.values.map { $0.bitPattern } })

        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("model.rnn")))
        try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: dir.path("cut.rnn")))
        let cut = try rnncheck(["compare", dir.path("cut.rnn"), dir.path("ref.h5")])
        XCTAssertEqual(cut.status, 2, cut.stdout + cut.stderr)
        XCTAssertTrue(cut.stderr.contains("cut.rnn") && cut.stderr.contains("truncated"), cut.stderr)
    }

    func testRunWritesOutputsThatCompareAccepts() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("lstm_initial_state").path)
        try raw.writeModel(to: dir.path("model.keras"))
        var inputsOnly = raw
        inputsOnly.outputs = []
        try inputsOnly.write(to: dir.path("in.h5"), asFixture: false)
        let run = try rnncheck(["run", dir.path("model.keras"), dir.path("in.h5"), "-o", dir.path("out.h5")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let written = try RawFixture.readPlain(path: dir.path("out.h5"))
        XCTAssertEqual(written.outputs.count, 3)
        // rnncheck's outputs compared with Keras's, element by element
        for (mine, keras) in zip(written.outputs, raw.outputs) {
            XCTAssertEqual(mine.shape, keras.shape)
            for (a, e) in zip(mine.values, keras.values) { XCTAssertEqual(a, e, accuracy: 1e-6) }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])
        // a second run replaces the earlier output in place
        let again = try rnncheck(["run", dir.path("model.keras"), dir.path("in.h5"), "-o", dir.path("out.h5")])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try RawFixture.readPlain(path: dir.path("out.h5")).outputs.count, 3)
        // refuses to overwrite an input
        let clash = try rnncheck(["run", dir.path("model.keras"), dir.path("in.h5"), "-o", dir.path("in.h5")])
        XCTAssertEqual(clash.status, 2)
        XCTAssertTrue(clash.stderr.contains("refusing to overwrite"), clash.stderr)
    }

    func testUnusableInputsExitTwoWithASentence() throws {
        let dir = try TemporaryDirectory()
        let junk = dir.path("junk.h5")
        try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: junk))
        var r = try rnncheck(["verify", junk])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(junk) && r.stderr.contains("not an HDF5 file"), r.stderr)

        // a reference without output_0
        let raw = try RawFixture(path: TestPaths.fixture("lstm_seqF_stateF").path)
        try raw.writeModel(to: dir.path("model.keras"))
        var noOutputs = raw
        noOutputs.outputs = []
        try noOutputs.write(to: dir.path("ref.h5"), asFixture: false)
        r = try rnncheck(["compare", dir.path("model.keras"), dir.path("ref.h5")])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("ref.h5: /output_0: missing dataset"), r.stderr)

        // inputs of the wrong width
        var wrong = raw
        wrong.inputs[0] = (shape: [2, 5, 2], values: Array(raw.inputs[0].values.prefix(20)))
        try wrong.write(to: dir.path("wrong.h5"), asFixture: false)
        r = try rnncheck(["compare", dir.path("model.keras"), dir.path("wrong.h5")])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("(2, 5, 2)"), r.stderr)

        // a corrupt model archive
        try Data(raw.modelBytes.prefix(300)).write(to: URL(fileURLWithPath: dir.path("broken.keras")))
        r = try rnncheck(["compare", dir.path("broken.keras"), dir.path("ref.h5")])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("broken.keras"), r.stderr)

        // a folder with no fixtures
        let empty = dir.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        r = try rnncheck(["verify", empty])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no fixture files"), r.stderr)
    }

    func testOutOfToleranceReferenceExitsOne() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("bidi_concat_seqF_stateT").path)
        try raw.writeModel(to: dir.path("model.keras"))
        raw.outputs[2].values[1] = -raw.outputs[2].values[1]  // forward_c, (batch 0, unit 1)
        try raw.write(to: dir.path("ref.h5"), asFixture: false)
        let r = try rnncheck(["compare", dir.path("model.keras"), dir.path("ref.h5")])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL bi/forward_c"), r.stdout)
        XCTAssertTrue(r.stdout.contains("worst at (batch 0, unit 1)"), r.stdout)
    }

    func testUsageErrorsExitTwo() throws {
        var r = try rnncheck(["verify", "--format", "yaml"])
        XCTAssertEqual(r.status, 2)
        XCTAssertFalse(r.stderr.isEmpty)
        r = try rnncheck(["compare", "only-one-argument.keras"])
        XCTAssertEqual(r.status, 2)
        r = try rnncheck(["verify", "--atol", "-1"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--atol"), r.stderr)
        r = try rnncheck(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("verify"), r.stdout)
    }
}

/// Each case runs in a child process: a file that crashes or hangs the reader fails alone.
final class IsolationTests: XCTestCase {
    func rnncheck(_ arguments: [String], environment: [String: String]) throws -> CLITests.Result {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = TestPaths.repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                     stderr: String(decoding: stderr, as: UTF8.self))
    }

    let three = ["seed_bidi_last", "seed_bidi_seq", "seed_lstm_const"].map { TestPaths.fixture($0).path }

    func testACrashingFileFailsAloneAndTheRestStillRun() throws {
        let r = try rnncheck(["verify"] + three + ["--jobs", "1"], environment: ["RNNCHECK_TEST_WORKER_CRASH_ON": "seed_bidi_seq.h5"])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS  seed_bidi_last"), r.stdout)
        XCTAssertTrue(r.stdout.contains("ERROR seed_bidi_seq"), r.stdout)
        XCTAssertTrue(r.stdout.contains("crashed the reader (signal 11)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS  seed_lstm_const"), r.stdout)
    }

    func testAHangingFileIsStopped() throws {
        let r = try rnncheck(["verify"] + three + ["--jobs", "1", "--case-timeout", "2"],
                             environment: ["RNNCHECK_TEST_WORKER_HANG_ON": "seed_lstm_const.h5"])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertTrue(r.stdout.contains("did not finish within 2 s"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS  seed_bidi_seq"), r.stdout)
    }

    func testCompareIsIsolatedToo() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("seed_lstm_const").path)
        try raw.writeModel(to: dir.path("model.keras"))
        try raw.write(to: dir.path("ref.h5"), asFixture: false)
        let r = try rnncheck(["compare", dir.path("model.keras"), dir.path("ref.h5")],
                             environment: ["RNNCHECK_TEST_WORKER_CRASH_ON": "model.keras"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("crashed the reader"), r.stderr)
        let plain = try rnncheck(["compare", dir.path("model.keras"), dir.path("ref.h5")], environment: [:])
        XCTAssertEqual(plain.status, 0, plain.stdout + plain.stderr)
    }
}

/// Files that the fuzzer found crashing libhdf5 1.10.8 itself (under AddressSanitizer): through
/// the CLI, each is an unusable input (exit 2), never a crash of rnncheck and never a pass.
final class LibHDF5CrashTests: XCTestCase {
    func testEachIsRefused() throws {
        let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/ConformanceTests/Hostile/libhdf5-crashes")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertFalse(files.isEmpty)
        let dir = try TemporaryDirectory()
        var paths: [String] = []
        for name in files {
            // The first byte picked the fuzz target's loader (1: a fixture / reference HDF5 file).
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            let path = dir.path(name + ".h5")
            try bytes.dropFirst().write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["verify", "--format", "json"] + paths
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 2)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let cases = try XCTUnwrap(object?["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, files.count)
        for c in cases {
            XCTAssertEqual(c["passed"] as? Bool, false)
            XCTAssertNotNil(c["error"] as? String, "\(c)")
        }
    }
}

final class InspectTests: XCTestCase {
    func testInspectShowsGraphWeightsAndSemantics() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("k2_hard_sigmoid_band").path)
        try raw.writeModel(to: dir.path("model.h5"))
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["inspect", dir.path("model.h5")]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(text.contains("Keras 2 / tf.keras full-model .h5"), text)
        XCTAssertTrue(text.contains("(LSTM)"), text)
        XCTAssertTrue(text.contains("recurrent_activation=hard_sigmoid (Keras 2: clip(0.2x+0.5, 0, 1))"), text)
        XCTAssertTrue(text.contains("weight: /model_weights/rnn/"), text)
        XCTAssertTrue(text.contains("output shapes: (batch, 5, 4), (batch, 4), (batch, 4)") || text.contains("output shapes:"), text)
        XCTAssertTrue(text.contains("parameters: "), text)
    }
}

/// Lambda layers and unregistered custom layers, in files saved by real Keras 3 and tf.keras
/// (Tests/RNNCheckCLITests/Resources, written by tools/make_test_models.py): `compare` and
/// `inspect` refuse each with exit 2 and a sentence that says why and what to do.
final class RefusedLayerTests: XCTestCase {
    static let resources = TestPaths.repositoryRoot.appendingPathComponent("Tests/RNNCheckCLITests/Resources")

    static let lambdaSentence = """
        layer 'double': it is a Lambda layer, whose config holds Python bytecode that runs only inside Python; \
        rnncheck never runs or decodes it. Write the function with keras.ops calls or built-in layers (Keras saves \
        those as nodes rnncheck reads), save the model again and compare that one.
        """
    static let customSentence = """
        layer 'scale': it is the custom layer class 'demo>Scale' (registered with register_keras_serializable), whose \
        computation is Python code the file does not hold. Rewrite it with built-in layers and keras.ops, or, from \
        Swift, pass an implementation for 'demo>Scale' in KerasModelLoader.load(customLayers:).
        """

    func run(_ arguments: [String]) throws -> CLITests.Result { try CLITests.run(arguments) }

    /// `model` (in Resources) is refused on compare and inspect with `sentence`, which follows
    /// the file and the config's place in it (`!config.json` in an archive, `@model_config` in
    /// a tf.keras .h5).
    func assertRefused(_ model: String, reference: String, where place: String, sentence: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let path = Self.resources.appendingPathComponent(model).path
        let ref = Self.resources.appendingPathComponent(reference).path
        let compare = try run(["compare", path, ref])
        XCTAssertEqual(compare.status, 2, compare.stdout + compare.stderr, file: file, line: line)
        XCTAssertEqual(compare.stderr, "rnncheck: \(path)\(place): \(sentence)\n", file: file, line: line)

        let inspect = try run(["inspect", path])
        XCTAssertEqual(inspect.status, 2, inspect.stdout + inspect.stderr, file: file, line: line)
        XCTAssertTrue(inspect.stdout.contains("not supported ("), inspect.stdout, file: file, line: line)
        XCTAssertTrue(inspect.stdout.contains("  - \(path)\(place): \(sentence)\n"), inspect.stdout, file: file, line: line)
        XCTAssertTrue(inspect.stderr.hasPrefix("rnncheck: \(path): "), inspect.stderr, file: file, line: line)
        XCTAssertTrue(inspect.stderr.hasSuffix("part(s) of the model are not supported (listed above); it cannot be run or compared.\n"),
                      inspect.stderr, file: file, line: line)
    }

    func testKeras3LambdaIsRefused() throws {
        try assertRefused("lambda.keras", reference: "lambda_ref.h5", where: "!config.json", sentence: Self.lambdaSentence)
    }

    func testTFKerasLambdaIsRefused() throws {
        try assertRefused("lambda.h5", reference: "lambda_ref.h5", where: "@model_config", sentence: Self.lambdaSentence)
    }

    func testKeras3CustomLayerIsRefusedByItsRegisteredName() throws {
        try assertRefused("custom.keras", reference: "custom_ref.h5", where: "!config.json", sentence: Self.customSentence)
    }

    func testTFKerasCustomLayerIsRefusedByItsRegisteredName() throws {
        try assertRefused("custom.h5", reference: "custom_ref.h5", where: "@model_config", sentence: Self.customSentence)
    }
}

/// The everyday use of ops: an LSTM's mean over time next to its last step, as Keras 3 op nodes
/// (`ops_mean_last`) and as tf.keras TFOpLambda / SlicingOpLambda layers (`k2_ops_mean_last`),
/// checked the way a user checks a model: `compare MODEL REF`.
final class OpsCompareTests: XCTestCase {
    func testMeanOverTimeNextToTheLastStepPassesCompare() throws {
        for (fixture, filename) in [("ops_mean_last", "model.keras"), ("k2_ops_mean_last", "model.h5")] {
            let dir = try TemporaryDirectory()
            let raw = try RawFixture(path: TestPaths.fixture(fixture).path)
            try raw.writeModel(to: dir.path(filename))
            try raw.write(to: dir.path("ref.h5"), asFixture: false)
            let r = try CLITests.run(["compare", dir.path(filename), dir.path("ref.h5"), "--atol", "1e-5", "--rtol", "1e-5"])
            XCTAssertEqual(r.status, 0, fixture + ": " + r.stdout + r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("PASS  \(filename)"), r.stdout)
            XCTAssertEqual(r.stderr, "")
        }
    }
}
