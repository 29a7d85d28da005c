import FluentKit
import Foundation

/// A store to look around in on a fresh install: a few products, orders and reviews of every kind,
/// including the 1★ and 3★ reviews the care loop is about.
public enum DemoStore {
    public struct Credentials: Sendable {
        public let storeSlug: String
        public let ownerEmail: String
        public let ownerPassword: String
        public let apiKey: String
    }

    /// Creates the demo store when the database has no store at all; returns nil otherwise.
    public static func seedIfEmpty(hasher: any StaffPasswordHasher, links: CareLinks, storage: CareStorage, on db: any Database) async throws
        -> Credentials?
    {
        guard try await Store.query(on: db).count() == 0 else { return nil }
        let password = Secrets.randomToken(bytes: 9)
        let created = try await StoreService.createStore(
            name: "Demo Store", slug: "demo", ownerEmail: "owner@demo.careloop.test", ownerPassword: password,
            ownerName: "Demo Owner", hasher: hasher, storage: storage, on: db)
        let storeID = try created.store.requireID()

        let mug = ProductRef(externalID: "mug-01", name: "Stoneware Mug", url: "https://demo.careloop.test/mug")
        let kettle = ProductRef(externalID: "kettle-02", name: "Gooseneck Kettle", url: "https://demo.careloop.test/kettle")
        let beans = ProductRef(externalID: "beans-03", name: "Single-Origin Beans 250 g", url: "https://demo.careloop.test/beans")
        let day: TimeInterval = 86_400
        let now = storage.now()

        let orders: [(String, CustomerRef, [ProductRef])] = [
            ("1001", CustomerRef(email: "ada@example.com", name: "Ada Lovelace"), [mug, beans]),
            ("1002", CustomerRef(email: "grace@example.com", name: "Grace Hopper"), [kettle]),
            ("1003", CustomerRef(email: "alan@example.com", name: "Alan Turing"), [kettle, beans]),
        ]
        for (id, customer, products) in orders {
            _ = try await OrderIngest.submit(
                OrderSubmission(
                    externalID: id, customer: customer, items: products.map { .init(product: $0, quantity: 1, unitPriceCents: 2400) },
                    placedAt: now.addingTimeInterval(-20 * day), fulfilledAt: now.addingTimeInterval(-17 * day)),
                storeID: storeID, storage: storage, on: db)
        }
        let reviews: [ReviewSubmission] = [
            .init(
                product: mug, customer: orders[0].1, rating: 5, title: "My daily mug",
                body: "Heavy, keeps coffee warm, and the glaze is lovely.", orderExternalID: "1001", source: .request),
            .init(
                product: kettle, customer: orders[1].1, rating: 1, title: "Leaks at the lid",
                body: "Water drips from the lid every time I pour. Disappointed.", orderExternalID: "1002", source: .request),
            .init(product: beans, customer: orders[2].1, rating: 3, title: nil, body: "good", source: .widget),
            .init(
                product: kettle, customer: orders[2].1, rating: 4, title: "Precise pour",
                body: "Pours beautifully. Handle gets warm.", source: .api),
            .init(
                product: mug, customer: CustomerRef(email: "lin@example.com", name: "Lin Wei"), rating: 2,
                title: "Chipped on arrival", body: "Arrived with a chip on the rim.", source: .widget),
        ]
        for r in reviews {
            _ = try await ReviewIngest.submit(r, store: created.store, links: links, storage: storage, on: db)
        }
        return Credentials(storeSlug: "demo", ownerEmail: created.owner.email, ownerPassword: password, apiKey: created.apiKey)
    }
}
