import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// CareLoop's own layout: what `export reviews` writes, `import reviews --format careloop` reads back
/// into another store unchanged, formulas guarded in the CSV and text exact in both.
final class CareLoopImportTests: XCTestCase {
    func testAnExportImportsIntoAnotherStoreUnchanged() async throws {
        try await onEachBackend { server in
            // setup: a store with reviews through the API, one with text a spreadsheet would run
            let (from, key) = try await server.makeStore("from")
            let bodies = ["=HYPERLINK(\"https://evil.example\",\"click\")", "Plain, with \"quotes\"\nand a second line", "'=already marked"]
            for (i, body) in bodies.enumerated() {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(
                        product: "p\(i)", productName: "Product \(i)", email: "c\(i)@example.com", rating: i + 2, title: "T\(i)", body: body))
                XCTAssertEqual(r.status, .created, r.text)
            }

            // act: export as CSV and as JSON Lines
            var csv = ""
            let exported = try await ReviewExport.run(storeID: from.id!, format: .csv, on: server.app.db) { csv += $0 }
            var jsonl = ""
            _ = try await ReviewExport.run(storeID: from.id!, format: .jsonl, on: server.app.db) { jsonl += $0 }

            // check: formulas are marked as text in the CSV; JSON Lines holds the text as it is
            XCTAssertEqual(exported, 3)
            XCTAssertTrue(csv.contains("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"click\"\")\""), csv)
            XCTAssertTrue(csv.contains(",''=already marked,"), csv)
            let lines = jsonl.split(separator: "\n")
            XCTAssertEqual(lines.count, 3)
            let objects = try lines.map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            let first = try XCTUnwrap(objects.first { $0["title"] as? String == "T0" })
            XCTAssertEqual(first["body"] as? String, bodies[0])

            // act: the CSV into another store
            let (to, _) = try await server.makeStore("to")
            let skipped = SkipList()
            let summary = try await ReviewImport.run(
                CSVReader(text: csv), store: to, options: .init(format: .careloop), storage: server.app.care.storage, on: server.app.db,
                skip: skipped.add)

            // check: every review, word for word, with its date and rating
            XCTAssertEqual(summary.imported, 3, "\(skipped.byLine)")
            let original = try await Review.query(on: server.app.db).filter(\.$storeID == from.id!).all()
            let copied = try await server.importedReviews(to)
            for review in original {
                let copy = try XCTUnwrap(copied[review.title!])
                XCTAssertEqual(copy.body, review.body)
                XCTAssertEqual(copy.rating, review.rating)
                XCTAssertEqual(copy.authorName, review.authorName)
                XCTAssertEqual(copy.createdAt.timeIntervalSince1970, review.createdAt.timeIntervalSince1970, accuracy: 0.001)
            }
            let again = try await ReviewImport.run(
                CSVReader(text: csv), store: to, options: .init(format: .careloop), storage: server.app.care.storage, on: server.app.db,
                skip: skipped.add)
            XCTAssertEqual(again.alreadyThere, 3, "by CareLoop's review ids")

            // act: the export back into the store it came from, after one review was rejected there
            let rejected = try XCTUnwrap(original.first)
            _ = try await server.send(.POST, "/api/v1/reviews/\(rejected.id!)/reject", key: key, json: ["reason": "spam"])
            var csvAfter = ""
            _ = try await ReviewExport.run(storeID: from.id!, format: .csv, on: server.app.db) { csvAfter += $0 }
            let home = try await ReviewImport.run(
                CSVReader(text: csvAfter), store: from, options: .init(format: .careloop), storage: server.app.care.storage, on: server.app.db,
                skip: skipped.add)
            // check: nothing doubled
            XCTAssertEqual(home.imported, 0)
            XCTAssertEqual(home.alreadyThere, 3)

            // act: into a third store: the rejected review stays rejected
            let (third, _) = try await server.makeStore("third")
            _ = try await ReviewImport.run(
                CSVReader(text: csvAfter), store: third, options: .init(format: .careloop), storage: server.app.care.storage, on: server.app.db,
                skip: skipped.add)
            let thirds = try await server.importedReviews(third)
            XCTAssertEqual(thirds[rejected.title!]?.status, .rejected, "a person's rejection is not undone by a move")
        }
    }
}
