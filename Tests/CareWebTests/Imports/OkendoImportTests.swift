import CareCore
import Fluent
import XCTest

@testable import CareWeb

/// Okendo's import template layout (`Tests/fixtures/imports/okendo.csv`): camelCase headers, US dates
/// (month first), text beyond ASCII, a row without a product and an impossible date.
final class OkendoImportTests: XCTestCase {
    func testOkendoLayoutVerifiesAgainstImportedOrdersAndKeepsTextExactly() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            _ = try await server.importOrders("orders.csv", into: store)

            // act
            let (summary, skipped) = try await server.importReviews("okendo.csv", format: .okendo, into: store)

            // check
            XCTAssertEqual(summary.imported, 2)
            XCTAssertEqual(summary.verified, 1)
            XCTAssertEqual(skipped[4], "product_id: is required")
            XCTAssertEqual(skipped[5], "date_created: '13/40/2024' is not a date this import reads")
            let reviews = try await server.importedReviews(store)
            let warm = try XCTUnwrap(reviews["Warm"])
            XCTAssertTrue(warm.verified, "Liv's order A-101 has P-10")
            XCTAssertEqual(warm.createdAt, utc("2024-03-14"), "3/14/2024 is month first")
            let olle = try XCTUnwrap(reviews["Ünïcödé ✓"])
            XCTAssertEqual(olle.body, "Très bien — 👍")
            XCTAssertEqual(olle.createdAt, utc("2024-03-15T14:30:00Z"))

            let (again, _) = try await server.importReviews("okendo.csv", format: .okendo, into: store)
            XCTAssertEqual(again.imported, 0, "no review id in the file: the row's own content is its key")
            XCTAssertEqual(again.alreadyThere, 2)
        }
    }
}
