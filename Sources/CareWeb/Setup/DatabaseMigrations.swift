import CareCore
import Fluent
import NIOPosix
import SQLKit
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// Applying the numbered migrations. Several processes may start together on one database (nodes on
/// PostgreSQL; `serve` beside `worker` on SQLite), so whoever migrates first takes a lock — a
/// PostgreSQL advisory lock, or an exclusive `flock` on a file beside the SQLite database — and the
/// others take turns instead of racing to create the same tables.
enum DatabaseMigrations {
    /// An arbitrary, fixed number that names CareLoop's migration lock in `pg_advisory_lock`.
    static let lockKey: Int64 = 0x43_61_72_65_4C_6F_6F_70 // "CareLoop"
    /// The table Fluent records applied migrations in.
    static let table = "_fluent_migrations"

    /// Applies what is pending; returns the names of the migrations applied (also kept on the
    /// application, for `careloop migrate` to report what its start-up applied).
    @discardableResult
    static func apply(_ app: Application, sqliteFile: String? = nil) async throws -> [String] {
        if let sqliteFile { app.storage[SQLiteFileKey.self] = sqliteFile }
        let applied = try await locked(app) {
            try await app.migrator.setupIfNeeded().get()
            let pending = try await app.migrator.previewPrepareBatch().get().map { $0.0.name }
            try await app.autoMigrate()
            return pending
        }
        app.storage[AppliedKey.self] = (app.storage[AppliedKey.self] ?? []) + applied
        return applied
    }

    /// The names of the migrations not yet applied, read without changing anything (a role that may
    /// only read and write rows can ask).
    static func pending(_ app: Application) async throws -> [String] {
        let sql = app.db.sql
        let all = CareMigrations.all.map(\.name)
        let present =
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT to_regclass(\(bind: table)) IS NOT NULL AS present").first()?.decode(column: "present", as: Bool.self)
                    ?? false
            } else {
                try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)").first() != nil
            }
        guard present else { return all }
        let applied = Set(try await sql.raw("SELECT name FROM \(ident: table)").all().map { try $0.decode(column: "name", as: String.self) })
        return all.filter { !applied.contains($0) }
    }

    private struct AppliedKey: StorageKey { typealias Value = [String] }
    private struct SQLiteFileKey: StorageKey { typealias Value = String }

    /// Every migration this process applied.
    static func applied(by app: Application) -> [String] { app.storage[AppliedKey.self] ?? [] }

    /// Runs `body` holding the migration lock.
    private static func locked<T: Sendable>(_ app: Application, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard app.db.sql.dialect.name == "postgresql" else {
            guard let file = app.storage[SQLiteFileKey.self] else { return try await body() }
            return try await withFileLock(file + ".migrate-lock", body)
        }
        // The lock belongs to one session: hold one connection for it while the migrator uses others.
        return try await app.db.withConnection { conn in
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

    private static func withFileLock<T: Sendable>(_ path: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        #if canImport(Glibc)
            let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ConfigError("cannot open the migration lock file \(path) (errno \(errno))") }
            defer { close(fd) }
            // flock blocks while another process migrates: wait on the thread pool, not the caller's thread.
            let locked = try await NIOThreadPool.singleton.runIfActive { flock(fd, LOCK_EX) == 0 }
            guard locked else { throw ConfigError("cannot lock \(path) (errno \(errno))") }
            defer { flock(fd, LOCK_UN) }
            return try await body()
        #else
            return try await body()
        #endif
    }
}

/// `careloop migrate`: the deploy step (on PostgreSQL, the only one that changes the schema unless a
/// node is started with `--auto-migrate`).
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Applies pending database migrations (safe to run from several nodes at once)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        // Start-up has migrated already (under the lock); this applies anything left.
        try await DatabaseMigrations.apply(context.application)
        let applied = DatabaseMigrations.applied(by: context.application)
        context.console.print(applied.isEmpty ? "Database is up to date." : "Applied \(applied.count) migration(s); database is up to date.")
    }
}
