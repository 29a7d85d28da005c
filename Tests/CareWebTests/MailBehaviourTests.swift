import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Mail that behaves like mail (RFC 3834, RFC 3464): automatic answers are kept and never answered,
/// bounces come back to the mail they are about and stop what should stop, and no loop can send
/// more than a few automatic mails to one address.
final class MailBehaviourTests: XCTestCase {
    /// An out-of-office answer in one of three shapes, threaded on `inReplyTo`.
    func outOfOffice(_ shape: String, from: String, to: String, inReplyTo: String) -> Data {
        let headers: [String] =
            switch shape {
            case "exchange":
                [
                    "Subject: Automatic reply: About your review", "Auto-Submitted: auto-generated", "X-Auto-Response-Suppress: All",
                    "X-MS-Exchange-Inbox-Rules-Loop: \(from)",
                ]
            case "gmail": ["Subject: Re: About your review", "Auto-Submitted: auto-replied", "Precedence: bulk"]
            default: ["Subject: Auto: About your review", "Auto-Submitted: auto-replied (vacation)"]
            }
        let all =
            ["From: Grace <\(from)>", "To: \(to)", "Message-ID: <ooo-\(shape)-\(UUID())@example.com>", "In-Reply-To: \(inReplyTo)"] + headers
            + ["Content-Type: text/plain; charset=utf-8", "", "I am away until Monday 14 December (\(shape)).", ""]
        return Data(all.joined(separator: "\r\n").utf8)
    }

    func conversation(_ server: TestServer, key: String, _ id: String) async throws -> API.Conversation {
        try await server.conversation(id, key: key)
    }

    func inboundSecret(_ server: TestServer, key: String) async throws -> String {
        let json = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
        return try XCTUnwrap(json["secret"] as? String)
    }

    func firstConversationID(_ server: TestServer, key: String) async throws -> String {
        try unwrapped(try await server.conversations(key: key).first?.id)
    }

    func suppressions(_ server: TestServer, key: String) async throws -> [[String: Any]] {
        let json = try await server.send(.GET, "/api/v1/suppressions", key: key).json
        return try XCTUnwrap(json["suppressions"] as? [[String: Any]])
    }

    /// Mails to customers in the outbox (the staff's notices are not what these tests count).
    func emailJobs(_ server: TestServer, key: String) async throws -> [[String: Any]] {
        let jobs = try await server.send(.GET, "/api/v1/outbox?kind=email&per_page=100", key: key).json["jobs"] as? [[String: Any]] ?? []
        return jobs.filter { $0["type"] as? String != "team_notice" }
    }

    func testAnOutOfOfficeKeepsAResolvedConversationResolvedAndIsNeverAnswered() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a trigger that answers every customer reply, a 1★ review's care mail, a person's answer, resolved
            let (_, key) = try await server.makeStore()
            let trigger = try await server.send(
                .POST, "/api/v1/triggers", key: key,
                json: [
                    "name": "Thank every reply", "event": "conversation.customer_replied", "once_per_subject": false,
                    "actions": [["type": "send_message", "template": "Thanks, we read every message."]],
                ])
            XCTAssertEqual(trigger.status, .created, trigger.text)
            let grace = "grace-ooo-\(server.backend)@example.com"
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: grace, rating: 1, body: "Leaks"))
            let care = try await sink.waitFor(1, to: grace)[0]
            let id = try await firstConversationID(server, key: key)
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "Sorry! A new lid is on its way."])
            let staff = try await sink.waitFor(2, to: grace)[1]
            // check: automatic mail says so (and leaves from its own return path); a person's does not
            XCTAssertEqual(care.header("Auto-Submitted"), "auto-generated")
            XCTAssertNil(staff.header("Auto-Submitted"))
            XCTAssertTrue((care["mail_from"] as? String)?.hasPrefix("bounce+") == true, "\(care["mail_from"] ?? "")")
            XCTAssertNotEqual(care["mail_from"] as? String, staff["mail_from"] as? String, "one return path per mail")
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/resolve", key: key, json: ["resolution_note": "Lid sent"])
            let replyTo = try XCTUnwrap(staff.header("Reply-To"))
            let staffID = try XCTUnwrap(staff.header("Message-ID"))
            let secret = try await inboundSecret(server, key: key)
            let jobsBefore = try await emailJobs(server, key: key).count

            // act: the customer's mailbox answers in three shapes
            for shape in ["exchange", "gmail", "rfc3834"] {
                let r = try await server.send(
                    .POST, "/api/v1/inbound-email", key: secret, raw: outOfOffice(shape, from: grace, to: replyTo, inReplyTo: staffID),
                    contentType: "message/rfc822")
                XCTAssertEqual(r.status, .accepted, r.text)
                XCTAssertEqual(try r.json["result"] as? String, "automatic", shape)
            }

            // check: still resolved, no clock, nothing queued to answer them, and staff can read each
            let after = try await conversation(server, key: key, id)
            XCTAssertEqual(after.status, "resolved")
            XCTAssertNil(after.slaDueAt)
            let messages = try XCTUnwrap(after.messages)
            let automatic = messages.filter { $0.body.hasPrefix("Automatic reply") }
            XCTAssertEqual(automatic.count, 3)
            XCTAssertEqual(Set(automatic.map(\.author)), ["system"])
            XCTAssertTrue(automatic.contains { $0.body.contains("away until Monday 14 December (exchange)") })
            let jobsAfter = try await emailJobs(server, key: key).count
            XCTAssertEqual(jobsAfter, jobsBefore, "no mail answers an automatic one")

            // and a person's reply still reopens and is answered, once
            let person = rawReply(
                from: grace, to: replyTo, inReplyTo: staffID, references: [], messageID: "p-\(UUID())@example.com", text: "The new lid fits!")
            let reopened = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: person, contentType: "message/rfc822")
            XCTAssertEqual(reopened.status, .created, reopened.text)
            let reopenedStatus = try await conversation(server, key: key, id).status
            XCTAssertEqual(reopenedStatus, "open")
            let jobsAnswered = try await emailJobs(server, key: key).count
            XCTAssertEqual(jobsAnswered, jobsBefore + 1)
        }
    }

    func testABounceMarksTheAddressStopsRemindersAndClearsWhenTheCustomerWritesIn() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a buyer's review request goes out (reminders planned)
            let (store, key, owner) = try await server.storeWithOwner()
            let (_, otherKey) = try await server.makeStore("other")
            var settings = RequestSettings()
            settings.quietStartHour = 0
            settings.quietEndHour = 0
            try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
            let gone = "gone-\(server.backend)@example.com"
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key, json: orderJSON(id: "B-1", email: gone, fulfilledDaysAgo: 8, products: [("mug", "Mug")]))
            try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)
            let request = try await sink.waitFor(1, to: gone)[0]
            let returnPath = try XCTUnwrap(request["mail_from"] as? String)
            XCTAssertTrue(returnPath.hasPrefix("bounce+") && returnPath.hasSuffix("@mail.test"), returnPath)
            let secret = try await inboundSecret(server, key: key)
            let otherSecret = try await inboundSecret(server, key: otherKey)
            func report(to: String, about: String, status: String = "5.1.1") -> Data {
                Data(
                    [
                        "From: MAILER-DAEMON@mx.test", "To: \(to)", "Subject: Undelivered Mail Returned to Sender", "Auto-Submitted: auto-replied",
                        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"", "", "--R", "Content-Type: text/plain", "",
                        "Your mail could not be delivered.", "--R", "Content-Type: message/delivery-status", "", "Reporting-MTA: dns; mx.test", "",
                        "Final-Recipient: rfc822; \(about)", "Action: failed", "Status: \(status)",
                        "Diagnostic-Code: smtp; 550 \(status) no such user",
                        "--R--", "",
                    ].joined(separator: "\r\n").utf8)
            }
            func post(_ raw: Data, _ secret: String) async throws -> TestServer.Reply {
                try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: raw, contentType: "message/rfc822")
            }

            // bad input first: a report naming another address, a forged token, another store's pipe, an oversized report
            let otherAddress = try await post(report(to: returnPath, about: "someone-else@example.com"), secret)
            XCTAssertEqual(try otherAddress.json["result"] as? String, "skipped", otherAddress.text)
            let token = String(returnPath.dropFirst("bounce+".count).prefix { $0 != "@" })
            let forged = "bounce+" + String(token.dropLast()) + (token.last == "0" ? "1" : "0") + "@mail.test"
            let forgedReply = try await post(report(to: forged, about: gone), secret)
            XCTAssertEqual(try forgedReply.json["result"] as? String, "skipped", forgedReply.text)
            let otherStore = try await post(report(to: returnPath, about: gone), otherSecret)
            XCTAssertEqual(try otherStore.json["result"] as? String, "skipped", otherStore.text)
            var huge = report(to: returnPath, about: gone)
            huge.append(Data(repeating: UInt8(ascii: "x"), count: 10 * 1_024 * 1_024))
            let tooBig = try await post(huge, secret)
            XCTAssertEqual(tooBig.status, .payloadTooLarge, tooBig.text)
            let none = try await suppressions(server, key: key)
            XCTAssertTrue(none.isEmpty)

            // act: the real report
            let bounced = try await post(report(to: returnPath, about: gone.uppercased()), secret)

            // check: recorded, listed, the reminder stops, the profile and the API say so
            XCTAssertEqual(bounced.status, .accepted, bounced.text)
            XCTAssertEqual(try bounced.json["result"] as? String, "bounce")
            let list = try await suppressions(server, key: key)
            XCTAssertEqual(list.map { $0["email"] as? String }, [gone])
            XCTAssertEqual(list.first?["status"] as? String, "5.1.1")
            XCTAssertEqual(list.first?["mail"] as? String, "request")
            let found = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let r = try XCTUnwrap(found)
            XCTAssertEqual(r.stoppedReason, "bounced")
            XCTAssertNil(r.nextSendAt)
            let otherList = try await suppressions(server, key: otherKey)
            XCTAssertTrue(otherList.isEmpty)
            let customerRow = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == gone).first()
            let customer = try XCTUnwrap(customerRow)
            let profile = try await owner.get("/app/customers/\(customer.id!)")
            XCTAssertTrue(profile.text.contains("Email bounced"), profile.text)
            let settingsPage = try await owner.get("/app/settings")
            XCTAssertTrue(settingsPage.text.contains("suppression-list") && settingsPage.text.contains(gone))
            // the same report again changes nothing
            _ = try await post(report(to: returnPath, about: gone), secret)
            let count = try await server.app.db.sql.raw(
                "SELECT COUNT(*) AS n FROM mail_bounces WHERE store_id = \(bind: store.id!) AND email = \(bind: gone)"
            ).first()?
            .decode(column: "n", as: Int.self)
            XCTAssertEqual(count, 1)

            // act: the customer writes in (a reply to the request mail)
            let requestID = try XCTUnwrap(request.header("Message-ID"))
            let writes = rawReply(
                from: gone, to: "care@mail.test", inReplyTo: requestID, references: [], messageID: "w-\(UUID())@example.com",
                text: "My mailbox was full, sorry. The mug is fine!")
            let wrote = try await post(writes, secret)
            XCTAssertEqual(wrote.status, .created, wrote.text)
            // check: off the list
            let cleared = try await suppressions(server, key: key)
            XCTAssertTrue(cleared.isEmpty)
            let notListed = try await server.send(.DELETE, "/api/v1/suppressions/\(gone)", key: key)
            XCTAssertEqual(notListed.status, .notFound)
            let badAddress = try await server.send(.DELETE, "/api/v1/suppressions/not-an-address", key: key)
            XCTAssertEqual(badAddress.status, .notFound)
        }
    }

    func testARelayRefusingTheRecipientIsABounceAndAutomaticMailStopsThere() async throws {
        let sink = SMTPSink()
        try sink.start(extra: ["--refuse", "nobody-here@example.com"])
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            let (_, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "nobody-here@example.com", rating: 1))
            var list: [[String: Any]] = []
            for _ in 0..<200 {
                list = try await suppressions(server, key: key)
                if !list.isEmpty { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertEqual(list.first?["email"] as? String, "nobody-here@example.com")
            XCTAssertEqual(list.first?["status"] as? String, "5.1.1")
            // staff can clear it by hand
            let cleared = try await server.send(.DELETE, "/api/v1/suppressions/nobody-here@example.com", key: key)
            XCTAssertEqual(cleared.status, .noContent)
        }
    }

    func testNoLoopSendsMoreThanTheHourlyAutomaticMailsToOneAddress() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a trigger answering every reply, and a "customer" whose replies carry no automatic marker at all
            let (_, key) = try await server.makeStore()
            _ = try await server.send(
                .POST, "/api/v1/triggers", key: key,
                json: [
                    "name": "Echo", "event": "conversation.customer_replied", "once_per_subject": false,
                    "actions": [["type": "send_message", "template": "We got it."]],
                ])
            let bot = "bot-\(server.backend)@example.com"
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: bot, rating: 1))
            let first = try await sink.waitFor(1, to: bot)[0]
            let replyTo = try XCTUnwrap(first.header("Reply-To"))
            let secret = try await inboundSecret(server, key: key)
            // act: eight unmarked answers
            for i in 0..<8 {
                let raw = rawReply(from: bot, to: replyTo, inReplyTo: nil, references: [], messageID: "loop-\(i)-\(UUID())@x.test", text: "ack \(i)")
                _ = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: raw, contentType: "message/rfc822")
            }
            // check: of nine automatic mails, five went this hour; the rest are kept in the conversation, not emailed, and say why
            var jobs: [[String: Any]] = []
            for _ in 0..<300 {
                jobs = try await emailJobs(server, key: key)
                if jobs.count >= AutomaticMailLimit.perHour, jobs.allSatisfy({ $0["status"] as? String == "delivered" }) { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertEqual(jobs.count, AutomaticMailLimit.perHour)
            XCTAssertTrue(jobs.allSatisfy { $0["status"] as? String == "delivered" }, "\(jobs)")
            let id = try await firstConversationID(server, key: key)
            let detail = try await conversation(server, key: key, id)
            let thread = try XCTUnwrap(detail.messages)
            let held = thread.filter {
                $0.body.hasPrefix("Not emailed: \(AutomaticMailLimit.perHour) automatic mails went to \(bot)")
            }
            XCTAssertEqual(held.count, 9 - AutomaticMailLimit.perHour)
            XCTAssertEqual(thread.filter { $0.author == "staff" }.count, 9, "every message is kept in the conversation")
            XCTAssertEqual(sink.messages().filter { ($0["rcpt_tos"] as? [String]) == [bot] }.count, AutomaticMailLimit.perHour)
            // a person's reply is never held
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "A person writes."])
            _ = try await sink.waitFor(AutomaticMailLimit.perHour + 1, to: bot)
        }
    }

    func testTheAddressThatCountsIsTheOneTheProxyAdded() async throws {
        try await onEachBackend(tweak: { c in
            c.trustForwardedFor = true
            c.publicReviewBurst = 3
        }) { server in
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "p1"))
            var statuses: [UInt] = []
            for i in 0..<6 {
                // the client writes what it likes first; the proxy adds the real address last
                let r = try await server.send(
                    .POST, "/api/v1/public/stores/\(store.slug)/products/p1/reviews",
                    json: ["rating": 5, "author_name": "A", "body": "Nice", "author_email": "a\(i)@example.com"],
                    headers: ["X-Forwarded-For": "10.9.\(i).1, 198.51.100.7"])
                statuses.append(r.status.code)
            }
            XCTAssertTrue(statuses.prefix(3).allSatisfy { $0 < 300 }, "\(statuses)")
            XCTAssertTrue(statuses.dropFirst(3).allSatisfy { $0 == 429 }, "\(statuses)")
        }
    }

    func testResetMailsToOnePersonAreLimitedWhateverAddressAsks() async throws {
        try await onEachBackend(tweak: { c in c.trustForwardedFor = true }) { server in
            let (store, _) = try await server.makeStore()
            let email = "\(store.slug)@owner.test"
            for i in 0..<6 {
                let pre = try await PreSession.start(server)
                _ = try await pre.post("/app/password/forgot", ["email": email], headers: ["X-Forwarded-For": "203.0.113.\(i)"])
            }
            let mails = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).all().filter {
                $0.payload.contains("Set a new CareLoop password")
            }
            XCTAssertEqual(mails.count, StaffAuth.resetMailsPerHour)
        }
    }
}

/// Care mail first: a store's morning of review requests never stands between a customer and the
/// care mail they are owed.
final class OutboxLaneTests: XCTestCase {
    func testACareMailOvertakesTheStoresQueuedRequests() async throws {
        // A relay that takes a fifth of a second over each message: 150 requests take many seconds.
        let sink = SMTPSink()
        try sink.start(extra: ["--delay", "0.2"])
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: 150 request mails queued for one store
            let (store, key) = try await server.makeStore()
            var settings = RequestSettings()
            settings.quietStartHour = 0
            settings.quietEndHour = 0
            settings.dailyCap = 10_000
            try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
            for n in 0..<150 {
                _ = try await server.send(
                    .POST, "/api/v1/orders", key: key,
                    json: orderJSON(id: "L-\(n)", email: "buyer\(n)-\(server.backend)@example.com", fulfilledDaysAgo: 8, products: [("mug", "Mug")]))
            }
            try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)
            // act: an unhappy customer, while they go out
            let unhappy = "unhappy-\(server.backend)@example.com"
            let posted = Date().timeIntervalSince1970
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: unhappy, rating: 1))
            // check: the care mail overtakes the requests still waiting (at most the two already with the relay go first)
            let care = try await sink.waitFor(1, to: unhappy, timeout: 60)[0]
            let arrived = try XCTUnwrap(care["received_at"] as? Double)
            let overtaken = sink.messages().filter {
                (($0["rcpt_tos"] as? [String])?.first?.hasPrefix("buyer") ?? false) && (($0["received_at"] as? Double) ?? 0) > posted
                    && (($0["received_at"] as? Double) ?? 0) < arrived
            }
            let position = overtaken.count
            let waiting = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$status == .pending).count()
            XCTAssertGreaterThan(waiting, 50, "most requests were still waiting when the care mail left")
            XCTAssertLessThan(position, 8, "the care mail waited for \(position) requests to go out first")
        }
    }
}

/// A store's own sending address: used only once its domain publishes the key CareLoop made, never
/// the installation's domain or another store's.
final class StoreSenderTests: XCTestCase {
    func testAStoreSendsFromItsOwnDomainOnlyOnceTheDomainPublishesItsKey() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        let dns = DNSServer()
        try dns.start()
        defer { dns.stop() }
        try await onEachBackend(tweak: { c in
            mailConfig(sink)(&c)
            c.dnsResolver = dns.address
        }) { server in
            let (store, key, owner) = try await server.storeWithOwner()
            let (_, _, other) = try await server.storeWithOwner("other")
            // Unique: the PostgreSQL database is shared with other tests and runs.
            let domain = "shop-\(UUID().uuidString.prefix(8).lowercased()).example"
            // bad input: the installation's own domain, then nothing saved
            let own = try await owner.post("/app/settings/sender", ["from_address": "security@mail.test"])
            XCTAssertEqual(own.status, .unprocessableEntity, own.text)
            XCTAssertTrue(own.text.contains("own domain: use your shop"), own.text)
            // act: the store saves its address; another store may not take the same domain
            let saved = try await owner.post("/app/settings/sender", ["from_address": "care@\(domain)"])
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let taken = try await other.post("/app/settings/sender", ["from_address": "billing@\(domain)"])
            XCTAssertEqual(taken.status, .conflict, taken.text)
            // starting before the record is published is refused, saying where to publish it
            let early = try await owner.post("/app/settings/sender", ["action": "activate"])
            XCTAssertEqual(early.status, .conflict, early.text)
            XCTAssertTrue(early.text.contains("careloop1._domainkey.\(domain) does not carry this key yet"), early.text)
            // a record with another key is not this one
            let loaded = try await StoreSender.load(storeID: store.id!, on: server.app.db.sql)
            let sender = try XCTUnwrap(loaded)
            try dns.publish([sender.signer.dnsName: ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotthiskey"]])
            let wrongKey = try await owner.post("/app/settings/sender", ["action": "activate"])
            XCTAssertEqual(wrongKey.status, .conflict)
            // published (as a DNS tool splits a long value): started
            let record = sender.signer.dnsRecord
            try dns.publish([sender.signer.dnsName: [String(record.prefix(200)) + " " + String(record.dropFirst(200))]])
            let started = try await owner.post("/app/settings/sender", ["action": "activate"])
            XCTAssertEqual(started.status, .seeOther, started.text)
            // check: care mail goes From the store's address, signed for its domain
            let ann = "ann-\(server.backend)@example.com"
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: ann, rating: 1))
            let mail = try await sink.waitFor(1, to: ann)[0]
            XCTAssertTrue(mail.header("From")?.contains("<care@\(domain)>") == true, mail.header("From") ?? "")
            let raw = (mail["raw"] as? String ?? "").replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\n ", with: " ")
            XCTAssertTrue(raw.contains("d=\(domain); s=careloop1;"), raw)
            // a new domain's key waits a minute
            let again = try await owner.post("/app/settings/sender", ["from_address": "care@elsewhere-\(server.backend).example"])
            XCTAssertEqual(again.status, .tooManyRequests, again.text)
        }
    }
}
