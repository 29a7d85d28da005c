import FluentKit
import Foundation
import SQLKit

/// What the migration runner asks the database: which migrations are recorded, and (on PostgreSQL)
/// the session lock that lets one node migrate while the others wait their turn.
public enum MigrationLedger {
    /// The table Fluent records applied migrations in.
    public static let table = "_fluent_migrations"
    /// An arbitrary, fixed number that names CareLoop's migration lock in `pg_advisory_lock`.
    public static let lockKey: Int64 = 0x43_61_72_65_4C_6F_6F_70 // "CareLoop"

    public static func isPostgreSQL(_ db: any Database) -> Bool { db.sql.dialect.name == "postgresql" }

    /// The names of the migrations recorded as applied; empty on a database never migrated. Reads only
    /// (a role that may only read and write rows can ask).
    public static func applied(on db: any Database) async throws -> Set<String> {
        let sql = db.sql
        let present =
            if isPostgreSQL(db) {
                try await sql.raw("SELECT to_regclass(\(bind: table)) IS NOT NULL AS present").first()?.decode(column: "present", as: Bool.self)
                    ?? false
            } else {
                try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)").first() != nil
            }
        guard present else { return [] }
        return Set(try await sql.raw("SELECT name FROM \(ident: table)").all().map { try $0.decode(column: "name", as: String.self) })
    }

    /// Runs `body` holding PostgreSQL's advisory migration lock. The lock belongs to one session: one
    /// connection holds it while the migrator uses others.
    public static func withPostgreSQLLock<T: Sendable>(on db: any Database, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await db.withConnection { conn in
            let session = conn.sql
            try await session.raw("SELECT pg_advisory_lock(\(bind: lockKey))").run()
            let result: T
            do {
                result = try await body()
            } catch {
                _ = try? await session.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
                throw error
            }
            // A failed unlock does not undo the migration: the lock goes with the session in any case.
            _ = try? await session.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
            return result
        }
    }
}
