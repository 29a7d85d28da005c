import CareCore
import Vapor

/// Orders from the shop: what verifies reviews, and what the customer card shows.
enum OrdersController {
    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let p = try JSONBody.decode(CreateOrderPayload.self, from: req)
        let stored = try await OrderIngest.submit(
            OrderSubmission(
                externalID: p.externalId, customer: p.customer.ref,
                items: p.items.map { .init(product: $0.product.ref, quantity: $0.quantity.value, unitPriceCents: $0.unitPrice?.value) },
                placedAt: p.placedAt, fulfilledAt: p.fulfilledAt, totalCents: p.total?.value, currency: p.currency,
                locale: p.locale),
            storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(OrderView(stored: stored), status: stored.created ? .created : .ok)
    }

    /// `GET /api/v1/orders?customer_email=&page=`: newest first, 50 a page.
    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: 50, defaultSize: 50)
        let email = req.queryText("customer_email").flatMap { $0.isEmpty ? nil : $0 }
        if let email, email.utf8.count > 320 { throw CareError.invalid("customer_email", "is longer than an address can be") }
        let result = try await OrderQueries.page(storeID: ctx.storeID, customerEmail: email, page: page, on: req.db)
        return try JSONBody.response(PageView(key: "orders", items: result.orders.map(OrderDetailView.init), page: page, total: result.total))
    }

    /// `GET /api/v1/orders/{external_id}`.
    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        // No control characters: no order has them in its id (and PostgreSQL refuses a NUL outright).
        guard let externalID = req.parameters.get("external_id"), externalID.utf8.count <= 200,
            externalID.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }),
            let detail = try await OrderQueries.find(storeID: ctx.storeID, externalID: externalID, on: req.db)
        else { throw CareError.notFound("order") }
        return try JSONBody.response(OrderDetailView(detail: detail))
    }
}
