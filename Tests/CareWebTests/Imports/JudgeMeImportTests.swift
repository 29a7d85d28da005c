import CareCore
import Fluent
import XCTest

@testable import CareWeb

/// Judge.me's export layout (`Tests/fixtures/imports/judgeme.csv`): a byte-order mark, a quoted
/// two-line body with doubled quotes, a review without an address, a spam-curated one, bad rows and a
/// repeated row.
final class JudgeMeImportTests: XCTestCase {
    func testJudgeMeExportImportsOnceWithItsDatesAndReportsBadRows() async throws {
        try await onEachBackend { server in
            // setup: the shop's orders came first, so Sam's review can be verified
            let (store, _) = try await server.makeStore()
            let (orders, _) = try await server.importOrders("orders.csv", into: store)
            XCTAssertEqual(orders.created, 2)

            // act
            let (summary, skipped) = try await server.importReviews("judgeme.csv", format: .judgeme, into: store)

            // check: the counts, and each bad row by its line and reason
            XCTAssertEqual(summary.rows, 7)
            XCTAssertEqual(summary.imported, 4)
            XCTAssertEqual(summary.verified, 1)
            XCTAssertEqual(summary.held, 0, "curated spam is not held (a held review publishes itself after the hold)")
            XCTAssertEqual(summary.alreadyThere, 1, "the repeated row is one review")
            XCTAssertEqual(summary.skipped, 2)
            XCTAssertEqual(skipped[7], "rating: must be a whole number from 1 to 5, got 6")
            XCTAssertEqual(skipped[8], "review_date: is missing")

            let reviews = try await server.importedReviews(store)
            let lovely = try XCTUnwrap(reviews["Lovely mug"])
            XCTAssertEqual(lovely.body, "Holds a lot, keeps tea hot.\nSecond line with \"quotes\".", "stored exactly")
            XCTAssertEqual(lovely.createdAt, utc("2024-05-02T10:24:48Z"), "the review keeps its date")
            XCTAssertEqual(lovely.authorName, "Jane D.")
            XCTAssertEqual(lovely.status, .published)
            XCTAssertFalse(lovely.verified, "Jane has no order: the file's word does not verify")
            let reply = try await ReviewReply.query(on: server.app.db).filter(\.$reviewID == lovely.id!).first()
            XCTAssertEqual(reply?.body, "Thank you Jane!")

            let chipped = try XCTUnwrap(reviews["Chipped"])
            XCTAssertTrue(chipped.verified, "Sam's imported order A-100 has product 7001")
            XCTAssertEqual(chipped.status, .published, "a 2★ review is published like any other")
            let spam = try XCTUnwrap(reviews["Spammy"])
            XCTAssertEqual(spam.status, .rejected, "curated as spam on Judge.me: kept, rejected with the reason, never published")
            XCTAssertEqual(spam.statusReason, "marked spam on the platform it was imported from")
            XCTAssertNil(spam.publishAfter)
            XCTAssertNotNil(reviews["Fine"], "a review without an address is kept, from no one CareLoop can reach")

            // check: counted in the product's stars; the catalog's name is kept; no care was started for old news
            let mugStars = try await server.productSummary(store, "7001").stars
            XCTAssertEqual(mugStars, [0, 1, 0, 0, 1])
            let mug = try await Product.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$externalID == "7001").first()
            XCTAssertEqual(mug?.name, "Blue Mug")
            let conversations = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(conversations, 0)

            // act: the same file again
            let (again, skippedAgain) = try await server.importReviews("judgeme.csv", format: .judgeme, into: store)
            // check: nothing twice
            XCTAssertEqual(again.imported, 0)
            XCTAssertEqual(again.alreadyThere, 5)
            XCTAssertEqual(skippedAgain.count, 2)
            let count = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, 4)
            let mugStarsAgain = try await server.productSummary(store, "7001").stars
            XCTAssertEqual(mugStarsAgain, [0, 1, 0, 0, 1])
        }
    }

    func testAFileWithoutTheLayoutsColumnsIsRefusedBeforeAnythingIsWritten() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            // act: a Yotpo file read as Judge.me
            do {
                _ = try await server.importReviews("yotpo.csv", format: .judgeme, into: store)
                XCTFail("a file without a rating column was read")
            } catch let error as CareError {
                // check
                XCTAssertTrue(error.message.contains("has no rating column for the judgeme layout"), error.message)
            }
            let count = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, 0)
        }
    }
}
