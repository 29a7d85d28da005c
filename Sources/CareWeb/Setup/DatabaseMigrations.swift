import CareCore
import Fluent
import NIOPosix
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// Applying the numbered migrations. Several processes may start together on one database (nodes on
/// PostgreSQL; `serve` beside `worker` on SQLite), so whoever migrates first takes a lock — a
/// PostgreSQL advisory lock, or an exclusive `flock` on a file beside the SQLite database — and the
/// others take turns instead of racing to create the same tables.
enum DatabaseMigrations {
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
        let applied = try await MigrationLedger.applied(on: app.db)
        return CareMigrations.all.map(\.name).filter { !applied.contains($0) }
    }

    private struct AppliedKey: StorageKey { typealias Value = [String] }
    private struct SQLiteFileKey: StorageKey { typealias Value = String }

    /// Every migration this process applied.
    static func applied(by app: Application) -> [String] { app.storage[AppliedKey.self] ?? [] }

    /// Runs `body` holding the migration lock.
    private static func locked<T: Sendable>(_ app: Application, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard MigrationLedger.isPostgreSQL(app.db) else {
            guard let file = app.storage[SQLiteFileKey.self] else { return try await body() }
            return try await withFileLock(file + ".migrate-lock", body)
        }
        return try await MigrationLedger.withPostgreSQLLock(on: app.db, body)
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
