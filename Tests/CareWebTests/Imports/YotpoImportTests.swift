import CareCore
import Fluent
import XCTest

@testable import CareWeb

/// Yotpo's export layout (`Tests/fixtures/imports/yotpo.csv`): CRLF line ends, "Title Case" headers,
/// zone offsets in dates, a review Yotpo did not publish, a half star and a bad address.
final class YotpoImportTests: XCTestCase {
    func testYotpoExportWithADryRunFirst() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()

            // act: a dry run
            let (dry, dryskipped) = try await server.importReviews("yotpo.csv", format: .yotpo, into: store, dryRun: true)
            // check: it counts what would be imported and writes nothing
            XCTAssertEqual(dry.imported, 3)
            XCTAssertEqual(dry.skipped, 2)
            XCTAssertEqual(dryskipped.keys.sorted(), [5, 6])
            let none = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(none, 0)
            let products = try await Product.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(products, 0)

            // act: the import
            let (summary, skipped) = try await server.importReviews("yotpo.csv", format: .yotpo, into: store)

            // check
            XCTAssertEqual(summary.imported, 3)
            XCTAssertEqual(summary.held, 1)
            XCTAssertEqual(summary.productsCreated, 2)
            XCTAssertEqual(skipped[5], "review_score: '4.5' is not a whole number of stars")
            XCTAssertEqual(skipped[6], "email: is not an email address")
            let reviews = try await server.importedReviews(store)
            let leaks = try XCTUnwrap(reviews["Leaks"])
            XCTAssertEqual(leaks.createdAt, utc("2024-03-05T08:00:00Z"), "+02:00 read as such")
            XCTAssertEqual(leaks.rating, 1)
            let reply = try await ReviewReply.query(on: server.app.db).filter(\.$reviewID == leaks.id!).first()
            XCTAssertEqual(reply?.body, "Sorry Bo - we sent a new lid.")
            XCTAssertEqual(reviews["Hidden one"]?.status, .pending)
            XCTAssertEqual(reviews["Great kettle"]?.body, "Boils fast, pours well")
            let kettle = try await Product.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$externalID == "K-1").first()
            XCTAssertEqual(kettle?.name, "Gooseneck Kettle")
            XCTAssertEqual(kettle?.url, "https://shop.example/kettle")
            let kettleStars = try await server.productSummary(store, "K-1").stars
            XCTAssertEqual(kettleStars, [1, 0, 0, 0, 1])
            let tinStars = try await server.productSummary(store, "K-2").stars
            XCTAssertEqual(tinStars, [0, 0, 0, 0, 0], "the held review is not counted")

            // act: again, by Yotpo's review ids
            let (again, _) = try await server.importReviews("yotpo.csv", format: .yotpo, into: store)
            XCTAssertEqual(again.imported, 0)
            XCTAssertEqual(again.alreadyThere, 3)
        }
    }
}
