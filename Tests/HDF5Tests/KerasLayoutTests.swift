import Foundation
import HDF5
import XCTest

/// Resources/keras_like.h5, written by h5py the way Keras writes its files (make_resources.py).
final class KerasLayoutTests: XCTestCase {
    private let path = Resources.path("keras_like.h5")

    private func root() throws -> Group { try File.open(path).root }

    func testRootStringAttributes() throws {
        let root = try root()
        XCTAssertEqual(try root.attribute("backend"), .string("tensorflow"))           // vlen UTF-8 scalar
        XCTAssertEqual(try root.attribute("keras_version"), .string("2.21.0"))         // vlen ASCII scalar
        XCTAssertEqual(try root.attribute("model_config").stringValue,
                       "{\"class_name\": \"Sequential\", \"name\": \"séq\"}")
        XCTAssertEqual(try root.attribute("layer_names"), .strings(["x", "lstm", "dense"]))  // vlen ASCII 1-D
        XCTAssertEqual(try root.attribute("fixed_names"), .strings(["lstm", "dense"]))       // fixed S5 1-D
        XCTAssertEqual(try root.attribute("fixed_scalar"), .string("tensorflow"))            // fixed S10 scalar
        XCTAssertEqual(try root.attribute("spacepad"), .strings(["ab", "cde"]))              // space-padded
    }

    func testRootNumberAttributes() throws {
        let root = try root()
        XCTAssertEqual(try root.attribute("int32_scalar"), .int(-7))
        XCTAssertEqual(try root.attribute("uint8_array"), .ints([1, 2, 255]))
        XCTAssertEqual(try root.attribute("int64_array"), .ints([-(1 << 40), 0, 1 << 40]))
        XCTAssertEqual(try root.attribute("float32_scalar"), .double(0.5))
        XCTAssertEqual(try root.attribute("float64_array"), .doubles([1.25, -2.5]))
        XCTAssertEqual(try root.attribute("empty_null"), .doubles([]))
    }

    func testUnsupportedAttributesAreWrongType() throws {
        let root = try root()
        XCTAssertEqual(thrownHDF5Error { try root.attribute("compound") },
                       .wrongType(file: path, object: "/@compound", expected: "string, integer or float", actual: "compound"))
        guard case .wrongType(path, "/@matrix", _, _)? = thrownHDF5Error({ try root.attribute("matrix") }) else {
            return XCTFail("a 2-D attribute must be .wrongType")
        }
    }

    func testAttributeNames() throws {
        let names = try root().attributeNames()
        XCTAssertEqual(Set(names), ["backend", "keras_version", "model_config", "layer_names", "fixed_names",
                                    "fixed_scalar", "spacepad", "int32_scalar", "uint8_array", "int64_array",
                                    "float32_scalar", "float64_array", "empty_null", "matrix", "compound"])
        XCTAssertEqual(names.count, 15)
        XCTAssertEqual(names, names.sorted(), "untracked attributes are listed in name order")
        XCTAssertEqual(try root().group("ordered").attributeNames(), ["zeta", "alpha", "mid"], "tracked creation order")
    }

    func testKeras2WeightNamesFollowed() throws {
        let weights = try root().group("model_weights")
        XCTAssertEqual(try weights.attribute("layer_names").stringsValue, ["x", "lstm"])
        let lstm = try weights.group("lstm")
        let names = try XCTUnwrap(lstm.attribute("weight_names").stringsValue)
        XCTAssertEqual(names, ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/bias:0"])
        let kernel = try lstm.dataset(names[0])
        XCTAssertEqual(kernel.objectPath, "/model_weights/lstm/lstm/lstm_cell/kernel:0")
        XCTAssertEqual(kernel.shape, [2, 12])
        XCTAssertEqual(kernel.elementType, .float32)
        XCTAssertEqual(try kernel.read(as: Float.self), (0..<24).map { Float($0) / 8 })
        let bias = try lstm.dataset(names[1]).read(as: Float.self)
        XCTAssertEqual(bias.count, 12)
        XCTAssertEqual(bias.first, -1)
        XCTAssertEqual(bias.last, 1)
        // An InputLayer: empty weight_names stored as float64 (0,).
        let input = try weights.group("x").attribute("weight_names")
        XCTAssertEqual(input, .doubles([]))
        XCTAssertEqual(input.stringsValue, [])
    }

    func testKeras3NumberedDatasetsListInNameOrder() throws {
        let vars = try root().group("layers/lstm/cell/vars")
        XCTAssertEqual(try vars.attribute("name"), .string("lstm_cell"))
        XCTAssertEqual(try vars.childNames(), ["0", "1", "10", "11", "2", "3", "4", "5", "6", "7", "8", "9"])
        XCTAssertEqual(try vars.dataset("10").read(as: Float.self), [10])
    }

    func testDatasetsOfOtherTypes() throws {
        let data = try root().group("data")
        let half = try data.dataset("float16")
        XCTAssertEqual(half.elementType, .float16)
        XCTAssertEqual(try half.read(as: Float.self), [0.5, 1.5, -2])
        XCTAssertEqual(try half.attribute("unit"), .string("none"))
        XCTAssertEqual(try half.attributeNames(), ["unit"])
        let bigEndian = try data.dataset("big_endian_int32")
        XCTAssertEqual(bigEndian.elementType, .int32)
        XCTAssertEqual(try bigEndian.read(as: Int32.self), [1, -2, 300_000])
        XCTAssertEqual(try bigEndian.read(as: Double.self), [1, -2, 300_000])
        let bool = try data.dataset("bool")
        XCTAssertEqual(bool.elementType, .bool)
        XCTAssertEqual(thrownHDF5Error { try bool.read(as: UInt8.self) },
                       .wrongType(file: path, object: "/data/bool", expected: "uint8", actual: "bool"))
        XCTAssertEqual(try data.dataset("gzip_float64").read(as: Double.self), (0..<100).map(Double.init))
        XCTAssertEqual(try data.dataset("gzip_float64").shape, [10, 10])
        XCTAssertEqual(thrownHDF5Error { try data.dataset("compound").read(as: Double.self) },
                       .wrongType(file: path, object: "/data/compound", expected: "float64", actual: "compound"))
        let empty = try data.dataset("empty")
        XCTAssertEqual(empty.count, 0)
        XCTAssertEqual(try empty.read(as: Float.self), [])
    }

    func testStringDatasets() throws {
        let data = try root().group("data")
        XCTAssertEqual(try data.dataset("vlen_strings").readStrings(), ["a", "béta", ""])
        XCTAssertEqual(try data.dataset("fixed_strings").readStrings(), ["x", "yy", "zzz"])
        XCTAssertEqual(try data.dataset("fixed_strings").elementType, .string)
        let scalar = try data.dataset("scalar_string")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(try scalar.readStrings(), ["{\"config\": 1}"])
    }

    func testHugeShapesAreTooLargeBeforeAllocating() throws {
        let data = try root().group("data")
        let big = try data.dataset("big")
        XCTAssertEqual(big.shape, [1 << 20, 1 << 12])
        XCTAssertEqual(thrownHDF5Error { try big.read(as: Float.self) },
                       .tooLarge(file: path, object: "/data/big", bytes: 1 << 34, limit: 1 << 30))
        let huge = try data.dataset("huge")
        XCTAssertEqual(huge.shape, [1 << 62, 4])
        XCTAssertEqual(thrownHDF5Error { try huge.read(as: Float.self) },
                       .tooLarge(file: path, object: "/data/huge", bytes: Int.max, limit: 1 << 30))
    }

    func testSoftLinksWithinTheFile() throws {
        let root = try root()
        let absolute = try root.group("links/absolute")
        XCTAssertEqual(absolute.objectPath, "/links/absolute")
        XCTAssertEqual(try absolute.attribute("weight_names").stringsValue?.count, 2)
        XCTAssertEqual(try root.dataset("links/absolute/lstm/lstm_cell/kernel:0").shape, [2, 12])
        XCTAssertEqual(try root.dataset("links/relative").read(as: Int32.self), [3, 4])
        XCTAssertEqual(try root.kind(of: "links/relative"), .dataset)
    }

    func testDanglingSoftLinkIsMissing() throws {
        let root = try root()
        XCTAssertEqual(try root.kind(of: "links/dangling"), .missing)
        XCTAssertEqual(thrownHDF5Error { try root.dataset("links/dangling") },
                       .notFound(file: path, object: "/links/dangling"))
    }

    func testSoftLinkLoopIsRefused() throws {
        let root = try root()
        for attempt in [{ _ = try root.dataset("links/loop_a") }, { _ = try root.kind(of: "links/loop_b") }] {
            guard case let .refused(file, _, reason)? = thrownHDF5Error(attempt) else {
                return XCTFail("a soft link loop must be refused")
            }
            XCTAssertEqual(file, path)
            XCTAssertTrue(reason.contains("soft link"), reason)
        }
    }

    func testNamedDatatypeIsOther() throws {
        let root = try root()
        XCTAssertEqual(try root.kind(of: "named_type"), .other)
        XCTAssertEqual(thrownHDF5Error { try root.dataset("named_type") },
                       .wrongKind(file: path, object: "/named_type", expected: "dataset", actual: "named datatype"))
    }

    func testReadsTheSameFromAnImage() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let root = try File.open(image: bytes, name: "keras_like.h5").root
        XCTAssertEqual(try root.attribute("layer_names"), .strings(["x", "lstm", "dense"]))
        XCTAssertEqual(try root.dataset("model_weights/lstm/lstm/lstm_cell/kernel:0").read(as: Double.self),
                       (0..<24).map { Double($0) / 8 })
    }
}
