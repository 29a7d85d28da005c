import CareCore
import Fluent
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// "Ask only buyers who agreed to marketing email", in the countries the store lists: the consent
/// and country the shop reported decide, and the public review policy says which rule applies.
final class ConsentRuleTests: XCTestCase {
    func testOnlyConsentingBuyersInTheListedCountriesAreAsked() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            let (store, key) = try await server.makeStore()
            var settings = RequestSettings()
            (settings.delayDays, settings.quietStartHour, settings.quietEndHour) = (0, 0, 0)
            settings.consentRule = .countries
            settings.consentCountries = try RequestSettings.countries(from: "de, FR")
            try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
            let (connection, secret) = try await server.connect("shopify", key: key)

            // act: three fulfilled orders: Germany without consent, Austria without, Germany with
            let buyers: [(id: Int, email: String, country: String, consent: String)] = [
                (7001, "de-no-\(server.backend)@example.com", "DE", "not_subscribed"),
                (7002, "at-no-\(server.backend)@example.com", "AT", "not_subscribed"),
                (7003, "de-yes-\(server.backend)@example.com", "DE", "subscribed"),
            ]
            for b in buyers {
                var order = try ShopFixture("shopify-orders-fulfilled")
                try order.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: Date().addingTimeInterval(-600))
                order.json["id"] = b.id
                order.json["email"] = b.email
                order.json["buyer_accepts_marketing"] = b.consent == "subscribed"
                var customer = try XCTUnwrap(order.json["customer"] as? [String: Any])
                customer["email_marketing_consent"] = ["state": b.consent]
                order.json["customer"] = customer
                var billing = try XCTUnwrap(order.json["billing_address"] as? [String: Any])
                billing["country_code"] = b.country
                order.json["billing_address"] = billing
                let r = try await server.shopify(connection, topic: "orders/fulfilled", body: try order.data, secret: secret)
                XCTAssertEqual(r.status, .ok, r.text)
            }
            try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)

            // check: the German buyer without consent is not asked; the other two are
            let states = try await buyers.asyncMap { try await server.order(String($0.id), key: key)?["review_request"] as? String }
            XCTAssertEqual(states, ["stopped: no_consent", "sent, reminder scheduled", "sent, reminder scheduled"])
            _ = try await sink.waitFor(1, to: buyers[1].email)
            _ = try await sink.waitFor(1, to: buyers[2].email)

            // check: the public policy says the rule
            let policy = try await server.send(.GET, "/s/\(store.slug)/review-policy", contentType: nil)
            XCTAssertTrue(policy.text.contains("agreed to receive marketing email from us when they ordered: DE, FR."), policy.text)
        }
    }

    func testTheRuleIsCheckedWhenSaved() throws {
        XCTAssertThrowsError(try RequestSettings.countries(from: "Germany")) { XCTAssertEqual(($0 as? CareError)?.field, "consent_countries") }
        var s = RequestSettings()
        s.consentRule = .countries
        XCTAssertThrowsError(try s.validated()) { XCTAssertEqual(($0 as? CareError)?.field, "consent_countries") }
        s.consentRule = .everywhere
        XCTAssertFalse(s.consentAllows(consent: nil, country: "DE"), "the shop saying nothing is not a yes")
        XCTAssertTrue(s.consentAllows(consent: true, country: nil))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
