import Foundation
import HDF5
import XCTest

final class GroupAndAttributeTests: HDF5TestCase {
    private let allValues: [(String, AttributeValue)] = [
        ("string", .string("héllo ✓")),
        ("strings", .strings(["lstm/lstm_cell/kernel:0", "", "β"])),
        ("empty_strings", .strings([])),
        ("int", .int(-42)),
        ("big_int", .int(.min)),
        ("ints", .ints([1, -2, .max])),
        ("empty_ints", .ints([])),
        ("double", .double(0.1)),
        ("doubles", .doubles([1.5, -.pi, .greatestFiniteMagnitude])),
        ("empty_doubles", .doubles([])),
    ]

    private func checkAttributes(on holder: AttributeHolder, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try holder.attributeNames(), allValues.map(\.0), file: file, line: line)
        for (name, value) in allValues {
            XCTAssertTrue(try holder.hasAttribute(name), name, file: file, line: line)
            XCTAssertEqual(try holder.attribute(name), value, name, file: file, line: line)
        }
        XCTAssertFalse(try holder.hasAttribute("absent"), file: file, line: line)
    }

    func testEveryAttributeValueRoundTripsOnGroupsAndDatasets() throws {
        let path = try makeFile("attributes.h5") { root in
            let group = try root.createGroup("g")
            let dataset = try group.write("d", [Float(1)], shape: [1])
            for (name, value) in allValues {
                try root.setAttribute(name, value)
                try group.setAttribute(name, value)
                try dataset.setAttribute(name, value)
            }
            // Written values are readable through the same handles before closing.
            try checkAttributes(on: dataset)
        }
        let root = try File.open(path).root
        try checkAttributes(on: root)
        try checkAttributes(on: try root.group("g"))
        try checkAttributes(on: try root.dataset("g/d"))
    }

    func testSetAttributeReplaces() throws {
        let path = try makeFile("replace.h5") { root in
            try root.setAttribute("name", .string("first"))
            try root.setAttribute("other", .int(1))
            try root.setAttribute("name", .doubles([2, 3]))
        }
        let root = try File.open(path).root
        XCTAssertEqual(try root.attribute("name"), .doubles([2, 3]))
        XCTAssertEqual(Set(try root.attributeNames()), ["name", "other"])
    }

    func testConvenienceAccessors() {
        XCTAssertEqual(AttributeValue.string("a").stringValue, "a")
        XCTAssertNil(AttributeValue.strings(["a"]).stringValue)
        XCTAssertEqual(AttributeValue.strings(["a", "b"]).stringsValue, ["a", "b"])
        XCTAssertEqual(AttributeValue.doubles([]).stringsValue, [], "Keras writes empty weight_names as float64 (0,)")
        XCTAssertNil(AttributeValue.doubles([1]).stringsValue)
        XCTAssertNil(AttributeValue.string("a").stringsValue)
        XCTAssertEqual(AttributeValue.int(7).intValue, 7)
        XCTAssertNil(AttributeValue.double(7).intValue)
        XCTAssertEqual(AttributeValue.double(0.25).doubleValue, 0.25)
        XCTAssertEqual(AttributeValue.int(-3).doubleValue, -3)
        XCTAssertNil(AttributeValue.ints([3]).doubleValue)
    }

    func testMissingAttributeIsNotFound() throws {
        let path = try makeFile("noattr.h5") { root in _ = try root.createGroup("g") }
        let group = try File.open(path).root.group("g")
        let error = thrownHDF5Error { try group.attribute("weight_names") }
        XCTAssertEqual(error, .notFound(file: path, object: "/g@weight_names"))
        XCTAssertEqual(error?.errorDescription, "\(path): /g@weight_names: no such attribute.")
    }

    func testNestedGroupsAndChildNames() throws {
        let path = try makeFile("nested.h5") { root in
            let a = try root.createGroup("a")
            _ = try a.createGroup("b")
            _ = try root.createGroup("a/b/c")
            _ = try a.createGroup("/a/b2")
            _ = try root.write("a/b/data", [Int32(5)], shape: [])
            for index in 0..<12 {
                _ = try root.write("a/b2/\(index)", [Float(index)], shape: [1])
            }
        }
        let root = try File.open(path).root
        XCTAssertEqual(root.objectPath, "/")
        XCTAssertEqual(try root.childNames(), ["a"])
        let a = try root.group("a")
        XCTAssertEqual(a.objectPath, "/a")
        XCTAssertEqual(try a.childNames(), ["b", "b2"])
        let b = try root.group("a/b")
        XCTAssertEqual(b.objectPath, "/a/b")
        XCTAssertEqual(try b.childNames(), ["c", "data"])
        XCTAssertEqual(try b.group("c").childNames(), [])
        XCTAssertEqual(try a.group("/a/b/c").objectPath, "/a/b/c")
        XCTAssertEqual(try b.dataset("data").objectPath, "/a/b/data")
        XCTAssertEqual(try a.dataset("b/data").read(as: Int32.self), [5])
        // Name order, as libhdf5 lists it: "10" before "2".
        XCTAssertEqual(try root.group("a/b2").childNames(),
                       ["0", "1", "10", "11", "2", "3", "4", "5", "6", "7", "8", "9"])
        XCTAssertIdentical(b.file, a.file)
        XCTAssertEqual(b.file.path, path)
    }

    func testKindOf() throws {
        let path = try makeFile("kinds.h5") { root in
            _ = try root.createGroup("g/")
            _ = try root.write("g/d", [Float(1)], shape: [1])
        }
        let root = try File.open(path).root
        XCTAssertEqual(try root.kind(of: "g"), .group)
        XCTAssertEqual(try root.kind(of: "g/d"), .dataset)
        XCTAssertEqual(try root.kind(of: "/g/d"), .dataset)
        XCTAssertEqual(try root.kind(of: "g//./d"), .dataset)
        XCTAssertEqual(try root.kind(of: "missing"), .missing)
        XCTAssertEqual(try root.kind(of: "g/missing"), .missing)
        XCTAssertEqual(try root.kind(of: "g/d/below_a_dataset"), .missing)
        XCTAssertEqual(try root.group("g").kind(of: "d"), .dataset)
    }

    func testAttributeNamesFollowCreationOrder() throws {
        let path = try makeFile("order.h5") { root in
            for name in ["zeta", "alpha", "mid"] { try root.setAttribute(name, .int(1)) }
        }
        XCTAssertEqual(try File.open(path).root.attributeNames(), ["zeta", "alpha", "mid"])
    }
}
