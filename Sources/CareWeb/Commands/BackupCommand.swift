import CareCore
import Fluent
import Vapor

/// `careloop backup --to FILE`: a consistent copy of the SQLite database, made while CareLoop serves.
///
/// `VACUUM INTO` reads one snapshot of the database (WAL mode: writers go on meanwhile) and writes it
/// to a new, compact file; every transaction committed before the copy began is in it. On PostgreSQL
/// use `pg_dump` (see docs/operations.md).
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "to", help: "the file to write (must not exist)")
        var to: String?
    }

    var help: String { "Copies the SQLite database to a file while it serves (a consistent snapshot)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let target = signature.to, !target.isEmpty else { throw CareError.missing("--to") }
        guard context.application.care.config.database.isSQLite else {
            throw CareError.postgresBackup(message: "on PostgreSQL, back up with pg_dump (see docs/operations.md)")
        }
        guard !FileManager.default.fileExists(atPath: target) else {
            throw CareError.exists(message: "\(target) exists already; choose a new file")
        }
        let started = Date()
        try await SQLiteFile.backUp(into: target, on: context.application.db)
        let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        context.console.print("Backed up to \(target) (\(size) bytes) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }
}
