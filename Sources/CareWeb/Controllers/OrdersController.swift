import CareCore
import Vapor

/// Orders from the shop: what verifies reviews (and, later, what the customer card shows).
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
}
