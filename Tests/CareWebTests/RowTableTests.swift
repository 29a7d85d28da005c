import Foundation
import SQLKit
import XCTest

@testable import CareCore
@testable import CareWeb

/// A table written through a `RowTable` description has one line per column: a model field or a
/// database column without one would silently not be saved.
final class RowTableTests: XCTestCase {
    func testEveryDescribedTableNamesEveryModelFieldAndEveryDatabaseColumn() async throws {
        try await onEachBackend { server in
            let sql = try XCTUnwrap(server.app.db as? any SQLDatabase)
            for (model, described) in RowTables.all {
                // check: the description against the model's fields
                let fields = Set(model.keys.map(\.description))
                XCTAssertEqual(Set(described).symmetricDifference(fields).sorted(), [], "\(model.schema): description vs model fields")
                XCTAssertEqual(described.count, Set(described).count, "\(model.schema): a column described twice")
                // and against the table the migrations made
                let columns = try await Self.columns(of: model.schema, on: sql)
                XCTAssertFalse(columns.isEmpty, model.schema)
                XCTAssertEqual(Set(described).symmetricDifference(columns).sorted(), [], "\(model.schema): description vs database columns")
            }
        }
    }

    func testARowWrittenAndReadThroughItsDescriptionKeepsEveryField() async throws {
        try await onEachBackend { server in
            // setup: a review with every optional field set
            let (store, _) = try await server.makeStore()
            let storage = server.app.care.storage
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let product = Product(
                id: UUID(), storeID: store.id!, externalID: "full-\(UUID())", name: "Full", url: "https://x.test/p",
                imageURL: "https://x.test/i.png", createdAt: now)
            let customer = Customer(storeID: store.id!, email: "full@example.com", name: "Full Name", createdAt: now)
            customer.id = UUID()
            let review = Review()
            review.id = UUID()
            review.storeID = store.id!
            review.productID = product.id!
            review.customerID = customer.id!
            review.rating = 2
            review.originalRating = 1
            review.title = "Title"
            review.body = "Body"
            review.authorName = "Full N."
            review.status = .pending
            review.statusReason = "reason"
            review.heldByRule = "rule"
            review.publishAfter = now.addingTimeInterval(60)
            review.moderatedBy = "mod@x.test"
            review.moderatedAt = now.addingTimeInterval(30)
            review.verified = true
            review.source = .api
            review.createdAt = now
            review.updatedAt = now.addingTimeInterval(10)

            // act
            try await storage.write(on: server.app.db) { sql in
                try await sql.insert(product, into: Product.table)
                _ = try await Catalog.insertIfNew(customer, on: sql)
                try await sql.insert(review, into: Review.table)
            }
            let sql = try XCTUnwrap(server.app.db as? any SQLDatabase)
            let rows = try await sql.rows(Review.table) { $0.where("id", .equal, review.id!) }
            let read = try XCTUnwrap(rows.first)

            // check: every described column came back as written
            for column in Review.table.columns {
                XCTAssertEqual(String(describing: column.value(read)), String(describing: column.value(review)), column.name)
            }
            let found = try await Catalog.storedProduct(storeID: store.id!, externalID: product.externalID, on: sql)
            let fetched = try XCTUnwrap(found)
            XCTAssertEqual(fetched.imageURL, product.imageURL)
        }
    }

    private static func columns(of table: String, on sql: any SQLDatabase) async throws -> Set<String> {
        if sql.dialect.name == "sqlite" {
            return Set(
                try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))").all()
                    .map { try $0.decode(column: "name", as: String.self) })
        }
        return Set(
            try await sql.raw(
                """
                SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(bind: table)
                """
            ).all().map { try $0.decode(column: "column_name", as: String.self) })
    }
}
