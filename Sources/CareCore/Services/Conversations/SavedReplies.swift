import FluentKit
import Foundation
import SQLKit

/// Saving, listing and filling in a store's saved replies.
public enum SavedReplies {
    public static func list(storeID: UUID, on db: any Database) async throws -> [SavedReply] {
        try await SavedReply.query(on: db).filter(\.$storeID == storeID).sort(\.$title).all()
    }

    /// Checked like a trigger template: an unknown placeholder is refused by name.
    public static func create(title: String?, body: String?, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> SavedReply {
        let reply = SavedReply()
        reply.id = UUID()
        reply.storeID = storeID
        reply.title = try Text.required(title, field: "title", max: 100)
        reply.body = try Text.required(body, field: "body", max: 5000)
        _ = try Template.validate(reply.body, field: "body")
        reply.createdAt = storage.now()
        try await storage.write(on: db) { sql in
            let count =
                try await sql.raw("SELECT COUNT(*) AS n FROM saved_replies WHERE store_id = \(bind: storeID)").first()?.decode(
                    column: "n", as: Int.self) ?? 0
            guard count < 200 else {
                throw CareError.tooManySavedReplies(message: "a store can keep at most 200 saved replies")
            }
            try await sql.insert(reply)
        }
        return reply
    }

    /// Changes a saved reply's title and text, checked as when it was made.
    public static func update(id: UUID, title: String?, body: String?, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        let title = try Text.required(title, field: "title", max: 100)
        let body = try Text.required(body, field: "body", max: 5000)
        _ = try Template.validate(body, field: "body")
        try await storage.write(on: db) { sql in
            let changed = try await sql.raw(
                """
                UPDATE saved_replies SET title = \(bind: title), body = \(bind: body)
                WHERE id = \(bind: id) AND store_id = \(bind: storeID) RETURNING id
                """
            ).all()
            guard !changed.isEmpty else { throw CareError.notFound("saved reply") }
        }
    }

    public static func delete(id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        guard try await SavedReply.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first() != nil
        else { throw CareError.notFound("saved reply") }
        try await storage.write(on: db) { sql in
            try await sql.delete(from: SavedReply.schema).where("id", .equal, id).where("store_id", .equal, storeID).run()
        }
    }

    public static let pickerCharacters = 200_000

    /// Every saved reply with its placeholders filled for this conversation (at most 200 a store).
    public static func renderAll(conversationID: UUID, storeID: UUID, links: CareLinks, now: Date, on db: any Database) async throws
        -> [(id: UUID, title: String, text: String)]
    {
        let replies = try await list(storeID: storeID, on: db)
        guard !replies.isEmpty,
            let c = try await Conversation.query(on: db).filter(\.$id == conversationID).filter(\.$storeID == storeID).first(),
            let subject = try await CareSubject.of(c, on: db.sql)
        else { return [] }
        let values = CareActions.values(subject, links, now: now)
        let language = try await CareLanguage.of(customerID: c.customerID, storeID: storeID, on: db.sql)
        // Bounded: a filled-in reply longer than a reply may be is left out (it could not be sent), and
        // the page carries at most `pickerCharacters` of them in all.
        var out: [(id: UUID, title: String, text: String)] = []
        var total = 0
        for r in replies {
            guard
                let text = Template.render(
                    CareLanguage.localized(r.body, to: language), values: values, maxBytes: min(20_000 * 4, pickerCharacters - total),
                    firstNameFallback: CareLanguage.firstNameFallback(language)), text.count <= 20_000
            else { continue }
            let size = text.utf8.count
            total += size
            out.append((id: r.id!, title: r.title, text: text))
        }
        return out
    }

    /// The saved reply's text with its placeholders filled for this conversation.
    public static func render(id: UUID, conversationID: UUID, storeID: UUID, links: CareLinks, now: Date, on db: any Database) async throws -> String
    {
        guard let reply = try await SavedReply.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first(),
            let c = try await Conversation.query(on: db).filter(\.$id == conversationID).filter(\.$storeID == storeID).first(),
            let subject = try await CareSubject.of(c, on: db.sql)
        else { throw CareError.notFound("saved reply") }
        let language = try await CareLanguage.of(customerID: c.customerID, storeID: storeID, on: db.sql)
        return Template.render(
            CareLanguage.localized(reply.body, to: language), values: CareActions.values(subject, links, now: now),
            firstNameFallback: CareLanguage.firstNameFallback(language))
    }
}
