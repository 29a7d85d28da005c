import CareCore
import Fluent
import XCTest

@testable import CareWeb

/// `import orders`: one row per item, grouped into orders that go through the orders API's checks.
final class OrderImportTests: XCTestCase {
    func testOrdersImportOnceWithTheirItemsAndBadRowsReported() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()

            // act
            let (summary, skipped) = try await server.importOrders("orders.csv", into: store)

            // check
            XCTAssertEqual(summary.rows, 5)
            XCTAssertEqual(summary.created, 2)
            XCTAssertEqual(skipped[5], "order A-102: items[0].quantity: must be from 1 to 1000000")
            XCTAssertEqual(skipped[6], "unit_price: '12.505' is not an amount like 12.50")
            let found = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$externalID == "A-100").first()
            let order = try XCTUnwrap(found)
            XCTAssertEqual(order.totalCents, 1250 + 2 * 3000)
            XCTAssertEqual(order.currency, "EUR")
            XCTAssertEqual(order.fulfilledAt, utc("2024-06-02"))
            let items = try await OrderItem.query(on: server.app.db).filter(\.$orderID == order.id!).count()
            XCTAssertEqual(items, 2)

            // act: again
            let (again, _) = try await server.importOrders("orders.csv", into: store)
            // check: the same orders, updated to what they already were: no extra items
            XCTAssertEqual(again.created, 0)
            XCTAssertEqual(again.updated, 2)
            let itemsAgain = try await OrderItem.query(on: server.app.db).filter(\.$orderID == order.id!).count()
            XCTAssertEqual(itemsAgain, 2)
            let orders = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(orders, 2)
        }
    }
}
