import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Setting a password from an emailed link: "forgot my password" and a teammate's invitation. A link
/// works once, expires, ends old sessions, and the form never says who has an account.
final class PasswordLinkTests: XCTestCase {
    /// The path of the link in the newest staff email queued to `to`.
    func linkPath(_ server: TestServer, to: String) async throws -> String {
        let jobs = try await OutboxJob.query(on: server.app.db).sort(\.$createdAt, .descending).all()
        for job in jobs {
            guard
                case .staffNotification(let recipients, _, let body, _)? = try? JSONDecoder().decode(OutboxPayload.self, from: Data(job.payload.utf8)),
                recipients == [to], let r = body.range(of: "/app/password/")
            else { continue }
            return String(body[r.lowerBound...].prefix { !$0.isWhitespace })
        }
        throw TestFailure("no password email to \(to)")
    }

    func form(_ server: TestServer, _ path: String, _ fields: [String: String]) async throws -> TestServer.Reply {
        try await PreSession.start(server).post(path, fields)
    }

    func testForgottenPasswordLinkWorksOnceAndEndsOldSessions() async throws {
        try await onEachBackend { server in
            // setup: the owner has a session already
            let (store, _, session) = try await server.storeWithOwner()
            let email = "\(store.slug)@owner.test"
            // act: ask for a link, and for one for an email nobody has: the same answer
            let asked = try await form(server, "/app/password/forgot", ["email": email.uppercased()])
            let stranger = try await form(server, "/app/password/forgot", ["email": "nobody-\(store.slug)@x.test"])
            XCTAssertEqual(asked.status, .ok)
            XCTAssertTrue(asked.text.contains("If that email belongs to a CareLoop account"))
            XCTAssertEqual(stranger.text, asked.text, "the page says nothing about who has an account")
            let link = try await linkPath(server, to: email)
            // check: the link opens the form; bad passwords are refused with the reason
            let got1 = try await server.send(.GET, link, contentType: nil).status
            XCTAssertEqual(got1, .ok)
            let mismatch = try await form(server, link, ["password": "a long new password", "confirm": "another one"])
            XCTAssertEqual(mismatch.status, .unprocessableEntity)
            XCTAssertTrue(mismatch.text.contains("The two passwords are not the same."))
            let short = try await form(server, link, ["password": "short", "confirm": "short"])
            XCTAssertEqual(short.status, .unprocessableEntity)
            XCTAssertTrue(short.text.contains("password: use at least 10 characters"))
            // act: set it
            let set = try await form(server, link, ["password": "a long new password", "confirm": "a long new password"])
            XCTAssertEqual(set.status, .seeOther)
            XCTAssertEqual(set.headers.first(name: .location), "/app/login?notice=password-set")
            // check: the new password signs in, the old does not, the old session is over, the link is spent
            _ = try await StaffClient.signIn(server, email: email, password: "a long new password")
            let old = try await form(server, "/app/login", ["email": email, "password": "correct horse"])
            XCTAssertEqual(old.status, .unauthorized)
            let got2 = try await session.get("/app/inbox").status
            XCTAssertEqual(got2, .seeOther, "sessions from before the reset are ended")
            let again = try await form(server, link, ["password": "yet another password", "confirm": "yet another password"])
            XCTAssertEqual(again.status, .gone)
            XCTAssertTrue(again.text.contains("This link has expired or was already used"))
            // forged and expired links
            let parts = link.dropFirst("/app/password/".count).split(separator: ".").map(String.init)
            let got3 = try await server.send(.GET, "/app/password/\(parts[0]).\(Int(parts[1])! + 3600).\(parts[2])", contentType: nil).status
            XCTAssertEqual(got3, .gone)
            let staff = try await StaffUser.query(on: server.app.db).filter(\.$email == email).first()!
            let expired = try server.app.care.passwordLinks.token(for: staff, expires: Date().addingTimeInterval(-1))
            let got4 = try await server.send(.GET, "/app/password/\(expired)", contentType: nil).status
            XCTAssertEqual(got4, .gone)
        }
    }

    func testAnOwnerInvitesATeammateWhoSetsTheirOwnPassword() async throws {
        try await onEachBackend { server in
            // setup
            let (store, _, owner) = try await server.storeWithOwner()
            let newcomer = "new-\(store.slug)@shop.test"
            // act
            let invited = try await owner.post("/app/settings/team", ["email": newcomer, "name": "Nia New", "role": "agent"])
            XCTAssertEqual(invited.status, .seeOther)
            let link = try await linkPath(server, to: newcomer)
            let got5 = try await form(server, link, ["password": "my own password", "confirm": "my own password"]).status
            XCTAssertEqual(got5, .seeOther)
            // check: they sign in as an agent, who may not invite anyone
            let agent = try await StaffClient.signIn(server, email: newcomer, password: "my own password")
            let got6 = try await agent.get("/app/inbox").text.contains("Nia New")
            XCTAssertTrue(got6)
            let got7 = try await agent.post("/app/settings/team", ["email": "other-\(store.slug)@shop.test", "role": "owner"]).status
            XCTAssertEqual(got7, .forbidden)
            // inviting someone who is already staff somewhere: a clear refusal
            let twice = try await owner.post("/app/settings/team", ["email": newcomer, "role": "agent"])
            XCTAssertEqual(twice.status, .conflict)
            XCTAssertTrue(twice.text.contains("already a staff member"))
            let bad = try await owner.post("/app/settings/team", ["email": "not an email", "role": "agent"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
        }
    }
}
