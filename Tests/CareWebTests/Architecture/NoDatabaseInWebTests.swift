import Foundation
import XCTest

/// The web layer asks CareCore's named queries and services for what it shows; it never reads or
/// writes the database itself. Read over the source, so a query written in a controller fails here.
final class NoDatabaseInWebTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every model type CareCore declares (`final class X: Model`).
    static func modelNames() throws -> [String] {
        let folder = root.appendingPathComponent("Sources/CareCore/Storage/Models")
        var names: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let declared = try NSRegularExpression(pattern: #"final class (\w+): Model\b"#)
            for m in declared.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.append(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        return names
    }

    /// The lines of `text` that touch the database: a Fluent query or filter, a model's `find` or
    /// save, a transaction or a write, raw SQL, the SQL view of a database, or the SQL libraries.
    static func databaseLines(in text: String, models: [String]) throws -> [String] {
        let patterns = try [
            #"\.query\(on:"#, #"\.raw\("#, #"\.sql\b"#, #"^\s*import (SQLKit|FluentSQL)\b"#, #"\.filter\(\\\.\$"#,
            #"\.(save|create|update|delete)\(on:"#, #"\.transaction\s*[({]"#, #"\.withConnection\b"#, #"\.storage\.write\("#,
            #"\b(\#(models.joined(separator: "|")))\.find\("#,
        ].map { try NSRegularExpression(pattern: $0) }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { line in
            let range = NSRange(line.startIndex..., in: line)
            return patterns.contains { $0.firstMatch(in: line, range: range) != nil }
        }
    }

    func testTheWebLayerNeverTouchesTheDatabase() throws {
        let models = try Self.modelNames()
        XCTAssertTrue(models.contains("Review") && models.contains("Conversation"), "models found: \(models)")
        let web = Self.root.appendingPathComponent("Sources/CareWeb")
        let files = FileManager.default.enumerator(atPath: web.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 50)
        var found: [String] = []
        for file in files {
            let text = try String(contentsOf: web.appendingPathComponent(file), encoding: .utf8)
            found += try Self.databaseLines(in: text, models: models).map { "\(file): \($0.trimmingCharacters(in: .whitespaces))" }
        }
        XCTAssertEqual(found, [], "CareWeb reads or writes the database itself; name the query in CareCore instead")
    }

    /// The check finds each kind of access (so the test above can fail).
    func testTheCheckSeesEachKindOfAccess() throws {
        let models = ["Review", "Conversation"]
        let touching = [
            "let r = try await Review.query(on: req.db).all()",
            "let c = try await Conversation.find(id, on: req.db)",
            #"try await req.db.sql.raw("SELECT 1").run()"#,
            "let sql = app.db.sql",
            "import SQLKit",
            #"    .filter(\.$storeID == id)"#,
            "try await note.save(on: req.db)",
            "try await req.db.transaction { tx in }",
            "try await req.care.storage.write(on: req.db) { tx in }",
        ]
        for line in touching {
            XCTAssertEqual(try Self.databaseLines(in: line, models: models), [line], line)
        }
        let clean = [
            "let r = try await ReviewQueries.one(reviewID: id, storeID: s, on: req.db)",
            "let s = try await StoreService.find(id: ctx.storeID, on: req.db)",
            "let rows = list.filter { $0.isOpen }",
        ]
        for line in clean {
            XCTAssertEqual(try Self.databaseLines(in: line, models: models), [], line)
        }
    }
}
