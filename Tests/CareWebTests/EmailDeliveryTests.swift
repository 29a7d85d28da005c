import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Mail for real: a 1★ review's care email reaches an SMTP server, threads, and survives an outage.
final class EmailDeliveryTests: XCTestCase {
    func testCareEmailReachesTheCustomerAndTheStaffReplyThreads() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup
            let (store, key) = try await server.makeStore()
            let grace = "grace-\(server.backend)@example.com"
            // act: a 1★ review
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "kettle", productName: "Gooseneck Kettle", email: grace, name: "Grace Hopper", rating: 1, body: "Leaks"))
            let first = try await sink.waitFor(1, to: grace)[0]
            // check: to the customer, from the store, with a reply address and the hosted-page link
            XCTAssertEqual(first["rcpt_tos"] as? [String], [grace])
            XCTAssertEqual(first.header("From"), "\(store.name) <care@mail.test>")
            XCTAssertEqual(first.header("Subject"), "About your Gooseneck Kettle review")
            let replyTo = try XCTUnwrap(first.header("Reply-To"))
            XCTAssertTrue(replyTo.hasPrefix("reply+") && replyTo.hasSuffix("@mail.test"), replyTo)
            let token = String(replyTo.dropFirst("reply+".count).dropLast("@mail.test".count))
            let text = try XCTUnwrap(first["text"] as? String)
            XCTAssertTrue(text.contains("Hi Grace,"), text)
            XCTAssertTrue(text.contains("https://shop.test/c/\(token)"), text)
            XCTAssertTrue((first["html"] as? String)?.contains("https://shop.test/c/\(token)") == true)
            let firstID = try XCTUnwrap(first.header("Message-ID"))
            XCTAssertTrue(firstID.hasPrefix("<careloop.") && firstID.hasSuffix("@mail.test>"), firstID)

            // act: the staff reply
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "A new lid is on its way.\n.\nSorry!"])
            let second = try await sink.waitFor(2, to: grace)[1]
            // check: threaded on the first, dot-stuffing undone by the server
            XCTAssertEqual(second.header("In-Reply-To"), firstID)
            XCTAssertEqual(second.header("References"), firstID)
            XCTAssertEqual(second.header("Subject"), "Re: About your Gooseneck Kettle review")
            XCTAssertEqual(second.header("Reply-To"), replyTo)
            XCTAssertTrue((second["text"] as? String)?.contains("A new lid is on its way.\n.\nSorry!") == true, "\(second["text"] ?? "")")
            // The job is marked delivered just after the server accepted the mail: allow it a moment.
            var delivered = 0
            for _ in 0..<100 {
                delivered = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$status == .delivered)
                    .filter(\.$lane == 0).count()
                if delivered == 2 { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertEqual(delivered, 2)
        }
        sink.stop()
    }

    func testMailQueuedWhileTheSMTPServerIsDownArrivesWhenItComesBack() async throws {
        let sink = SMTPSink() // not started: the server is down
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup
            let (store, key) = try await server.makeStore()
            // act: a 1★ review while mail is down
            let down = "down-\(server.backend)@example.com"
            let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: down, rating: 1))
            XCTAssertEqual(r.status, .created, "the review is taken whatever the mail server does")
            // check: the job is retried with its error recorded, not lost
            let job = try await server.emailJobAfterRetries(storeID: store.id!)
            XCTAssertEqual(job?.status, .pending)
            XCTAssertGreaterThanOrEqual(job?.attempts ?? 0, 2)
            XCTAssertTrue(job?.lastError?.contains("cannot connect") == true, job?.lastError ?? "no error")
            // act: the server comes back
            try sink.start()
            let mail = try await sink.waitFor(1, to: down, timeout: 20)[0]
            XCTAssertEqual(mail["rcpt_tos"] as? [String], [down])
            sink.stop()
        }
    }

    func testPermanentRefusalIsDeadLetteredVisibleAndRetryable() async throws {
        let sink = SMTPSink()
        try sink.start(extra: ["--refuse", "gone-sqlite@example.com", "--refuse", "gone-postgres@example.com"])
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a care email to an address the mail server refuses for good (550)
            let (_, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "gone-\(server.backend)@example.com", rating: 1))
            // act: wait for the worker to give up on it
            var dead: [[String: Any]] = []
            for _ in 0..<100 {
                dead = try await server.send(.GET, "/api/v1/outbox?status=dead", key: key).json["jobs"] as? [[String: Any]] ?? []
                if !dead.isEmpty { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            // check: dead-lettered at once (a 5xx is not worth retrying), with the server's answer
            let job = try XCTUnwrap(dead.first)
            XCTAssertEqual(job["type"] as? String, "conversation_message")
            XCTAssertEqual(job["attempts"] as? Int, 1)
            XCTAssertTrue((job["last_error"] as? String)?.contains("550") == true, "\(job)")
            // a person can send it again
            let retried = try await server.send(.POST, "/api/v1/outbox/\(try XCTUnwrap(job["id"] as? String))/retry", key: key)
            XCTAssertEqual(try retried.json["status"] as? String, "pending")
            let notDead = try await server.send(.POST, "/api/v1/outbox/\(try XCTUnwrap(job["id"] as? String))/retry", key: key)
            XCTAssertTrue([HTTPStatus.conflict, .ok].contains(notDead.status))
            let bad = try await server.send(.GET, "/api/v1/outbox?status=lost", key: key)
            XCTAssertEqual(bad.status, .unprocessableEntity)
        }
    }

    func testSMTPClientRefusedRecipientsAndSilentServers() async throws {
        // setup
        let sink = SMTPSink()
        try sink.start(extra: ["--refuse", "nobody@example.com"])
        defer { sink.stop() }
        let settings = SMTPSettings(host: "127.0.0.1", port: sink.port, timeout: .seconds(2))
        let message = MailComposer.compose(
            OutgoingMail(
                fromName: "Shop", fromAddress: "care@mail.test", to: "a@example.com", toName: "Ä Person", replyTo: nil,
                subject: "Grüße – about your order", text: ".leading dot\nline two ünïcode", html: nil,
                messageID: "t1@mail.test", inReplyTo: nil, references: [], date: Date()))
        // act: one of two recipients refused
        let result = try await SMTPClient.send(
            from: "care@mail.test", to: ["a@example.com", "nobody@example.com"], message: message, settings: settings)
        // check
        XCTAssertEqual(result.refused.map(\.0), ["nobody@example.com"])
        let got = try await sink.waitFor(1)[0]
        XCTAssertEqual(got["rcpt_tos"] as? [String], ["a@example.com"])
        XCTAssertEqual(got.header("Subject"), "Grüße – about your order", "RFC 2047 round trip")
        XCTAssertEqual((got["text"] as? String)?.trimmingCharacters(in: .newlines), ".leading dot\nline two ünïcode")
        // every recipient refused: a permanent error, nothing sent
        do {
            _ = try await SMTPClient.send(from: "care@mail.test", to: ["nobody@example.com"], message: message, settings: settings)
            XCTFail("expected a refusal")
        } catch let e as SMTPError {
            XCTAssertEqual(e.code, 550)
            XCTAssertFalse(e.isTransient)
        }
        // a server that never answers: a timeout, not a hang
        let silent = SMTPSink()
        try silent.start(extra: ["--silent"])
        defer { silent.stop() }
        let started = Date()
        do {
            _ = try await SMTPClient.send(
                from: "a@b.test", to: ["c@d.test"], message: message,
                settings: SMTPSettings(host: "127.0.0.1", port: silent.port, timeout: .seconds(1)))
            XCTFail("expected a timeout")
        } catch let e as SMTPError {
            XCTAssertTrue(e.isTransient)
            XCTAssertTrue(e.message.contains("no reply"), e.message)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testTheRelayCarriesManyMessagesOnFewSessionsAndReplacesOnesTheServerClosed() async throws {
        // setup: a server that closes connections silent for a second
        let sink = SMTPSink()
        try sink.start(extra: ["--idle-timeout", "1"])
        defer { sink.stop() }
        let relay = SMTPRelay(settings: SMTPSettings(host: "127.0.0.1", port: sink.port, timeout: .seconds(5)), maxSessions: 2, idleSeconds: 30)
        func message(_ n: Int) -> String {
            MailComposer.compose(
                OutgoingMail(
                    fromName: nil, fromAddress: "care@mail.test", to: "r\(n)@example.com", toName: nil, replyTo: nil, subject: "n\(n)",
                    text: "message \(n)", html: nil, messageID: "relay-\(n)@mail.test", inReplyTo: nil, references: [], date: Date()))
        }
        // act: twelve messages at once through at most two sessions
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<12 {
                group.addTask { _ = try await relay.send(from: "bounce+x@mail.test", to: ["r\(n)@example.com"], message: message(n)) }
            }
            try await group.waitForAll()
        }
        // check: all arrived, on two connections at most
        let first = try await sink.waitFor(12)
        XCTAssertEqual(Set(first.compactMap { ($0["rcpt_tos"] as? [String])?.first }).count, 12)
        XCTAssertLessThanOrEqual(Set(first.compactMap { $0["peer"] as? Int }).count, 2)
        XCTAssertLessThanOrEqual(relay.openSessions, 2)
        // act: the server closes the idle sessions; the next message goes on a new one, once
        try await Task.sleep(nanoseconds: 2_500_000_000)
        _ = try await relay.send(from: "bounce+x@mail.test", to: ["late@example.com"], message: message(99))
        let all = try await sink.waitFor(13)
        XCTAssertEqual(all.filter { ($0["rcpt_tos"] as? [String]) == ["late@example.com"] }.count, 1)
        // a refused recipient leaves the session usable
        do {
            _ = try await relay.send(from: "bounce+x@mail.test", to: [], message: message(1))
            XCTFail("no recipients is an error")
        } catch let e as SMTPError { XCTAssertEqual(e.code, 501) }
    }

    func testARelayThatDripsOrAnswersOutOfStepCannotHoldASessionOrMixUpMessages() async throws {
        func message(_ to: String) -> String {
            MailComposer.compose(
                OutgoingMail(
                    fromName: nil, fromAddress: "care@mail.test", to: to, toName: nil, replyTo: nil, subject: "s", text: "t", html: nil,
                    messageID: "\(UUID())@mail.test", inReplyTo: nil, references: [], date: Date()))
        }
        // a relay that answers the end of a message with "250-still working" for ever: the message ends in time
        let drip = BadRelay(mode: "drip")
        try drip.start()
        defer { drip.stop() }
        var settings = SMTPSettings(host: "127.0.0.1", port: drip.port, timeout: .seconds(5))
        settings.messageTimeout = .seconds(2)
        let dripping = SMTPRelay(settings: settings, maxSessions: 1)
        let started = Date()
        do {
            _ = try await dripping.send(from: "b@mail.test", to: ["slow@example.com"], message: message("slow@example.com"))
            XCTFail("a reply that never ends must not be waited for")
        } catch let e as SMTPError { XCTAssertTrue(e.isTransient, e.description) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        // a relay that answers one reply too many: the session is closed, never reused out of step
        let extra = BadRelay(mode: "extra")
        try extra.start()
        defer { extra.stop() }
        let stepping = SMTPRelay(settings: SMTPSettings(host: "127.0.0.1", port: extra.port, timeout: .seconds(5)), maxSessions: 1)
        _ = try await stepping.send(from: "b@mail.test", to: ["one@example.com"], message: message("one@example.com"))
        _ = try? await stepping.send(from: "b@mail.test", to: ["two@example.com"], message: message("two@example.com"))
        _ = try await stepping.send(from: "b@mail.test", to: ["three@example.com"], message: message("three@example.com"))
        let taken = try await extra.waitFor(2, what: "messages") { _ in true }.compactMap { $0["rcpt"] as? String }
        XCTAssertEqual(Array(taken.prefix(1)), ["one@example.com"])
        XCTAssertTrue(taken.contains("three@example.com"), "\(taken)")
        XCTAssertEqual(Set(taken).count, taken.count, "nothing taken twice: \(taken)")
    }

    /// A private certificate authority and a certificate it signs for "localhost", made here with
    /// openssl, as a mail relay on a private network would have. Returns (CA, server cert, server key).
    func makeCertificates() throws -> (ca: String, cert: String, key: String) {
        let dir = NSTemporaryDirectory() + "careloop-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n".write(
            toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
        let steps = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=CareLoop Test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2",
                "-extfile", "ext.cnf",
            ],
        ]
        for args in steps {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["openssl"] + args
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestFailure("openssl \(args[0]) failed") }
        }
        return (dir + "/ca.pem", dir + "/server.pem", dir + "/server.key")
    }

    func testSTARTTLSIsUsedWhenOfferedAndTheCertificateIsChecked() async throws {
        // setup: a server that offers STARTTLS and refuses mail without it
        let (ca, cert, key) = try makeCertificates()
        let sink = SMTPSink()
        try sink.start(extra: ["--tls-cert", cert, "--tls-key", key])
        defer { sink.stop() }
        let message = MailComposer.compose(
            OutgoingMail(
                fromName: "Shop", fromAddress: "care@mail.test", to: "tls@example.com", toName: nil, replyTo: nil,
                subject: "Over TLS", text: "Encrypted on the way", html: nil, messageID: "tls1@mail.test", inReplyTo: nil, references: [],
                date: Date()))
        var settings = try SMTPSettings.parse("smtp://localhost:\(sink.port)", caFile: ca)
        settings.timeout = .seconds(5)
        // act
        _ = try await SMTPClient.send(from: "care@mail.test", to: ["tls@example.com"], message: message, settings: settings)
        // check: delivered inside TLS
        let got = try await sink.waitFor(1, to: "tls@example.com")[0]
        XCTAssertEqual(got["tls"] as? Bool, true)
        XCTAssertEqual(got.header("Subject"), "Over TLS")

        // a certificate nobody vouches for is refused (the system's roots don't know it): nothing sent
        var untrusted = settings
        untrusted.caFile = nil
        do {
            _ = try await SMTPClient.send(from: "care@mail.test", to: ["tls2@example.com"], message: message, settings: untrusted)
            XCTFail("expected the certificate to be refused")
        } catch let e as SMTPError {
            XCTAssertTrue(e.isTransient, e.description)
        }
        // with STARTTLS turned off, this server refuses the mail (530): a clear error
        var plain = settings
        plain.startTLS = .never
        do {
            _ = try await SMTPClient.send(from: "care@mail.test", to: ["tls3@example.com"], message: message, settings: plain)
            XCTFail("expected a refusal")
        } catch let e as SMTPError {
            XCTAssertEqual(e.code, 530, e.description)
        }
        XCTAssertEqual(sink.messages().count, 1)

        // requiring STARTTLS from a server that doesn't offer it: refused before anything is sent
        let clear = SMTPSink()
        try clear.start()
        defer { clear.stop() }
        do {
            _ = try await SMTPClient.send(
                from: "care@mail.test", to: ["tls4@example.com"], message: message,
                settings: try SMTPSettings.parse("smtp://127.0.0.1:\(clear.port)?starttls=required"))
            XCTFail("expected a refusal")
        } catch let e as SMTPError {
            XCTAssertTrue(e.message.contains("does not offer STARTTLS"), e.message)
        }
        XCTAssertEqual(clear.messages().count, 0)
        XCTAssertThrowsError(try SMTPSettings.parse("smtp://x.test?starttls=maybe"))
    }
}
