import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The person's side of requests: Settings → Review requests, the customer profile and the funnel.
final class ReviewRequestDashboardTests: XCTestCase {
    func testOwnerSetsThePlanSeesThePreviewTheProfileAndTheFunnel() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner()
            let settings = try await owner.get("/app/settings")
            XCTAssertTrue(settings.text.contains("id=\"req-r1\" name=\"first_reminder\" min=\"1\" max=\"90\" value=\"13\""), "the default plan")
            XCTAssertTrue(settings.text.contains("How was your order from \(store.name)?"), "the preview")

            // act: German, requests after 3 days, reminders on days 10 and 20, no quiet hours
            let saved = try await owner.post(
                "/app/settings/requests",
                [
                    "delay_days": "3", "first_reminder": "10", "second_reminder": "20", "daily_cap": "50", "quiet_start_hour": "0",
                    "quiet_end_hour": "0", "time_zone": "Europe/Berlin", "language": "de",
                ])
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let stored = try await RequestSettings.load(storeID: store.id!, on: server.app.db.sql)
            XCTAssertEqual(stored.delayDays, 3)
            XCTAssertEqual(stored.reminderDays, [10, 20])
            XCTAssertEqual(stored.language, .de)
            let after = try await owner.get("/app/settings")
            XCTAssertTrue(after.text.contains("Wie war Ihre Bestellung bei \(store.name)?"), "the preview follows the language")

            // bad input: reminders out of order, an unknown zone: 422 with the field, nothing changed
            for (fields, field) in [
                (["first_reminder": "20", "second_reminder": "10"], "reminder_days"), (["time_zone": "Mars/Olympus"], "time_zone"),
                (["daily_cap": "-1"], "daily_cap"), (["delay_days": "ten"], "delay_days"),
            ] {
                var all = [
                    "delay_days": "3", "first_reminder": "10", "second_reminder": "", "daily_cap": "50", "quiet_start_hour": "0",
                    "quiet_end_hour": "0", "time_zone": "UTC", "language": "en",
                ]
                for (k, v) in fields { all[k] = v }
                let refused = try await owner.post("/app/settings/requests", all)
                XCTAssertEqual(refused.status, .unprocessableEntity, "\(fields): \(refused.status)")
                XCTAssertTrue(refused.text.contains(field), "\(fields): \(refused.text.prefix(500))")
            }
            let unchanged = try await RequestSettings.load(storeID: store.id!, on: server.app.db.sql)
            XCTAssertEqual(unchanged.reminderDays, [10, 20])

            // act: an order fulfilled 4 days ago is asked; the buyer opens the form and reviews
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "D-1", email: "dana@example.com", fulfilledDaysAgo: 4, products: [("kettle", "Kettle")]))
            try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)
            let found = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let r = try XCTUnwrap(found)
            XCTAssertEqual(r.emailsSent, 1)
            let token = server.app.care.links.requestToken(r.id!, createdAt: r.createdAt)
            let form = try await server.send(.GET, "/r/\(token)", contentType: nil)
            XCTAssertTrue(form.text.contains("Bewertung veröffentlichen"), "the form speaks the store's language")
            _ = try await server.send(
                .POST, "/r/\(token)", raw: Data("product=kettle&rating=5".utf8), contentType: "application/x-www-form-urlencoded")

            // check: the profile shows the request, and the funnel counts it
            let profile = try await owner.get("/app/customers/\(r.customerID)")
            XCTAssertTrue(profile.text.contains("<td>D-1</td>"), profile.text)
            XCTAssertTrue(profile.text.contains("stopped: reviewed"), profile.text)
            let insights = try await owner.get("/app/insights")
            XCTAssertTrue(insights.text.contains("<td>1</td><td>1 (100 %)</td><td>1 (100 %)</td><td>0</td>"), insights.text)
        }
    }
}

extension ReviewRequestDashboardTests {
    /// The store's own words for the email, per language, with the preview; a mistyped placeholder
    /// is refused rather than mailed.
    func testOwnerWritesTheirOwnSubjectAndOpening() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            let (store, key, owner) = try await server.storeWithOwner()
            var form = [
                "delay_days": "7", "first_reminder": "13", "second_reminder": "", "daily_cap": "50", "quiet_start_hour": "0",
                "quiet_end_hour": "0", "time_zone": "UTC", "language": "en", "subject_en": "{name}, how is order {order}?",
                "intro_en": "We pack every <parcel> by hand at {store}.", "subject_de": "", "intro_de": "",
            ]
            // act: a typo in a placeholder
            var typo = form
            typo["intro_en"] = "Thanks for {ordr}"
            let refused = try await owner.post("/app/settings/requests", typo)
            // check
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("{ordr} is not a placeholder"), refused.text.prefix(400).description)
            form["subject_de"] = ""

            // act: the owner's words
            let saved = try await owner.post("/app/settings/requests", form)
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            // check: the preview and the mail use them; German keeps the built-in text
            let page = try await owner.get("/app/settings")
            XCTAssertTrue(page.text.contains("Alex, how is order 1001?"), "the preview")
            let stored = try await RequestSettings.load(storeID: store.id!, on: server.app.db.sql)
            XCTAssertNil(stored.texts[.de])
            let buyer = "own-words-\(server.backend)@example.com"
            var order = orderJSON(id: "W-1", email: buyer, fulfilledDaysAgo: 8, products: [("kettle", "Kettle")])
            order["customer"] = ["email": buyer, "name": "Wren"]
            _ = try await server.send(.POST, "/api/v1/orders", key: key, json: order)
            try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)
            let mails = try await sink.waitFor(1, to: buyer)
            XCTAssertEqual(mails.first?.header("Subject"), "Wren, how is order W-1?")
            let html = try XCTUnwrap(mails.first?["html"] as? String)
            XCTAssertTrue(html.contains("We pack every &lt;parcel&gt; by hand at \(store.name)."), html)
        }
    }
}
