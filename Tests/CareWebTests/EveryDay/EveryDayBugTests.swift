import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// The bugs an afternoon with CareLoop found (issue 23, finding 10), each as it was seen.
final class EveryDayBugTests: XCTestCase {
    /// A review sent from the widget: its confirmation comes from the store, not "CareLoop".
    func testAReviewConfirmationComesFromTheStore() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            let (store, key) = try await server.makeStore("from")
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle", productName: "Kettle", rating: 5))
            let email = "writer-\(store.slug)@example.com"
            let posted = try await server.send(
                .POST, "/api/v1/public/stores/\(store.slug)/products/kettle/reviews",
                json: ["rating": 4, "body": "Nice.", "author_name": "Wren", "author_email": email])
            XCTAssertEqual(posted.status, .created, posted.text)
            let mail = try await sink.waitFor(1, to: email)[0]
            XCTAssertEqual(mail.header("From"), "\(store.name) <care@mail.test>")
        }
    }

    /// The Reviews page shows times in the store's zone, as the conversations do.
    func testTheReviewsPageShowsTheStoresTimeZone() async throws {
        try await onEachBackend { server in
            let (store, key, owner) = try await server.storeWithOwner("zone")
            var settings = RequestSettings()
            settings.timeZone = "Europe/Berlin"
            try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(rating: 5, body: "Good"))
            let page = try await owner.get("/app/reviews")
            XCTAssertTrue(
                page.text.contains(" CET<") || page.text.contains(" CEST<") || page.text.contains(" GMT+1<"), "Berlin time on the Reviews page")
            XCTAssertFalse(page.text.contains(" UTC<"), "not UTC")
        }
    }

    /// The widget takes the store's colour (the fragment carries it for the widget's buttons).
    func testTheWidgetCarriesTheStoresColour() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore("colour")
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle", productName: "Kettle", rating: 5))
            let plain = try await server.send(.GET, "/embed/\(store.slug)/kettle", contentType: nil)
            XCTAssertTrue(plain.text.contains("data-accent=\"\(StoreBrand.defaultColour)\""), "CareLoop's blue until the store picks one")
            try await server.app.db.sql.raw(
                "INSERT INTO store_brands (store_id, colour, updated_at) VALUES (\(bind: store.id!), \(bind: "#7a1f5c"), \(bind: Date()))"
            ).run()
            server.app.care.publicListCache.invalidateAll()
            let coloured = try await server.send(.GET, "/embed/\(store.slug)/kettle", contentType: nil)
            XCTAssertTrue(coloured.text.contains("data-accent=\"#7a1f5c\" data-on-accent=\"#ffffff\""), coloured.text)
        }
    }
}
