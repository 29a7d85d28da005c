import FluentKit
import FluentSQL
import Foundation

/// The secret that signs tokens when `CARELOOP_SECRET` is not set: made once, kept in the database,
/// so every node sharing the database signs alike and restarts don't invalidate links already sent.
public enum InstallationSecret {
    static let key = "installation_secret"

    public static func loadOrCreate(storage: CareStorage, on db: any Database) async throws -> String {
        if let found = try await Setting.find(key, on: db) { return found.value }
        do {
            let value = Secrets.randomToken(bytes: 48)
            try await storage.write(on: db) { tx in try await tx.insert(into: Setting.schema).fluentModel(Setting(key: key, value: value)).run() }
            return value
        } catch {
            // Another node made it first: use theirs.
            if let found = try await Setting.find(key, on: db) { return found.value }
            throw error
        }
    }
}
