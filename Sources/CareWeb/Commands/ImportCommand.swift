import CareCore
import Foundation
import Vapor

/// `careloop import reviews --store SLUG --format judgeme|yotpo|okendo|careloop FILE.csv` and
/// `careloop import orders --store SLUG [--format careloop|shopify] FILE.csv`: brings a shop's history over. Prints a summary;
/// each skipped row goes, with its line and reason, to `FILE.skipped.txt` (or `--skipped`).
struct ImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "kind", help: "reviews or orders")
        var kind: String
        @Argument(name: "file", help: "the CSV file")
        var file: String
        @Option(name: "store", help: "the store's slug") var store: String?
        @Option(name: "format", help: "reviews: judgeme, yotpo, okendo or careloop; orders: careloop (default) or shopify") var format: String?
        @Option(name: "skipped", help: "where skipped rows are listed (default FILE.skipped.txt)") var skipped: String?
        @Option(name: "batch-rows", help: "rows per transaction (1-10000, default 2000)") var batchRows: Int?
        @Flag(name: "dry-run", help: "read and check everything, write nothing") var dryRun: Bool
    }

    var help: String {
        "import reviews|orders --store SLUG [--format judgeme|yotpo|okendo|careloop] [--dry-run] FILE.csv: a shop's history from CSV. "
            + "Orders: CareLoop's layout, or --format shopify for Shopify's own orders export (admin → Orders → Export)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let slug = signature.store else { throw ConfigError("import needs --store SLUG") }
        guard let store = try await StoreService.store(slug: slug, on: app.db), let storeID = store.id else {
            throw ConfigError("no store '\(slug)'")
        }
        var info = stat()
        guard stat(signature.file, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR, let handle = FileHandle(forReadingAtPath: signature.file)
        else { throw ConfigError("cannot read \(signature.file) (no such file, or a folder)") }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: signature.file)[.size] as? Int) ?? 0
        let reader = CSVReader(handle: handle)
        let skippedPath = signature.skipped ?? signature.file + ".skipped.txt"
        // Never the input itself (a typo would replace the file being read).
        guard URL(fileURLWithPath: skippedPath).resolvingSymlinksInPath().path != URL(fileURLWithPath: signature.file).resolvingSymlinksInPath().path
        else { throw ConfigError("--skipped must not be the file being imported") }
        // Opened before anything is read: rows are never skipped into a file that cannot be written.
        let skipped = try SkippedRows(path: skippedPath)
        if app.care.config.database.isSQLite, !signature.dryRun {
            try await SQLiteFile.useImportCache(storage: app.care.storage, on: app.db)
        }
        let bar = ImportProgress(total: size, toTerminal: isatty(STDERR_FILENO) == 1)
        let started = Date()
        let line: String
        do {
            switch signature.kind {
            case "reviews":
                let name = signature.format ?? ""
                guard let format = ReviewImportFormat(rawValue: name) else {
                    throw ConfigError("import reviews needs --format \(ReviewImportFormat.allCases.map(\.rawValue).joined(separator: "|"))")
                }
                let batch = signature.batchRows ?? ReviewImport.Options.defaultBatch
                guard (1...10_000).contains(batch) else { throw ConfigError("--batch-rows is from 1 to 10000") }
                let s = try await ReviewImport.run(
                    reader, store: store, options: .init(format: format, dryRun: signature.dryRun, batchSize: batch), storage: app.care.storage,
                    on: app.db,
                    skip: skipped.add, progress: bar.show)
                line =
                    "reviews: \(s.rows) rows read, \(s.imported) \(signature.dryRun ? "to import" : "imported")"
                    + (signature.dryRun
                        ? "" : " (\(s.verified) verified by an order, \(s.held) held for a decision), \(s.productsCreated) new products")
                    + ", \(s.alreadyThere) imported before, \(s.skipped) skipped"
            case "orders":
                let s: OrderImport.Summary
                switch signature.format ?? "careloop" {
                case "careloop":
                    s = try await OrderImport.run(
                        reader, storeID: storeID, dryRun: signature.dryRun, storage: app.care.storage, on: app.db, skip: skipped.add,
                        progress: bar.show)
                case "shopify":
                    s = try await ShopifyOrderExport.run(
                        reader, storeID: storeID, dryRun: signature.dryRun, storage: app.care.storage, on: app.db, skip: skipped.add,
                        progress: bar.show)
                default:
                    throw ConfigError("import orders knows --format careloop (the default) or shopify")
                }
                line =
                    "orders: \(s.rows) rows read, \(s.created) \(signature.dryRun ? "to import" : "new orders"), \(s.updated) updated, "
                    + "\(s.skipped) rows skipped"
            default:
                throw ConfigError("import knows: reviews, orders")
            }
        } catch let problem as CSVReader.Problem {
            bar.finish()
            throw ConfigError("\(signature.file): \(problem) (nothing after it was read)")
        } catch let error as CareError {
            bar.finish()
            throw ConfigError("\(signature.file): \(error.message)")
        }
        bar.finish()
        try skipped.finish()
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print((signature.dryRun ? "dry run, nothing written. " : "") + line + " in \(seconds) s.")
        if skipped.count > 0 { print("Skipped rows, with their line and reason: \(skippedPath)") }
    }
}

/// The skipped rows' file: truncated at the start (no list from an earlier run is left in it), written
/// as rows are skipped, removed at the end when no row was.
final class SkippedRows: @unchecked Sendable {
    let path: String
    private let handle: FileHandle
    private(set) var count = 0
    private var failure: (any Error)?

    init(path: String) throws {
        self.path = path
        handle = try OutputFile.open(path)
    }

    func add(line: Int, reason: String) {
        count += 1
        // One row, one line: a line break inside a quoted value cannot make up another entry.
        let flat = String(String.UnicodeScalarView(reason.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        do { try handle.write(contentsOf: Data("line \(line): \(flat)\n".utf8)) } catch { failure = failure ?? error }
    }

    func finish() throws {
        try handle.close()
        if let failure { throw ConfigError("could not write the skipped rows to \(path): \(failure.localizedDescription)") }
        // Only a plain file is removed (`--skipped /dev/null` must leave the device alone).
        var info = stat()
        if count == 0, stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size == 0 {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

/// A file the commands write: opened in place (a link is followed, a device or pipe written to, never
/// replaced by a new file), emptied first.
enum OutputFile {
    static func open(_ path: String) throws -> FileHandle {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { throw ConfigError("\(path) is a folder") }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConfigError("cannot write \(path): \(String(cString: strerror(errno)))") }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}

/// Messages to the terminal; a closed or full stderr is not worth a crash.
func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
}

/// A bar redrawn in place on a terminal; a plain line per 10 % otherwise (logs, CI).
final class ImportProgress: @unchecked Sendable {
    let total: Int
    let toTerminal: Bool
    private var lastTenth = 0
    private var drawn = false

    init(total: Int, toTerminal: Bool) {
        self.total = max(total, 1)
        self.toTerminal = toTerminal
    }

    func show(_ bytes: Int) {
        let percent = min(100, bytes * 100 / total)
        if toTerminal {
            let filled = percent * 30 / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
            printError("\r[\(bar)] \(percent) %")
            drawn = true
        } else if percent / 10 > lastTenth {
            lastTenth = percent / 10
            printError("\(lastTenth * 10) % read\n")
        }
    }

    func finish() {
        if drawn { printError("\n") }
        drawn = false
    }
}
