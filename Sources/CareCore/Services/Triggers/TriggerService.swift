import FluentKit
import Foundation
import SQLKit

/// Saving, changing and listing a store's triggers. Definitions are validated before they are stored.
public enum TriggerService {
    static func insert(
        _ d: TriggerDefinition, storeID: UUID, position: Int, enabled: Bool = true, now: Date,
        on sql: any SQLDatabase
    ) async throws -> Trigger {
        let t = Trigger()
        t.id = UUID()
        t.storeID = storeID
        t.name = d.name
        t.event = d.event.rawValue
        t.enabled = enabled
        t.position = position
        t.definition = String(decoding: TriggerJSON.data(d), as: UTF8.self)
        t.createdAt = now
        t.updatedAt = now
        try await sql.insert(t)
        return t
    }

    public static func create(_ d: TriggerDefinition, enabled: Bool, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> Trigger
    {
        let t = try await storage.write(on: db) { tx in
            try await TriggerLimits.check(adding: d, storeID: storeID, replacing: nil, on: tx)
            let last =
                try await tx.raw("SELECT COALESCE(MAX(position), -1) AS p FROM triggers WHERE store_id = \(bind: storeID)")
                .first()?.decode(column: "p", as: Int.self) ?? -1
            return try await insert(d, storeID: storeID, position: last + 1, enabled: enabled, now: storage.now(), on: tx)
        }
        return t
    }

    /// Replaces the definition and/or the enabled flag.
    public static func update(
        id: UUID, storeID: UUID, definition: TriggerDefinition?, enabled: Bool?,
        storage: CareStorage, on db: any Database
    ) async throws -> Trigger {
        let updated = try await storage.write(on: db) { tx in
            guard let t = try await tx.first(Trigger.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) })
            else { throw CareError.notFound("trigger") }
            if let d = definition {
                t.name = d.name
                t.event = d.event.rawValue
                t.definition = String(decoding: TriggerJSON.data(d), as: UTF8.self)
            }
            if let enabled { t.enabled = enabled }
            if let d = definition { try await TriggerLimits.check(adding: d, storeID: storeID, replacing: id, on: tx) }
            t.updatedAt = storage.now()
            try await tx.saveChanges(t)
            // A changed rule starts its time sweeps afresh: conversations it turned down may now qualify.
            try await tx.raw("DELETE FROM trigger_sweeps WHERE trigger_id = \(bind: id)").run()
            return t
        }
        return updated
    }

    public static func delete(id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            guard try await tx.first(Trigger.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) }) != nil
            else { throw CareError.notFound("trigger") }
            try await tx.delete(from: Trigger.schema).where("id", .equal, id).run()
            WriteEffects.noteRulesChanged(store: storeID)
        }
    }

    public static func list(storeID: UUID, on db: any Database) async throws -> [Trigger] {
        try await Trigger.query(on: db).filter(\.$storeID == storeID).sort(\.$event).sort(\.$position).all()
    }

    public static func find(id: UUID, storeID: UUID, on db: any Database) async throws -> Trigger {
        guard let t = try await Trigger.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first()
        else { throw CareError.notFound("trigger") }
        return t
    }
}
