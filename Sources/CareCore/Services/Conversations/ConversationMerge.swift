import FluentKit
import Foundation
import SQLKit

/// One customer wrote twice about one problem (a review and an email, say): a person merges the two
/// conversations. Every message and photo of the merged one moves into the kept one, in time order;
/// the kept one owes a reply if either did (the sooner deadline wins); the merged one is resolved
/// with a pointer, so a reply to its address or on its page lands in the kept one.
public enum ConversationMerge {
    /// Merges lead on at most this many times (a chain of merges), then stop.
    static let maxHops = 5

    public static func merge(
        _ fromID: UUID, into intoID: UUID, storeID: UUID, staffName: String, storage: CareStorage, on db: any Database
    ) async throws {
        guard fromID != intoID else { throw CareError.invalid("from", "a conversation cannot be merged into itself") }
        try await storage.write(on: db) { tx in
            let from = try await ConversationService.load(fromID, storeID: storeID, on: tx)
            let into = try await ConversationService.load(intoID, storeID: storeID, on: tx)
            guard from.customerID == into.customerID else {
                throw CareError.invalid("from", "only two conversations of the same customer can be merged")
            }
            guard from.mergedIntoID == nil, into.mergedIntoID == nil else {
                throw CareError.invalid("from", "this conversation was merged already")
            }
            let now = storage.now()
            let moved =
                try await tx.raw("SELECT COUNT(*) AS n FROM conversation_messages WHERE conversation_id = \(bind: fromID)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            try await tx.raw("UPDATE conversation_messages SET conversation_id = \(bind: intoID) WHERE conversation_id = \(bind: fromID)").run()
            // Mails still to go join the conversation's line, so what is written next waits for them.
            try await tx.raw(
                "UPDATE outbox SET conversation_id = \(bind: intoID) WHERE conversation_id = \(bind: fromID) AND status = \(bind: OutboxStatus.pending.rawValue)"
            ).run()
            try await tx.raw("UPDATE message_photos SET conversation_id = \(bind: intoID) WHERE conversation_id = \(bind: fromID)").run()
            try await tx.raw("DELETE FROM conversation_viewers WHERE conversation_id = \(bind: fromID)").run()
            // A reply owed on either is owed on the kept one, by the sooner deadline.
            if from.status == .open {
                into.status = .open
                into.resolvedAt = nil
                if let due = from.slaDueAt, into.slaDueAt.map({ due < $0 }) ?? true {
                    into.slaDueAt = due
                    into.slaTarget = from.slaTarget
                }
            }
            into.tags = Array(NSOrderedSet(array: into.tags + from.tags).compactMap { $0 as? String }.prefix(20))
            into.lastCustomerAt = [into.lastCustomerAt, from.lastCustomerAt].compactMap { $0 }.max()
            into.updatedAt = now
            try await ConversationThread.update(into, on: tx)
            // The merged one keeps no deadline: its reply is owed on the kept one now.
            from.status = .resolved
            from.resolvedAt = now
            from.slaDueAt = nil
            from.slaTarget = nil
            from.mergedIntoID = intoID
            from.resolutionNote = "Merged into “\(into.subject)”."
            from.updatedAt = now
            try await ConversationThread.update(from, on: tx)
            try await ConversationThread.addMessage(
                .system, body: "Merged into “\(into.subject)” by \(staffName).", staffID: nil, to: from, now: now, on: tx)
            try await ConversationThread.addMessage(
                .system, body: "\(staffName) merged “\(from.subject)” into this conversation (\(moved) message\(moved == 1 ? "" : "s") moved).",
                staffID: nil, to: into, now: now, on: tx)
        }
    }

    /// Where a conversation's messages are now: itself, or the one it was merged into (followed up
    /// to `maxHops` times), in the same store. Inside a write the rows are locked as they are read.
    public static func kept(_ c: Conversation, forUpdate: Bool = false, on sql: any SQLDatabase) async throws -> Conversation {
        var current = c
        for _ in 0..<maxHops {
            guard let next = current.mergedIntoID,
                let found = try await sql.rows(
                    Conversation.table, forUpdate: forUpdate, { $0.where("id", .equal, next).where("store_id", .equal, c.storeID) }
                ).first
            else { break }
            current = found
        }
        return current
    }
}
