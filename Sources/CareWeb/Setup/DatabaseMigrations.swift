import Fluent
import SQLKit
import Vapor

/// Applying the numbered migrations. On PostgreSQL several nodes share one database, so whoever
/// migrates (the `migrate` deploy step, or a node started with `--auto-migrate`) first takes a
/// PostgreSQL advisory lock: nodes started together take turns instead of racing to create tables.
enum DatabaseMigrations {
    /// An arbitrary, fixed number that names CareLoop's migration lock in `pg_advisory_lock`.
    static let lockKey: Int64 = 0x43_61_72_65_4C_6F_6F_70  // "CareLoop"

    /// Applies what is pending; returns the names of the migrations applied (also kept on the
    /// application, for `careloop migrate` to report what its start-up applied).
    @discardableResult
    static func apply(_ app: Application) async throws -> [String] {
        let applied = try await locked(app) {
            let pending = try await app.migrator.previewPrepareBatch().get().map { $0.0.name }
            try await app.autoMigrate()
            return pending
        }
        app.storage[AppliedKey.self] = (app.storage[AppliedKey.self] ?? []) + applied
        return applied
    }

    private struct AppliedKey: StorageKey { typealias Value = [String] }

    /// Every migration this process applied.
    static func applied(by app: Application) -> [String] { app.storage[AppliedKey.self] ?? [] }

    /// The names of the migrations not yet applied.
    static func pending(_ app: Application) async throws -> [String] {
        try await locked(app) { try await app.migrator.previewPrepareBatch().get().map { $0.0.name } }
    }

    /// Runs `body` holding the migration lock (PostgreSQL), or as is (SQLite: one file, one writer).
    private static func locked<T: Sendable>(_ app: Application, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await app.migrator.setupIfNeeded().get()
        guard let sql = app.db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return try await body() }
        // The lock belongs to one session: hold one connection for it while the migrator uses others.
        return try await app.db.withConnection { conn in
            guard let session = conn as? any SQLDatabase else { return try await body() }
            try await session.raw("SELECT pg_advisory_lock(\(bind: lockKey))").run()
            do {
                let result = try await body()
                try await session.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
                return result
            } catch {
                _ = try? await session.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
                throw error
            }
        }
    }
}

/// `careloop migrate`: the deploy step (on PostgreSQL, the only one that changes the schema unless a
/// node is started with `--auto-migrate`).
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Applies pending database migrations (safe to run from several nodes at once)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        // Start-up has migrated already (under the lock on PostgreSQL); this applies anything left.
        try await DatabaseMigrations.apply(context.application)
        let applied = DatabaseMigrations.applied(by: context.application)
        context.console.print(applied.isEmpty ? "Database is up to date." : "Applied \(applied.count) migration(s); database is up to date.")
    }
}
