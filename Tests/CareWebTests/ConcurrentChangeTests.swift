import Fluent
import SQLKit
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// On PostgreSQL writes run side by side: a write that changes a conversation locks it as it reads it,
/// so a change committed meanwhile (here: the customer's erasure) is not undone by the older copy.
final class ConcurrentChangeTests: XCTestCase {
    func testAReplyWaitingOnAConversationDoesNotUndoTheCustomersErasure() async throws {
        guard TestBackend.postgresURL != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must run this on PostgreSQL") }
            throw XCTSkip("needs CARELOOP_TEST_POSTGRES_URL")
        }
        let server = try await TestServer.start(.postgres)
        do {
            // setup: a resolved conversation whose note names the customer
            let (store, key) = try await server.makeStore()
            let email = "ada-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: email, name: "Ada Lovelace", rating: 1))
            let customer = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == email).first()
            let customerID = try XCTUnwrap(customer?.id)
            let found = try await Conversation.query(on: server.app.db).filter(\.$customerID == customerID).first()
            let conversationID = try XCTUnwrap(found?.id)
            let resolved = try await server.send(
                .POST, "/api/v1/conversations/\(conversationID)/resolve", key: key,
                json: ["resolution_note": "Called Ada Lovelace at home"])
            XCTAssertEqual(resolved.status, .ok, resolved.text)

            // act: while another transaction holds the conversation, the erasure and then a staff reply arrive
            let sql = try XCTUnwrap(server.app.db as? any SQLDatabase)
            let holder = Task {
                try await server.app.db.withConnection { conn in
                    let tx = conn as! any SQLDatabase
                    try await tx.raw("BEGIN").run()
                    try await tx.raw("SELECT id FROM conversations WHERE id = \(bind: conversationID) FOR UPDATE").run()
                    try await Task.sleep(nanoseconds: 1_500_000_000)
                    try await tx.raw("COMMIT").run()
                }
            }
            try await Task.sleep(nanoseconds: 300_000_000)
            async let erased = server.send(.DELETE, "/api/v1/customers/\(customerID)", key: key)
            try await Task.sleep(nanoseconds: 400_000_000)
            async let replied = server.send(
                .POST, "/api/v1/conversations/\(conversationID)/messages", key: key,
                json: ["body": "One more thing"])
            let (e, r) = try await (erased, replied)
            try await holder.value

            // check: both succeeded, and the erasure stands
            XCTAssertEqual(e.status, .ok, e.text)
            XCTAssertEqual(r.status, .created, r.text)
            let row = try await sql.raw("SELECT resolution_note, subject FROM conversations WHERE id = \(bind: conversationID)").first()
            XCTAssertNil(try row?.decode(column: "resolution_note", as: String?.self), "the reply wrote the erased note back")
            XCTAssertFalse(try row?.decode(column: "subject", as: String.self).contains("Ada") ?? true)
        } catch {
            XCTFail("\(error)")
        }
        await server.stop()
    }
}
