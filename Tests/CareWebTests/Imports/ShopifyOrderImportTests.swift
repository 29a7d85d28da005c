import Fluent
import Foundation
import XCTest

@testable import CareCore
@testable import CareWeb

/// `import orders --format shopify`: Shopify's own orders export, one row per line item.
final class ShopifyOrderImportTests: XCTestCase {
    func testTheExportImportsTwiceWithNothingDoubled() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            let db = server.app.db
            // A variant the store already has (as a shop connection brings it), known by its SKU.
            var ref = ProductRef(externalID: "8120394857001", name: "Glass Kettle 1.7 l")
            ref.sku = "KET-17-CLR"
            let kettle = ref
            _ = try await server.app.care.storage.write(on: db) { tx in
                try await Catalog.product(kettle, storeID: store.id!, now: Date(), on: tx)
            }
            let csv = try shopifyExport()

            // act
            let (summary, skipped) = try await server.importShopify(csv, into: store)

            // check: ten orders in fifteen rows; the till sale without an email is left out, with its reason
            XCTAssertEqual(summary.rows, 15)
            XCTAssertEqual(summary.created, 9)
            XCTAssertEqual(summary.skipped, 1)
            XCTAssertEqual(skipped, [11: "Email: is empty, and CareLoop asks buyers by email: the order is left out"])
            try await server.expectCounts(store, orders: 9, items: 14, products: 8, requests: 6)

            let first = try await server.shopifyOrder(store, "5938471230981")
            XCTAssertEqual(first.totalCents, 10475)
            XCTAssertEqual(first.currency, "EUR")
            XCTAssertEqual(first.placedAt, utc(lastMonth("2026-11-10 10:15:00 -0500")))
            XCTAssertEqual(first.fulfilledAt, utc(lastMonth("2026-11-12 08:42:15 -0500")))
            XCTAssertEqual(first.marketingConsent, true)
            XCTAssertEqual(first.country, "DE")
            XCTAssertEqual(first.source, "shopify")
            XCTAssertNil(first.cancelledAt)
            XCTAssertNil(first.refundedAt)
            let customer = try await Customer.find(first.customerID, on: db)
            XCTAssertEqual(customer?.name, "Lena Hoffmann")
            let lines = try await OrderItem.query(on: db).filter(\.$orderID == first.id!).sort(\.$unitPriceCents).all()
            XCTAssertEqual(lines.map(\.name), ["Stoneware Mug - Sand / 350 ml", "Glass Kettle 1.7 l - Smoke"])
            XCTAssertEqual(lines.map(\.sku), ["MUG-350-SND", "KET-17-SMK"])
            XCTAssertEqual(lines.map(\.quantity), [2, 1])
            XCTAssertEqual(lines.map(\.unitPriceCents), [2495, 4995])

            // cancelled after it was fulfilled: refunded in full at the cancellation, and nobody is asked
            let cancelled = try await server.shopifyOrder(store, "5938472339561")
            XCTAssertEqual(cancelled.cancelledAt, utc(lastMonth("2026-11-19 16:44:02 -0500")))
            XCTAssertEqual(cancelled.refundedAt, cancelled.cancelledAt)
            XCTAssertEqual(cancelled.refundedCents, 10470)
            XCTAssertEqual(cancelled.requestStopReason, "cancelled")
            try await server.expectRequest(for: cancelled, false)
            // refunded, not cancelled: dated by its payment
            let refunded = try await server.shopifyOrder(store, "5938472981455")
            XCTAssertNil(refunded.cancelledAt)
            XCTAssertEqual(refunded.refundedAt, utc(lastMonth("2026-11-19 09:40:16 -0500")))
            XCTAssertEqual(refunded.requestStopReason, "refunded")
            try await server.expectRequest(for: refunded, false)
            // partly refunded: the amount is kept, the buyer is still asked
            let partly = try await server.shopifyOrder(store, "5938474244017")
            XCTAssertEqual(partly.refundedCents, 1290)
            XCTAssertNil(partly.refundedAt)
            try await server.expectRequest(for: partly, true)
            try await server.expectRequest(for: first, true)
            // not fulfilled yet: nobody asked; a blank billing country falls back to the shipping one
            let unfulfilled = try await server.shopifyOrder(store, "5938473302871")
            XCTAssertEqual(unfulfilled.country, "CH")
            XCTAssertEqual(unfulfilled.currency, "CHF")
            XCTAssertEqual(unfulfilled.marketingConsent, false)
            try await server.expectRequest(for: unfulfilled, false)

            // products: the known SKU is the store's product, not renamed by the line; the others keyed by SKU or by name
            let known = try await server.product(store, "8120394857001")
            XCTAssertEqual(known.name, "Glass Kettle 1.7 l")
            let viaSKU = try await server.shopifyOrder(store, "5938473617209")
            let item = try await OrderItem.query(on: db).filter(\.$orderID == viaSKU.id!).first()
            XCTAssertEqual(item?.productID, known.id)
            let beans = try await server.product(store, "GRN-250-ETH")
            XCTAssertEqual(beans.name, "Coffee Beans Ethiopia Yirgacheffe - 250 g")
            XCTAssertEqual(beans.sku, "GRN-250-ETH")
            XCTAssertEqual(beans.brand, "Rösterei Süd")
            let wrapping = try await server.product(store, "name:Gift wrapping")
            XCTAssertNil(wrapping.sku)
            XCTAssertEqual(wrapping.brand, "Brühwerk")

            // act: the same export again
            let (again, skippedAgain) = try await server.importShopify(csv, into: store)

            // check: every order updated to what it was; nothing doubled
            XCTAssertEqual(again.created, 0)
            XCTAssertEqual(again.updated, 9)
            XCTAssertEqual(skippedAgain.count, 1)
            try await server.expectCounts(store, orders: 9, items: 14, products: 8, requests: 6)
            let firstAgain = try await server.shopifyOrder(store, "5938471230981")
            XCTAssertEqual(firstAgain.totalCents, 10475)
            let knownAgain = try await server.product(store, "8120394857001")
            XCTAssertEqual(knownAgain.name, "Glass Kettle 1.7 l")
        }
    }

    func testADryRunChecksEverythingAndWritesNothing() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            // act
            let (summary, skipped) = try await server.importShopify(try shopifyExport(), into: store, dryRun: true)
            // check
            XCTAssertEqual(summary.created, 9)
            XCTAssertEqual(Array(skipped.keys), [11])
            try await server.expectCounts(store, orders: 0, items: 0, products: 0, requests: 0)
        }
    }

    func testRowsThatDoNotBelongToTheirOrderAreSkippedWithTheirReason() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            let csv = """
                Name,Email,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Id,Accepts Marketing
                #1,a@example.com,10.00,2026-11-10 10:00:00 -0500,1,Mug,5.00,M-1,101,yes
                #1,b@example.com,,,1,Cup,5.00,C-1,,
                #1,a@example.com,,,1,Cup,5.005,C-1,,
                #2,,20.00,2026-11-10 11:00:00 -0500,1,Mug,5.00,M-1,102,no
                #2,,,,1,Cup,5.00,C-1,,
                #3,c@example.com,10.00,2026-11-10 12:00:00 -0500,1,Mug,5.00,M-1,103,maybe
                #4,d@example.com,10.00,2026-11-10 13:00:00 -0500,1,Mug,5.00,M-1,#104,no
                #1,a@example.com,10.00,2026-11-10 10:00:00 -0500,1,Mug,5.00,M-1,101,yes
                #5,e@example.com,10.00,2026-11-10 14:00:00 -0500,2,Mug,5.00,M-1,105,no
                """
            // act
            let (summary, skipped) = try await server.importShopify(csv, into: store)
            // check: each row's reason; #1 keeps its good row, #5 is whole
            XCTAssertEqual(
                skipped,
                [
                    3: "Email: differs from the order's first row (line 2)",
                    4: "Lineitem price: '5.005' is not an amount like 12.50",
                    5: "Email: is empty, and CareLoop asks buyers by email: the order is left out",
                    6: "Name: order #2's first row (line 5) was skipped",
                    7: "Accepts Marketing: 'maybe' is not yes or no",
                    8: "Id: '#104' is not Shopify's numeric order id",
                    9: "Total: the order's columns again (first at line 2): is the order in the file twice?",
                ])
            XCTAssertEqual(summary.created, 2)
            try await server.expectCounts(store, orders: 2, items: 2, products: 1, requests: 0)

            // a file that is not Shopify's export is refused as a whole
            do {
                _ = try await server.importShopify("order_id,email,product_id\nA-1,a@example.com,p1\n", into: store)
                XCTFail("an export without Shopify's columns was read")
            } catch let error as CareError {
                XCTAssertEqual(error.message, "header: is not Shopify's orders export (missing: Name, Id, Lineitem quantity, Lineitem name)")
            }
        }
    }

    func testTheExportNeverOverwritesAnOrderAConnectionKeeps() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            // setup: the shop's connection delivered order 5938471230981 (total 129.90, the newer state)
            let (connection, secret) = try await server.connect("shopify", key: key)
            let delivered = try await server.shopify(
                connection, topic: "orders/fulfilled", body: try ShopFixture("shopify-orders-fulfilled").data, secret: secret)
            XCTAssertEqual(delivered.status, .ok, delivered.text)
            let before = try await server.shopifyOrder(store, "5938471230981")

            // act: the export, which has the same order in an older state (total 104.75)
            _ = try await server.importShopify(try shopifyExport(), into: store)

            // check: the connection's state stands; the export's other orders came in
            let after = try await server.shopifyOrder(store, "5938471230981")
            XCTAssertEqual(after.totalCents, 12_990)
            XCTAssertEqual(after.totalCents, before.totalCents)
            XCTAssertEqual(after.sourceUpdatedAt, before.sourceUpdatedAt)
            let items = try await OrderItem.query(on: server.app.db).filter(\.$orderID == after.id!).count()
            XCTAssertEqual(items, 2, "the delivered lines are kept")
            let all = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(all, 9)
        }
    }
}

/// The fixture's orders (November 2026) moved to last month, so that its fulfilled orders are
/// recent enough to be asked about (days 10 to 27 of any last month are 1 to 52 days ago).
private func shopifyExport() throws -> String {
    let handle = try importFixture("shopify-orders-export.csv")
    defer { try? handle.close() }
    let text = String(decoding: try XCTUnwrap(handle.readToEnd()), as: UTF8.self)
    return lastMonth(text)
}

private func lastMonth(_ text: String) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let month = calendar.date(byAdding: .month, value: -1, to: Date())!
    let parts = calendar.dateComponents([.year, .month], from: month)
    return text.replacingOccurrences(of: "2026-11-", with: String(format: "%04d-%02d-", parts.year!, parts.month!))
}

extension TestServer {
    fileprivate func importShopify(_ csv: String, into store: Store, dryRun: Bool = false) async throws -> (OrderImport.Summary, [Int: String]) {
        let skipped = SkipList()
        let summary = try await ShopifyOrderExport.run(
            CSVReader(text: csv), storeID: store.id!, dryRun: dryRun, storage: app.care.storage, on: app.db, skip: skipped.add)
        return (summary, skipped.byLine)
    }

    fileprivate func shopifyOrder(_ store: Store, _ id: String) async throws -> Order {
        let found = try await Order.query(on: app.db).filter(\.$storeID == store.id!).filter(\.$externalID == id).first()
        return try XCTUnwrap(found, "order \(id)")
    }

    fileprivate func product(_ store: Store, _ externalID: String) async throws -> Product {
        let found = try await Product.query(on: app.db).filter(\.$storeID == store.id!).filter(\.$externalID == externalID).first()
        return try XCTUnwrap(found, "product \(externalID)")
    }

    fileprivate func expectRequest(for order: Order, _ expected: Bool, line: UInt = #line) async throws {
        let count = try await ReviewRequest.query(on: app.db).filter(\.$orderID == order.id!).count()
        XCTAssertEqual(count, expected ? 1 : 0, "review requests of order \(order.externalID)", line: line)
    }

    /// Rows in the database, counted there: what an import must never double.
    fileprivate func expectCounts(_ store: Store, orders: Int, items: Int, products: Int, requests: Int, line: UInt = #line) async throws {
        let db = app.db
        let counted = (
            try await Order.query(on: db).filter(\.$storeID == store.id!).count(),
            try await OrderItem.query(on: db).filter(\.$storeID == store.id!).count(),
            try await Product.query(on: db).filter(\.$storeID == store.id!).count(),
            try await ReviewRequest.query(on: db).filter(\.$storeID == store.id!).count()
        )
        XCTAssertEqual(counted.0, orders, "orders", line: line)
        XCTAssertEqual(counted.1, items, "order items", line: line)
        XCTAssertEqual(counted.2, products, "products", line: line)
        XCTAssertEqual(counted.3, requests, "review requests", line: line)
    }
}
