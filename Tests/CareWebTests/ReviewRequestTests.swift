import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Review requests: a fulfilled order's buyer is asked by email (to a real SMTP server), the email's
/// links record nothing when a scanner follows them, the form publishes one verified review per
/// product, and reminders follow the store's plan and stop when they must.
final class ReviewRequestTests: XCTestCase {
    func testFulfilledOrderIsAskedAndOnlyTheFormWritesAVerifiedReview() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: the buyer already has an open complaint (a 1★ review that opened a conversation)
            let (store, key) = try await server.makeStore()
            try await allHoursAllowed(store, server)
            let ada = "ada-\(server.backend)@example.com"
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", productName: "Mug", email: ada, name: "Ada", rating: 1))
            let order = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "A-1", email: ada, fulfilledDaysAgo: 8, products: [("kettle", "Gooseneck Kettle"), ("lid", "Spare <Lid>")]))
            XCTAssertEqual(order.status, .created, order.text)

            // act: the sweep finds the request due (7 days after fulfilment) and the worker mails it
            let queued = try await sweep(server.app.care.storage, store, server)
            XCTAssertEqual(queued, 1, "the customer with an open complaint is asked like anyone else")
            let mails = try await sink.waitFor(2, to: ada)
            let request = try XCTUnwrap(
                mails.first { $0.header("Subject") == "How was your order from \(store.name)?" }, "\(mails.map { $0.header("Subject") })")

            // check: RFC 8058 headers, https and mailto
            let listUnsubscribe = try XCTUnwrap(request.header("List-Unsubscribe"))
            XCTAssertTrue(listUnsubscribe.hasPrefix("<https://shop.test/u/"), listUnsubscribe)
            XCTAssertTrue(listUnsubscribe.contains("<mailto:unsubscribe@mail.test?subject=unsubscribe%20"), listUnsubscribe)
            XCTAssertEqual(request.header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
            let text = try XCTUnwrap(request["text"] as? String)
            let html = try XCTUnwrap(request["html"] as? String)
            XCTAssertTrue(text.contains("Gooseneck Kettle") && text.contains("Spare <Lid>"), text)
            XCTAssertTrue(html.contains("Spare &lt;Lid&gt;") && !html.contains("<Lid>"), html)

            // act: a mail scanner follows every link in the email, text and HTML
            let links = Set(shopLinks(in: text) + shopLinks(in: html))
            XCTAssertGreaterThanOrEqual(links.count, 13, "10 star links, the form, help and the unsubscribe page: \(links)")
            for path in links {
                let r = try await server.send(.GET, path, contentType: nil)
                XCTAssertEqual(r.status, .ok, "\(path): \(r.text.prefix(300))")
            }
            // check: following links wrote no review and unsubscribed nobody
            let viaRequest = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$source == .request).count()
            XCTAssertEqual(viaRequest, 0)
            let unsubscribed = try await RequestUnsubscribe.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(unsubscribed, 0)

            // check: the 4★ link opens the form with 4★ chosen for that product only
            let fourStars = try XCTUnwrap(links.first { $0.contains("product=kettle&stars=4") })
            let form = try await server.send(.GET, fourStars, contentType: nil)
            XCTAssertEqual(form.headers.first(name: .cacheControl), "no-store")
            XCTAssertEqual(form.text.components(separatedBy: " checked required").count - 1, 1, "one star chosen")
            XCTAssertTrue(form.text.contains("id=\"s-kettle-4\" name=\"rating\" value=\"4\" checked required"), form.text)

            // act: the customer sends the form
            let formPath = String(fourStars.prefix { $0 != "?" })
            let posted = try await server.send(
                .POST, formPath, raw: Data("product=kettle&rating=4&title=Pours+well&body=Lovely+kettle".utf8),
                contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(posted.status, .seeOther, posted.text)
            // check: one published, verified review from the request, with the customer's words
            let reviews = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$source == .request).all()
            XCTAssertEqual(reviews.count, 1)
            XCTAssertEqual(reviews.first?.rating, 4)
            XCTAssertEqual(reviews.first?.verified, true)
            XCTAssertEqual(reviews.first?.status, .published)
            XCTAssertEqual(reviews.first?.title, "Pours well")

            // act: a second send for the same product
            let again = try await server.send(
                .POST, formPath, raw: Data("product=kettle&rating=1".utf8), contentType: "application/x-www-form-urlencoded")
            // check: a clear message, no duplicate, the first review unchanged
            XCTAssertEqual(again.status, .conflict)
            XCTAssertTrue(again.text.contains("You reviewed this product"), again.text)
            let after = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$source == .request).all()
            XCTAssertEqual(after.map(\.rating), [4])
            // check: the page now thanks for the kettle and still offers the lid
            let page = try await server.send(.GET, formPath, contentType: nil)
            XCTAssertTrue(page.text.contains("You reviewed this product"))
            XCTAssertTrue(page.text.contains("value=\"lid\""))

            // bad input: a product not in the order, a rating out of range, a forged token
            let notOurs = try await server.send(
                .POST, formPath, raw: Data("product=mug&rating=5".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(notOurs.status, .unprocessableEntity)
            let sixStars = try await server.send(
                .POST, formPath, raw: Data("product=lid&rating=6".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(sixStars.status, .unprocessableEntity)
            let forged = try await server.send(.GET, String(formPath.dropLast(2)) + "AA", contentType: nil)
            XCTAssertEqual(forged.status, .notFound)
            let count = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$source == .request).count()
            XCTAssertEqual(count, 1)
        }
        sink.stop()
    }

    func testRemindersFollowThePlanAndStopWhenTheyMust() async throws {
        try await onEachBackend { server in
            // setup: four buyers whose requests are due now
            let (store, key) = try await server.makeStore()
            try await allHoursAllowed(store, server)
            let db = server.app.db
            let care = server.app.care
            for name in ["plain", "unsub", "reviewer", "onemore", "helped"] {
                let r = try await server.send(
                    .POST, "/api/v1/orders", key: key,
                    json: orderJSON(id: "O-\(name)", email: "\(name)@example.com", fulfilledDaysAgo: 7, products: [("kettle", "Kettle")]))
                XCTAssertEqual(r.status, .created, r.text)
            }
            let start = Date().addingTimeInterval(60)
            // act: the request emails
            let first = try await sweep(care.storage.withClock { start }, store, server)
            XCTAssertEqual(first, 5)
            // check: a re-sent order schedules nothing twice
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "O-plain", email: "plain@example.com", fulfilledDaysAgo: 7, products: [("kettle", "Kettle")]))
            let requests = try await ReviewRequest.query(on: db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(requests, 5)

            // act: "unsub" presses the mail program's unsubscribe button (one POST, RFC 8058)
            let unsub = try await request(for: "unsub@example.com", store, server)
            let token = care.links.requestToken(unsub.id!, createdAt: unsub.createdAt)
            let oneClick = try await server.send(
                .POST, "/u/\(token)", raw: Data("List-Unsubscribe=One-Click".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(oneClick.status, .ok, oneClick.text)
            // act: "reviewer" reviews through the form
            let reviewer = try await request(for: "reviewer@example.com", store, server)
            let rt = care.links.requestToken(reviewer.id!, createdAt: reviewer.createdAt)
            let posted = try await server.send(
                .POST, "/r/\(rt)", raw: Data("product=kettle&rating=5".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(posted.status, .seeOther, posted.text)

            // act: "onemore" uses the mailto half of List-Unsubscribe (the mail system posts it to CareLoop)
            let onemore = try await request(for: "onemore@example.com", store, server)
            let mailto = care.links.requestToken(onemore.id!, createdAt: onemore.createdAt)
            let inboundSettings = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
            let secret = try XCTUnwrap(inboundSettings["secret"] as? String)
            let raw = Data(
                [
                    "From: <onemore@example.com>", "To: <unsubscribe@mail.test>", "Subject: unsubscribe \(mailto)", "Message-ID: <u1@example.com>",
                    "Content-Type: text/plain", "", "",
                ].joined(separator: "\r\n").utf8)
            let inbound = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: raw, contentType: "message/rfc822")
            XCTAssertLessThan(inbound.status.code, 300, inbound.text)
            // bad input: a mail to unsubscribe@ without a valid link does nothing, and opens no conversation
            let forged = Data(
                [
                    "From: <onemore@example.com>", "To: <unsubscribe@mail.test>", "Subject: unsubscribe \(mailto.dropLast(3))xyz",
                    "Message-ID: <u2@example.com>", "Content-Type: text/plain", "", "stop",
                ].joined(separator: "\r\n").utf8)
            let ignored = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: forged, contentType: "message/rfc822")
            XCTAssertLessThan(ignored.status.code, 300, ignored.text)
            let unsubscribeConversations = try await Conversation.query(on: db).filter(\.$storeID == store.id!).filter(
                \.$customerID == onemore.customerID
            ).count()
            XCTAssertEqual(unsubscribeConversations, 0, "an unsubscribe mail never becomes a conversation")

            // act: "helped" would rather talk to a person ("Need help with your order? Talk to us")
            let helped = try await request(for: "helped@example.com", store, server)
            let ht = care.links.requestToken(helped.id!, createdAt: helped.createdAt)
            let helpPage = try await server.send(.GET, "/r/\(ht)/help", contentType: nil)
            XCTAssertEqual(helpPage.status, .ok)
            let asked = try await server.send(
                .POST, "/r/\(ht)/help", raw: Data("body=The+lid+does+not+close".utf8), contentType: "application/x-www-form-urlencoded")
            // check: a conversation with that customer opened at once, and its page is where they land
            XCTAssertEqual(asked.status, .seeOther, asked.text)
            let landing = try XCTUnwrap(asked.headers.first(name: .location))
            XCTAssertTrue(landing.hasPrefix("/c/"), landing)
            let conversationPage = try await server.send(.GET, landing, contentType: nil)
            XCTAssertTrue(conversationPage.text.contains("The lid does not close"), conversationPage.text)
            let opened = try await Conversation.query(on: db).filter(\.$storeID == store.id!).filter(\.$customerID == helped.customerID).all()
            XCTAssertEqual(opened.map(\.subject), ["Help with order O-helped"])
            XCTAssertEqual(opened.first?.status, .open)
            let empty = try await server.send(.POST, "/r/\(ht)/help", raw: Data("body=".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(empty.status, .unprocessableEntity)

            // check: nothing on day 12 (no next-day reminder)
            let day12 = try await sweep(care.storage.withClock { start.addingTimeInterval(12 * 86_400) }, store, server)
            XCTAssertEqual(day12, 0)
            // act: day 13, the one reminder of the default plan
            let day13 = try await sweep(care.storage.withClock { start.addingTimeInterval(13 * 86_400 + 60) }, store, server)
            // check: "plain" is reminded; the two unsubscribed and the reviewer are not
            XCTAssertEqual(day13, 1)
            let byEmail = try await requestsByEmail(store, server)
            XCTAssertEqual(byEmail["plain@example.com"]?.emailsSent, 2)
            XCTAssertEqual(byEmail["unsub@example.com"]?.emailsSent, 1)
            XCTAssertEqual(byEmail["unsub@example.com"]?.stoppedReason, "unsubscribed")
            XCTAssertEqual(byEmail["reviewer@example.com"]?.emailsSent, 1)
            XCTAssertEqual(byEmail["reviewer@example.com"]?.stoppedReason, "reviewed")
            XCTAssertNil(byEmail["plain@example.com"]?.nextSendAt, "one reminder, then nothing more")
            XCTAssertEqual(byEmail["onemore@example.com"]?.stoppedReason, "unsubscribed")
            XCTAssertEqual(byEmail["helped@example.com"]?.stoppedReason, "in_care")
            let via = try await RequestUnsubscribe.query(on: db).filter(\.$storeID == store.id!).all().map(\.via).sorted()
            XCTAssertEqual(via, ["mailto", "one_click"])
            // check: each email is an outbox row of its own (6 = 5 requests + 1 reminder)
            let jobs = try await requestJobs(store, server)
            XCTAssertEqual(jobs, 6)
            // check: a later sweep sends nothing more
            let later = try await sweep(care.storage.withClock { start.addingTimeInterval(60 * 86_400) }, store, server)
            XCTAssertEqual(later, 0)
        }
    }

    func testQuietHoursAndTheDailyCapPutRequestsOffNotAway() async throws {
        try await onEachBackend { server in
            // setup: Berlin, quiet from 21:00 to 08:00, two requests a day
            let (store, key) = try await server.makeStore()
            let db = server.app.db
            let care = server.app.care
            var settings = RequestSettings()
            settings.timeZone = "Europe/Berlin"
            settings.dailyCap = 2
            try await RequestSettings.save(settings, storeID: store.id!, storage: care.storage, on: db)
            for n in 1...3 {
                _ = try await server.send(
                    .POST, "/api/v1/orders", key: key,
                    json: orderJSON(id: "Q-\(n)", email: "q\(n)@example.com", fulfilledDaysAgo: 8, products: [("kettle", "Kettle")]))
            }
            let berlin = TimeZone(identifier: "Europe/Berlin")!
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = berlin
            let base = cal.date(bySettingHour: 12, minute: 0, second: 0, of: Date())!
            let night = cal.date(byAdding: .day, value: 1, to: cal.date(bySettingHour: 23, minute: 30, second: 0, of: base)!)!
            // act: a sweep at 23:30 Berlin time
            let atNight = try await sweep(care.storage.withClock { night }, store, server)
            // check: nothing leaves at night; all wait for 08:00
            XCTAssertEqual(atNight, 0)
            let waiting = try await ReviewRequest.query(on: db).filter(\.$storeID == store.id!).all()
            let morning = cal.date(bySettingHour: 8, minute: 0, second: 0, of: cal.date(byAdding: .day, value: 1, to: night)!)!
            XCTAssertEqual(Set(waiting.compactMap(\.nextSendAt)), [morning])
            // act: the morning sweep
            let sent = try await sweep(care.storage.withClock { morning.addingTimeInterval(60) }, store, server)
            // check: two (the cap); the third waits for the next morning, still to be sent
            XCTAssertEqual(sent, 2)
            let rest = try await ReviewRequest.query(on: db).filter(\.$storeID == store.id!).filter(\.$emailsSent == 0).all()
            XCTAssertEqual(rest.count, 1)
            XCTAssertEqual(rest.first?.nextSendAt, cal.date(byAdding: .day, value: 1, to: morning))
            let nextDay = try await sweep(care.storage.withClock { morning.addingTimeInterval(86_400 + 60) }, store, server)
            XCTAssertEqual(nextDay, 1)
        }
    }

    func testACorrectedFulfilmentMovesAnUnsentRequestAndAFutureOneSchedulesNothing() async throws {
        try await onEachBackend { server in
            // setup: fulfilment sent as today, then corrected to a week ago
            let (store, key) = try await server.makeStore()
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "F-1", email: "f@example.com", fulfilledDaysAgo: 0, products: [("kettle", "Kettle")]))
            let before = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).first()?.nextSendAt
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "F-1", email: "f@example.com", fulfilledDaysAgo: 7, products: [("kettle", "Kettle")]))
            let after = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).first()?.nextSendAt
            // check: the request moved with it, a week earlier
            let moved = try XCTUnwrap(before).timeIntervalSince(try XCTUnwrap(after))
            XCTAssertEqual(moved, 7 * 86_400, accuracy: 120)
            // bad input: a fulfilment in 2099 is stored as sent, and schedules nothing
            let future = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "F-2", "customer": ["email": "f@example.com"], "fulfilled_at": "2099-01-01T00:00:00Z",
                    "items": [["product": ["external_id": "kettle"], "quantity": 1]],
                ])
            XCTAssertEqual(future.status, .created, future.text)
            let count = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, 1)
        }
    }

    func testBadSettingsAreRefusedWithTheField() async throws {
        var s = RequestSettings()
        s.reminderDays = [13, 5]
        XCTAssertThrowsError(try s.validated()) { XCTAssertEqual(($0 as? CareError)?.field, "reminder_days") }
        s = RequestSettings()
        s.timeZone = "Mars/Olympus"
        XCTAssertThrowsError(try s.validated()) { XCTAssertEqual(($0 as? CareError)?.field, "time_zone") }
        s = RequestSettings()
        s.dailyCap = 0
        XCTAssertThrowsError(try s.validated()) { XCTAssertEqual(($0 as? CareError)?.field, "daily_cap") }
        XCTAssertNoThrow(try RequestSettings().validated())
    }

    // MARK: helpers

    /// Runs a sweep (all stores': other tests share the database) and returns how many request
    /// emails it queued for `store`.
    func sweep(_ storage: CareStorage, _ store: Store, _ server: TestServer) async throws -> Int {
        let before = try await requestJobs(store, server)
        try await ReviewRequests.sweep(storage: storage, on: server.app.db)
        return try await requestJobs(store, server) - before
    }

    func requestJobs(_ store: Store, _ server: TestServer) async throws -> Int {
        try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).all().filter { $0.payload.contains("review_request") }.count
    }

    /// No quiet hours: these tests run at any hour of the day.
    func allHoursAllowed(_ store: Store, _ server: TestServer) async throws {
        var s = RequestSettings()
        s.quietStartHour = 0
        s.quietEndHour = 0
        try await RequestSettings.save(s, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
    }

    func request(for email: String, _ store: Store, _ server: TestServer) async throws -> ReviewRequest {
        let all = try await requestsByEmail(store, server)
        return try XCTUnwrap(all[email])
    }

    func requestsByEmail(_ store: Store, _ server: TestServer) async throws -> [String: ReviewRequest] {
        var out: [String: ReviewRequest] = [:]
        for r in try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).all() {
            if let c = try await Customer.find(r.customerID, on: server.app.db) { out[c.email] = r }
        }
        return out
    }
}

/// An order body, fulfilled `fulfilledDaysAgo` days ago.
func orderJSON(id: String, email: String, fulfilledDaysAgo: Double, products: [(String, String)]) -> [String: Any] {
    let fulfilled = Date().addingTimeInterval(-fulfilledDaysAgo * 86_400)
    return [
        "external_id": id, "customer": ["email": email, "name": "Buyer"],
        "items": products.map { ["product": ["external_id": $0.0, "name": $0.1], "quantity": 1] },
        "placed_at": JSONBody.formatDate(fulfilled.addingTimeInterval(-86_400)), "fulfilled_at": JSONBody.formatDate(fulfilled),
    ]
}

/// The paths of every `https://shop.test/…` link in a mail's text or HTML (`&amp;` undone).
func shopLinks(in text: String) -> [String] {
    var out: [String] = []
    var rest = Substring(text)
    while let r = rest.range(of: "https://shop.test/") {
        let link = rest[r.upperBound...].prefix { !$0.isWhitespace && $0 != "\"" && $0 != "<" && $0 != ">" }
        out.append("/" + link.replacingOccurrences(of: "&amp;", with: "&"))
        rest = rest[r.upperBound...]
    }
    return out
}
