import FluentKit
import Foundation
import SQLKit

/// What CareLoop asks of its SQLite file beyond rows: its journal, a backup, a bigger cache for an import.
extension SQLiteFile {
    /// Turns the file to WAL (readers never wait for the writer) and returns `PRAGMA synchronous`
    /// (2 = FULL: every commit is on disk when it is answered). Turning a new file to WAL needs it alone
    /// for a moment: another process creating or migrating the same file (two commands started
    /// together) answers "database is locked", so this waits for it, 10 s at most.
    public static func useWAL(on db: any Database) async throws -> Int? {
        let sql = db.sql
        for attempt in 1...100 {
            do {
                try await sql.raw("PRAGMA journal_mode=WAL").run()
                break
            } catch {
                guard StorageOutage.isBusy(error), attempt < 100 else { throw error }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        return try await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
    }

    /// A consistent copy of the whole database in a new file, taken while it keeps serving.
    public static func backUp(into target: String, on db: any Database) async throws {
        try await db.sql.raw("VACUUM INTO \(bind: target)").run()
    }

    /// An import writes index pages all over the file (ids are random): a 64 MiB page cache for this
    /// process's writer keeps them in memory instead of reading them back row by row. Only for an
    /// import: a server keeps SQLite's small default, so its memory stays flat.
    public static func useImportCache(storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in try await tx.raw("PRAGMA cache_size = -65536").run() }
    }
}
