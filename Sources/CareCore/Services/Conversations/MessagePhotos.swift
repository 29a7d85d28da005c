import FluentKit
import Foundation
import SQLKit

/// Photos sent with a customer's message: checked and scrubbed before any write (the work is
/// linear in their size but not free, so it never holds the write queue), stored with the message
/// in its transaction, listed for staff without their bytes, served one at a time.
public enum MessagePhotos {
    /// Bytes of one photo as sent (a phone's photo is 2–6 MB).
    public static let maxBytes = 8 * 1_024 * 1_024
    public static let maxPerMessage = 3
    /// Bounds what one conversation can store, whoever holds its link.
    public static let maxPerConversation = 20

    public struct Listed: Sendable {
        public let id: UUID
        public let messageID: UUID
        public let width: Int
        public let height: Int
    }

    /// The photos of one message, checked: JPEG or PNG, whole, within the limits; then scrubbed.
    public static func prepare(_ files: [[UInt8]]) throws -> [Photo] {
        let sent = files.filter { !$0.isEmpty } // a form's empty file field
        guard sent.count <= maxPerMessage else { throw CareError.invalid("photos", "send at most \(maxPerMessage) photos with one message") }
        return try sent.map { bytes in
            guard bytes.count <= maxBytes else { throw CareError.invalid("photos", "a photo may be at most \(maxBytes / 1_048_576) MB") }
            return try Photo.scrub(bytes)
        }
    }

    /// Stores `photos` with the message, inside the caller's write.
    static func add(_ photos: [Photo], message: ConversationMessage, to c: Conversation, now: Date, on sql: any SQLDatabase) async throws {
        guard !photos.isEmpty, let messageID = message.id, let conversationID = c.id else { return }
        let held =
            try await sql.raw("SELECT COUNT(*) AS n FROM message_photos WHERE conversation_id = \(bind: conversationID)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
        guard held + photos.count <= maxPerConversation else {
            throw CareError.invalid("photos", "this conversation holds \(maxPerConversation) photos already; describe the rest in words")
        }
        for p in photos {
            try await sql.raw(
                """
                INSERT INTO message_photos (id, store_id, conversation_id, message_id, content_type, width, height, byte_count, bytes, created_at)
                VALUES (\(bind: UUID()), \(bind: c.storeID), \(bind: conversationID), \(bind: messageID), \(bind: p.kind.rawValue),
                \(bind: p.width), \(bind: p.height), \(bind: p.bytes.count), \(bind: Data(p.bytes)), \(bind: now))
                """
            ).run()
        }
    }

    /// A conversation's photos, oldest first, without their bytes.
    public static func list(conversationID: UUID, storeID: UUID, on db: any Database) async throws -> [Listed] {
        try await db.sql.raw(
            """
            SELECT id, message_id, width, height FROM message_photos
            WHERE conversation_id = \(bind: conversationID) AND store_id = \(bind: storeID) ORDER BY created_at LIMIT \(bind: maxPerConversation)
            """
        ).all().map { row in
            Listed(
                id: try row.decode(column: "id", as: UUID.self), messageID: try row.decode(column: "message_id", as: UUID.self),
                width: try row.decode(column: "width", as: Int.self), height: try row.decode(column: "height", as: Int.self))
        }
    }

    /// One photo's type and bytes, only when it belongs to this store's conversation.
    public static func bytes(id: UUID, conversationID: UUID?, storeID: UUID, on db: any Database) async throws -> (String, Data)? {
        var q: SQLQueryString = "SELECT content_type, bytes FROM message_photos WHERE id = \(bind: id) AND store_id = \(bind: storeID)"
        if let conversationID { q = "\(q) AND conversation_id = \(bind: conversationID)" }
        guard let row = try await db.sql.raw(q).first() else { return nil }
        return (try row.decode(column: "content_type", as: String.self), try row.decode(column: "bytes", as: Data.self))
    }
}
