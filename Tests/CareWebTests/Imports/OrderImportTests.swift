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

    func testRowsOfOneOrderThatDisagreeAreSkippedNotMerged() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            let csv = """
                order_id,email,product_id,product_name,quantity,fulfilled_at
                M-4,d@example.com,p1,One,1,2024-06-02
                M-4,e@example.com,p2,Two,1,2024-06-02
                M-4,d@example.com,p3,Three,1,2024-06-05
                M-4,d@example.com,p4,Four,1,
                """
            let skipped = SkipList()
            // act
            let summary = try await OrderImport.run(
                CSVReader(text: csv), storeID: store.id!, storage: server.app.care.storage, on: server.app.db, skip: skipped.add)
            // check: the order has the rows that agree (a blank date is no disagreement); the others are listed
            XCTAssertEqual(summary.created, 1)
            XCTAssertEqual(skipped.byLine[3], "email: differs from the order's first row (line 2)")
            XCTAssertEqual(skipped.byLine[4], "fulfilled_at: differs from the order's first row (line 2)")
            let order = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let items = try await OrderItem.query(on: server.app.db).filter(\.$orderID == order!.id!).count()
            XCTAssertEqual(items, 2)
        }
    }
}
