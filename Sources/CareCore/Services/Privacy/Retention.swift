import FluentKit
import Foundation
import SQLKit

/// A store may keep the text of resolved conversations only for a while (`retention_months`, off by
/// default). A job removes the messages' text after that, a few hundred at a time so no store holds
/// the writer for long; the conversation, its times and its figures stay.
public enum Retention {
    public static let maxMonths = 120
    static let batch = 500

    public static func removedText(months: Int) -> String { "[removed after \(months) months, the store's retention setting]" }

    public static func setMonths(_ months: Int?, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        if let m = months, !(1...maxMonths).contains(m) {
            throw CareError.invalid("retention_months", "must be from 1 to \(maxMonths), or empty to keep conversations")
        }
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE stores SET retention_months = \(bind: months) WHERE id = \(bind: storeID)").run()
        }
    }

    public static func months(storeID: UUID, on db: any Database) async throws -> Int? {
        let sql = db.sql
        return try await sql.raw("SELECT retention_months FROM stores WHERE id = \(bind: storeID)").first()?
            .decode(column: "retention_months", as: Int?.self)
    }

    /// Removes what is past each store's retention. Returns how many messages it emptied.
    @discardableResult
    public static func purge(storage: CareStorage, on db: any Database) async throws -> Int {
        let sql = db.sql
        let now = storage.now()
        try await HelpRequests.expire(now: now, storage: storage, on: db)
        try await storage.write(on: db) { tx in
            try await AutomaticMailLimit.forget(before: now.addingTimeInterval(-2 * 3600), on: tx)
            try await UndoActions.purge(before: now.addingTimeInterval(-3600), on: tx)
            // Notices quote customers: kept 90 days, then gone (the conversation itself is the record).
            try await tx.raw("DELETE FROM staff_notifications WHERE created_at < \(bind: now.addingTimeInterval(-90 * 86_400))").run()
        }
        try await ShopConnections.forgetDeliveries(before: now.addingTimeInterval(-ShopConnections.deliveriesKept), storage: storage, on: db)
        var total = 0
        for row in try await sql.raw("SELECT id, retention_months FROM stores WHERE retention_months IS NOT NULL").all() {
            let storeID = try row.decode(column: "id", as: UUID.self)
            let months = try row.decode(column: "retention_months", as: Int.self)
            let cutoff = Calendar(identifier: .gregorian).date(byAdding: .month, value: -months, to: now) ?? now
            let text = removedText(months: months)
            while true {
                let ids = try await sql.raw(
                    """
                    SELECT m.id FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE c.store_id = \(bind: storeID) AND c.status = \(bind: ConversationStatus.resolved.rawValue)
                      AND c.resolved_at < \(bind: cutoff) AND m.body <> \(bind: text)
                    LIMIT \(bind: batch)
                    """
                ).all().map { try $0.decode(column: "id", as: UUID.self) }
                guard !ids.isEmpty else { break }
                try await storage.write(on: db) { tx in
                    try await tx.raw("UPDATE conversation_messages SET body = \(bind: text) WHERE id IN \(SQLBind.group(ids))").run()
                }
                total += ids.count
                if ids.count < batch { break }
            }
            try await storage.write(on: db) { tx in
                try await tx.raw(
                    """
                    UPDATE conversations SET resolution_note = NULL
                    WHERE store_id = \(bind: storeID) AND status = \(bind: ConversationStatus.resolved.rawValue)
                      AND resolved_at < \(bind: cutoff) AND resolution_note IS NOT NULL
                    """
                ).run()
                try await tx.raw(
                    """
                    DELETE FROM staff_notifications WHERE store_id = \(bind: storeID) AND conversation_id IN (
                        SELECT id FROM conversations WHERE store_id = \(bind: storeID) AND status = \(bind: ConversationStatus.resolved.rawValue)
                        AND resolved_at < \(bind: cutoff))
                    """
                ).run()
                // Photos go with the text they came with.
                try await tx.raw(
                    """
                    DELETE FROM message_photos WHERE store_id = \(bind: storeID) AND conversation_id IN (
                        SELECT id FROM conversations WHERE store_id = \(bind: storeID) AND status = \(bind: ConversationStatus.resolved.rawValue)
                        AND resolved_at < \(bind: cutoff))
                    """
                ).run()
            }
        }
        return total
    }
}
