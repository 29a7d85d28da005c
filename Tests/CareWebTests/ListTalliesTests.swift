import CareCore
import Fluent
import SQLKit
import Vapor
import XCTest

@testable import CareWeb

/// The tallies the lists' totals and the inbox's tabs read (kept by database triggers) always equal
/// the rows they stand for, whatever wrote them: ingest, a resolution, a customer reopening, a
/// moderator's rejection, an erasure.
final class ListTalliesTests: XCTestCase {
    /// Every store's (status → count) as counted from the rows, and as tallied.
    func counted(_ sql: any SQLDatabase, _ query: SQLQueryString) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await sql.raw(query).all() {
            let n = try row.decode(column: "n", as: Int.self)
            if n != 0 { out[try row.decode(column: "k", as: String.self)] = n }
        }
        return out
    }

    func assertTalliesMatchTheRows(_ server: TestServer, _ moment: String) async throws {
        let sql = server.app.db.sql
        let conversations = try await counted(
            sql, "SELECT CAST(store_id AS TEXT) || '/' || status AS k, COUNT(*) AS n FROM conversations GROUP BY store_id, status")
        let conversationTallies = try await counted(sql, "SELECT CAST(store_id AS TEXT) || '/' || status AS k, n FROM conversation_tallies")
        XCTAssertEqual(conversationTallies, conversations, "[\(server.backend)] conversations \(moment)")
        let reviews = try await counted(
            sql,
            "SELECT CAST(store_id AS TEXT) || '/' || status || '/' || CAST(rating AS TEXT) AS k, COUNT(*) AS n FROM reviews GROUP BY store_id, status, rating"
        )
        let reviewTallies = try await counted(
            sql, "SELECT CAST(store_id AS TEXT) || '/' || status || '/' || CAST(rating AS TEXT) AS k, n FROM review_tallies")
        XCTAssertEqual(reviewTallies, reviews, "[\(server.backend)] reviews \(moment)")
        XCTAssertFalse(conversations.isEmpty, "the test wrote conversations")
    }

    func total(_ server: TestServer, _ path: String, key: String) async throws -> Int? {
        try await server.send(.GET, path, key: key).json["total"] as? Int
    }

    func testTalliesFollowEveryWriteAndTheListsTotalsReadThem() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore("tallied")
            let (_, otherKey) = try await server.makeStore("other")
            for (i, rating) in [1, 2, 1, 5, 4].enumerated() {
                let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "t\(i)@example.com", rating: rating))
                XCTAssertEqual(r.status, .created, r.text)
            }
            _ = try await server.send(.POST, "/api/v1/reviews", key: otherKey, json: reviewJSON(email: "o@example.com", rating: 1))
            try await assertTalliesMatchTheRows(server, "after ingest")
            let open = try await server.send(.GET, "/api/v1/conversations?status=open", key: key).decoded(API.ConversationList.self).conversations
            XCTAssertEqual(open.count, 3)
            let totalOpenBefore = try await total(server, "/api/v1/conversations?status=open", key: key)
            XCTAssertEqual(totalOpenBefore, 3)

            // a resolution, then the customer writing again on the page (which reopens it)
            let first = try XCTUnwrap(open.first?.id)
            let resolved = try await server.send(.POST, "/api/v1/conversations/\(first)/resolve", key: key, json: ["note": "Sent a new one."])
            XCTAssertEqual(resolved.status, .ok, resolved.text)
            try await assertTalliesMatchTheRows(server, "after a resolution")
            let resolvedTotal = try await total(server, "/api/v1/conversations?status=resolved", key: key)
            XCTAssertEqual(resolvedTotal, 1)
            let page = try unwrapped(URL(string: try await server.conversation(first, key: key).pageUrl ?? "")?.path)
            _ = try await server.send(.POST, page, raw: Data("body=It+broke+again.".utf8), contentType: "application/x-www-form-urlencoded")
            try await assertTalliesMatchTheRows(server, "after the customer wrote again")

            // a moderator's rejection moves a review between statuses
            let reviews = try await server.send(.GET, "/api/v1/reviews?rating=5", key: key).decoded(API.ReviewList.self).reviews
            let five = try XCTUnwrap(reviews.first?.id)
            let rejected = try await server.send(.POST, "/api/v1/reviews/\(five)/reject", key: key, json: ["reason": "spam"])
            XCTAssertEqual(rejected.status, .ok, rejected.text)
            try await assertTalliesMatchTheRows(server, "after a rejection")
            let publishedTotal = try await total(server, "/api/v1/reviews?status=published", key: key)
            XCTAssertEqual(publishedTotal, 4)
            let oneStarTotal = try await total(server, "/api/v1/reviews?rating=1", key: key)
            XCTAssertEqual(oneStarTotal, 2)
            let allTotal = try await total(server, "/api/v1/reviews", key: key)
            XCTAssertEqual(allTotal, 5)

            // an erasure keeps the customer's review and conversation (anonymised): nothing moves
            let customer = try XCTUnwrap(open.last?.customer?.id)
            let erased = try await server.send(.DELETE, "/api/v1/customers/\(customer)", key: key)
            XCTAssertLessThan(erased.status.code, 300, erased.text)
            try await assertTalliesMatchTheRows(server, "after an erasure")
            let allAfter = try await total(server, "/api/v1/reviews", key: key)
            XCTAssertEqual(allAfter, 5)
            // a row deleted by any statement at all leaves its tally
            let gone = try XCTUnwrap(open.last?.id)
            try await server.app.db.sql.raw("DELETE FROM conversations WHERE id = \(bind: UUID(uuidString: gone)!)").run()
            try await assertTalliesMatchTheRows(server, "after a conversation was deleted")
            let openAfter = try await total(server, "/api/v1/conversations?status=open", key: key)
            let openRows = try await server.app.db.sql.raw(
                "SELECT COUNT(*) AS n FROM conversations WHERE store_id = \(bind: store.id!) AND status = 'open'"
            ).first()?.decode(column: "n", as: Int.self)
            XCTAssertEqual(openAfter, openRows)
            XCTAssertEqual(openAfter.map { $0 < 3 }, true, "one open conversation fewer")
            // the other store's totals never moved
            let otherOpen = try await total(server, "/api/v1/conversations?status=open", key: otherKey)
            XCTAssertEqual(otherOpen, 1)
        }
    }

    /// Two writes that change tallied rows in opposite orders meet in a deadlock on PostgreSQL; the
    /// database ends one, and the storage runs it again: both land, and the tallies still match.
    func testTwoWritesMeetingOnTheTalliesInOppositeOrdersBothLand() async throws {
        try await onEachBackend { server in
            guard server.backend == .postgres else { return } // SQLite's one writer never interleaves them
            let (store, key) = try await server.makeStore("crossed")
            var written: [UUID] = []
            for (i, rating) in [5, 4, 4, 5].enumerated() {
                let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "x\(i)@example.com", rating: rating))
                written.append(try XCTUnwrap(UUID(uuidString: r.json["id"] as? String ?? "")))
            }
            let ids = written
            let steps = Steps()
            let storage = server.app.care.storage
            let db = server.app.db
            @Sendable func reject(_ id: UUID, _ sql: any SQLDatabase) async throws {
                try await sql.raw("UPDATE reviews SET status = 'rejected' WHERE id = \(bind: id)").run()
            }
            // A holds the 5★ tallies and wants the 4★ ones; B holds the 4★ ones and wants the 5★.
            async let a: Void = storage.write(on: db) { sql in
                try await reject(ids[0], sql)
                await steps.signal("a")
                await steps.wait("b")
                try await reject(ids[2], sql)
            }
            async let b: Void = storage.write(on: db) { sql in
                await steps.wait("a")
                try await reject(ids[1], sql)
                await steps.signal("b")
                try await reject(ids[3], sql)
            }
            _ = try await (a, b)
            try await assertTalliesMatchTheRows(server, "after two crossed writes")
            let rejected = try await total(server, "/api/v1/reviews?status=rejected", key: key)
            XCTAssertEqual(rejected, 4)
            XCTAssertNotNil(store.id)
        }
    }
}

/// Steps two concurrent writes wait for; a step signalled once stays signalled (a write run again
/// does not wait a second time).
actor Steps {
    private var done: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func signal(_ step: String) {
        done.insert(step)
        for w in waiting.removeValue(forKey: step) ?? [] { w.resume() }
    }

    func wait(_ step: String) async {
        if done.contains(step) { return }
        await withCheckedContinuation { waiting[step, default: []].append($0) }
    }
}
