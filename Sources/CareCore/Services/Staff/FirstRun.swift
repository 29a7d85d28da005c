import FluentKit
import Foundation
import SQLKit

/// The first hour's checklist: what a new store has done of bringing its orders in, showing its
/// reviews, trying the mails on itself and inviting its team. Each step is read from what happened
/// (an order exists, the widget was loaded on another site), not ticked by hand.
public enum FirstRun {
    public enum Milestone: String, Sendable, CaseIterable {
        case widgetSeen = "widget_seen"
        case testRequest = "test_request"
        case testCare = "test_care"
        case dismissed
    }

    public struct Steps: Sendable, Equatable {
        public var ordersIn: Bool
        public var widgetSeen: Bool
        public var testRequest: Bool
        public var testCare: Bool
        public var teamInvited: Bool
        public var dismissed: Bool

        public var done: Int { [ordersIn, widgetSeen, testRequest, testCare, teamInvited].filter { $0 }.count }
        public var complete: Bool { done == 5 }
        /// Shown on the dashboard until every step is done or the owner puts it away.
        public var showing: Bool { !complete && !dismissed }
    }

    public static func steps(storeID: UUID, on db: any Database) async throws -> Steps {
        let sql = db.sql
        let reached = Set(
            try await sql.raw("SELECT name FROM store_milestones WHERE store_id = \(bind: storeID)").all()
                .map { try $0.decode(column: "name", as: String.self) })
        let orders = try await sql.raw("SELECT 1 AS x FROM orders WHERE store_id = \(bind: storeID) LIMIT 1").first() != nil
        let connected = try await sql.raw("SELECT 1 AS x FROM shop_connections WHERE store_id = \(bind: storeID) LIMIT 1").first() != nil
        let team =
            try await sql.raw("SELECT COUNT(*) AS n FROM staff_users WHERE store_id = \(bind: storeID)").first()?
            .decode(column: "n", as: Int.self) ?? 0
        return Steps(
            ordersIn: orders || connected, widgetSeen: reached.contains(Milestone.widgetSeen.rawValue),
            testRequest: reached.contains(Milestone.testRequest.rawValue), testCare: reached.contains(Milestone.testCare.rawValue),
            teamInvited: team > 1, dismissed: reached.contains(Milestone.dismissed.rawValue))
    }

    /// Records a step once (the first time counts).
    public static func reach(_ m: Milestone, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        let now = storage.now()
        try await storage.write(on: db) { sql in try await reach(m, storeID: storeID, now: now, on: sql) }
    }

    static func reach(_ m: Milestone, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO store_milestones (store_id, name, reached_at)
            SELECT \(bind: storeID), \(bind: m.rawValue), \(bind: now)
            WHERE NOT EXISTS (SELECT 1 FROM store_milestones WHERE store_id = \(bind: storeID) AND name = \(bind: m.rawValue))
            """
        ).run()
    }

    /// Queues a sample mail to a staff member (`request`: the store's review request as a buyer gets
    /// it; `care`: the first care message of a 1★ review), and records the step.
    public static func sendSample(
        _ kind: OutboxPayload.SampleKind, to email: String, name: String, storeID: UUID, storage: CareStorage, on db: any Database
    )
        async throws
    {
        let now = storage.now()
        try await storage.write(on: db) { sql in
            try await Outbox.enqueue(.sample(kind: kind, to: email, name: name), storeID: storeID, now: now, on: sql)
            try await reach(kind == .request ? .testRequest : .testCare, storeID: storeID, now: now, on: sql)
        }
    }
}
