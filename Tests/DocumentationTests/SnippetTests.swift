import Foundation
import XCTest
import _TestSupport

/// The documentation's Swift code cannot drift from code that compiles and runs: every
/// ```` ```swift ```` block of README.md and of the DocC articles (`Sources/*/*.docc/*.md`) must be
/// a copy of a region of this target's Swift files marked
///
///     // snippet: NAME
///     ...code...
///     // snippet end
///
/// compared line by line after removing the common indentation and trailing spaces. Regions of
/// the same NAME in one file are joined in file order with an empty line between them (a type
/// declared at file scope, then the statements that use it in a test). A block's leading
/// `import` lines are not compared but must be imports of the file that holds the region. A
/// block whose first line is `// Package.swift` is a manifest excerpt: every
/// `.product(name:package:)` it names must be a library product of this package. Every region
/// must be shown by some block, so that none outlives its documentation.
final class SnippetTests: XCTestCase {
    struct Block {
        var file: String
        var line: Int
        var lines: [String]
    }

    struct Region {
        var name: String
        var file: String
        var lines: [String]
        var imports: Set<String>
    }

    static var documents: [URL] {
        get throws {
            let root = TestPaths.repositoryRoot
            var found = [root.appendingPathComponent("README.md")]
            let sources = root.appendingPathComponent("Sources")
            for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
                let moduleURL = sources.appendingPathComponent(module)
                for item in (try? FileManager.default.contentsOfDirectory(atPath: moduleURL.path))?.sorted() ?? []
                where item.hasSuffix(".docc") {
                    let catalog = moduleURL.appendingPathComponent(item)
                    guard let walker = FileManager.default.enumerator(atPath: catalog.path) else { continue }
                    for case let path as String in walker where path.hasSuffix(".md") {
                        found.append(catalog.appendingPathComponent(path))
                    }
                }
            }
            return found
        }
    }

    /// The ```swift blocks of a Markdown file, each dedented by its fence's indentation.
    static func swiftBlocks(in url: URL) throws -> [Block] {
        let name = url.path.replacingOccurrences(of: TestPaths.repositoryRoot.path + "/", with: "")
        let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        var blocks: [Block] = []
        var current: Block?
        var fenceIndent = 0
        for (k, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var block = current {
                if trimmed == "```" {
                    blocks.append(block)
                    current = nil
                } else {
                    block.lines.append(String(line.dropFirst(min(fenceIndent, line.prefix { $0 == " " }.count))))
                    current = block
                }
            } else if trimmed == "```swift" {
                fenceIndent = line.prefix { $0 == " " }.count
                current = Block(file: name, line: k + 1, lines: [])
            }
        }
        XCTAssertNil(current, "\(name): a ```swift block is not closed")
        return blocks
    }

    /// The `// snippet:` regions of this target's Swift files.
    static func regions() throws -> [Region] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        var regions: [Region] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".swift") {
            let lines = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8).components(separatedBy: "\n")
            let imports = Set(lines.filter { $0.hasPrefix("import ") })
            var parts: [(name: String, lines: [String])] = []
            var open: (name: String, lines: [String])?
            for (k, line) in lines.enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("// snippet: ") {
                    XCTAssertNil(open, "\(file):\(k + 1): a snippet region starts inside another")
                    open = (String(trimmed.dropFirst("// snippet: ".count)), [])
                } else if trimmed == "// snippet end" {
                    guard let region = open else {
                        XCTFail("\(file):\(k + 1): `// snippet end` without a start")
                        continue
                    }
                    parts.append((region.name, normalized(region.lines)))
                    open = nil
                } else if open != nil {
                    open!.lines.append(line)
                }
            }
            XCTAssertNil(open, "\(file): snippet region '\(open?.name ?? "")' is not closed")
            var order: [String] = []
            var joined: [String: [String]] = [:]
            for part in parts {
                if let existing = joined[part.name] {
                    joined[part.name] = existing + [""] + part.lines
                } else {
                    order.append(part.name)
                    joined[part.name] = part.lines
                }
            }
            regions += order.map { Region(name: $0, file: file, lines: joined[$0]!, imports: imports) }
        }
        return regions
    }

    /// Lines without trailing spaces, leading and trailing empty lines, and common indentation.
    static func normalized(_ lines: [String]) -> [String] {
        var lines = lines.map { line -> String in
            var s = Substring(line)
            while s.last == " " || s.last == "\t" { s = s.dropLast() }
            return String(s)
        }
        while lines.first?.isEmpty == true { lines.removeFirst() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        let indent = lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return lines.map { $0.isEmpty ? $0 : String($0.dropFirst(indent)) }
    }

    func testEveryDocumentedSwiftBlockIsCompiledCode() throws {
        let regions = try Self.regions()
        XCTAssertFalse(regions.isEmpty)
        let products = try libraryProducts()
        var shown = Set<String>()
        var blockCount = 0
        for document in try Self.documents {
            for block in try Self.swiftBlocks(in: document) {
                blockCount += 1
                let location = "\(block.file):\(block.line)"
                if block.lines.first?.hasPrefix("// Package.swift") == true {
                    checkManifest(block, location: location, products: products)
                    continue
                }
                var lines = Self.normalized(block.lines)
                var imports: [String] = []
                while let first = lines.first, first.hasPrefix("import ") {
                    imports.append(first)
                    lines.removeFirst()
                }
                lines = Self.normalized(lines)
                guard let region = regions.first(where: { $0.lines == lines }) else {
                    XCTFail(mismatch(lines, location: location, regions: regions))
                    continue
                }
                shown.insert("\(region.file)#\(region.name)")
                for line in imports where !region.imports.contains(line) {
                    XCTFail("\(location): the block says `\(line)`, but \(region.file), which compiles it, does not")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(blockCount, 10, "fewer ```swift blocks than the README and the articles hold")
        for region in regions where !shown.contains("\(region.file)#\(region.name)") {
            XCTFail("\(region.file): snippet region '\(region.name)' is shown by no ```swift block in README.md or Sources/*/*.docc")
        }
    }

    /// The first differing line against the region that agrees longest with the block.
    func mismatch(_ lines: [String], location: String, regions: [Region]) -> String {
        func agreement(_ region: Region) -> Int {
            zip(lines, region.lines).prefix { $0 == $1 }.count
        }
        guard let closest = regions.max(by: { agreement($0) < agreement($1) }) else {
            return "\(location): a ```swift block, and no snippet regions to compare it with"
        }
        let k = agreement(closest)
        let doc = k < lines.count ? lines[k] : "(end of block)"
        let code = k < closest.lines.count ? closest.lines[k] : "(end of region)"
        return """
            \(location): this ```swift block is not a copy of any `// snippet:` region in Tests/DocumentationTests. \
            Closest: '\(closest.name)' in \(closest.file), first difference at line \(k + 1) of the block:
              doc:  \(doc)
              code: \(code)
            """
    }

    /// The library products Package.swift declares.
    func libraryProducts() throws -> Set<String> {
        let manifest = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        return Set(Self.captures(of: #".library(name: ""#, in: manifest))
    }

    func checkManifest(_ block: Block, location: String, products: Set<String>) {
        let text = block.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains(".package("), "\(location): the manifest excerpt has no .package(...) dependency line")
        let named = Self.captures(of: #".product(name: ""#, in: text)
        XCTAssertFalse(named.isEmpty, "\(location): the manifest excerpt names no product")
        for product in named where !products.contains(product) {
            XCTFail("\(location): the manifest excerpt names product '\(product)', which Package.swift does not declare (\(products.sorted()))")
        }
        XCTAssertFalse(text.contains("package: \"") && !text.contains("package: \"rnncheck\""),
                       "\(location): products must come from package \"rnncheck\"")
    }

    /// The quoted strings that follow each occurrence of `prefix`.
    static func captures(of prefix: String, in text: String) -> [String] {
        text.components(separatedBy: prefix).dropFirst().compactMap { $0.split(separator: "\"", maxSplits: 1).first.map(String.init) }
    }

    /// The checker itself: a block that differs from its region by one character is found.
    func testCheckerFindsAChangedLine() {
        let region = Region(name: "r", file: "F.swift", lines: ["let a = 1", "let b = 2"], imports: [])
        XCTAssertEqual(Self.normalized(["", "    let a = 1   ", "    let b = 2", ""]), region.lines)
        let message = mismatch(["let a = 1", "let b = 3"], location: "DOC.md:7", regions: [region])
        XCTAssertTrue(message.contains("first difference at line 2"), message)
        XCTAssertTrue(message.contains("doc:  let b = 3"), message)
        XCTAssertEqual(Self.captures(of: #".library(name: ""#, in: #".library(name: "A", targets: []), .library(name: "B""#), ["A", "B"])
    }
}
