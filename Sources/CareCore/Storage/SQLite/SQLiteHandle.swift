import CSQLite
import Foundation
import NIOConcurrencyHelpers

/// One SQLite connection, driven directly and synchronously on the calling thread.
///
/// A driver that runs each statement on a thread pool and hops back to an event loop, parsing it
/// afresh each time, spends more on the hops than SQLite spends on a small read or write. Here
/// statements are prepared once, cached by their SQL text, and stepped inline. A handle is used by
/// one task at a time (the write queue, or a read connection checked out of `SQLiteConnections`);
/// its lock only guards against a transaction's closure running two statements at once.
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    private var statements: [String: CachedStatement] = [:]
    /// What the kept statements hold (SQLite's own count), and a clock for which was used last.
    private var cachedBytes = 0
    private var uses: UInt64 = 0
    private let lock = NIOLock()
    let path: String

    /// - Parameter writer: the write connection sets the file's journal to WAL and commits with
    ///   `synchronous=FULL`; read connections leave the file's settings as they are.
    init(path: String, writer: Bool = true) throws {
        Self.configureLibrary
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw DirectSQLiteError(code: SQLITE_CANTOPEN, message: "opening \(path): \(message)")
        }
        // Another process (a `careloop` command) may hold the write lock for a moment: wait for it.
        sqlite3_busy_timeout(db, 30_000)
        try execute("PRAGMA foreign_keys = ON")
        if writer { try execute("PRAGMA journal_mode = WAL") }
        // Read connections come and go with the load; each keeps 1 MiB of pages (SQLite's default is
        // 2 MiB) and finds the rest in the system's file cache, so a node's memory settles early.
        if !writer { try execute("PRAGMA cache_size = -1024") }
        try execute("PRAGMA synchronous = FULL")
        // Every few thousand steps SQLite asks whether to go on: a read over its inline budget stops
        // (and is run again on a reader thread, see `SQLiteConnections`).
        sqlite3_progress_handler(
            db, 2_000,
            { context in
                guard let context else { return 0 }
                return Unmanaged<SQLiteHandle>.fromOpaque(context).takeUnretainedValue().pastDeadline() ? 1 : 0
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Process-wide settings, once, before the first connection opens.
    private static let configureLibrary: Void = { _ = careloop_sqlite3_disable_memory_statistics() }()

    // MARK: Time limits

    /// Set by the one caller using the handle: how much of its thread's CPU time a read-only
    /// statement may take before it is stopped with `OverInlineBudget` (CPU time, so a quick read
    /// whose thread was merely pre-empted is not moved). Zero: no limit.
    var inlineBudgetNanos: UInt64 = 0
    /// Set by the one caller using the handle: a monotonic time (`DispatchTime` nanoseconds) at which
    /// any statement is interrupted (SQLITE_INTERRUPT). Zero: none.
    var stopAt: UInt64 = 0
    private var budgetEnd: UInt64 = 0
    private var stoppedForBudget = false

    /// A read ran past its inline budget and was stopped before handing over any row.
    struct OverInlineBudget: Error {}

    private func pastDeadline() -> Bool {
        if budgetEnd != 0, Self.threadCPUTime() > budgetEnd {
            stoppedForBudget = true
            return true
        }
        return stopAt != 0 && DispatchTime.now().uptimeNanoseconds > stopAt
    }

    private static func threadCPUTime() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    // MARK: Interrupting a run from another thread (a cancelled request)

    private let run = NIOLockedValueBox<(id: UInt64, running: Bool)>((0, false))

    /// Marks the start of a caller's use; `interrupt(run:)` with the returned id stops only that use.
    func beginRun() -> UInt64 {
        run.withLockedValue {
            $0.id &+= 1
            $0.running = true
            return $0.id
        }
    }

    func endRun() { run.withLockedValue { $0.running = false } }

    func interrupt(run id: UInt64) {
        run.withLockedValue { if $0.running && $0.id == id { sqlite3_interrupt(db) } }
    }

    deinit {
        for cached in statements.values { sqlite3_finalize(cached.statement) }
        sqlite3_close_v2(db)
    }

    /// Runs SQL without parameters or results (transaction control, pragmas).
    func execute(_ sql: String) throws {
        _ = try query(sql, [])
    }

    /// How many statements are kept prepared, and the bytes SQLite counts for them.
    var statementCache: (count: Int, bytes: Int) {
        lock.withLock { (statements.count, cachedBytes) }
    }

    /// Prepares (once), binds, steps and collects the rows of one statement.
    func query(_ original: String, _ originalBinds: [SQLiteValue]) throws -> [DirectSQLiteRow] {
        lock.lock()
        defer { lock.unlock() }
        var (sql, binds) = Self.worthKeeping(original) ? Self.bindingPaging(original, originalBinds) : (original, originalBinds)
        var (statement, kept) = try prepared(sql)
        // Text the rewrite misread (a comment, several statements) runs as it was written.
        if Int(sqlite3_bind_parameter_count(statement)) != binds.count, sql != original {
            if !kept { sqlite3_finalize(statement) }
            (sql, binds) = (original, originalBinds)
            (statement, kept) = try prepared(sql)
        }
        stoppedForBudget = false
        budgetEnd = inlineBudgetNanos > 0 && sqlite3_stmt_readonly(statement) != 0 ? Self.threadCPUTime() + inlineBudgetNanos : 0
        defer {
            budgetEnd = 0
            if kept {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            } else {
                sqlite3_finalize(statement)
            }
        }
        for (i, value) in binds.enumerated() {
            try check(bind(value, at: Int32(i + 1), in: statement), sql)
        }
        var rows: [DirectSQLiteRow] = []
        var columns: DirectSQLiteRow.Columns?
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else {
                if rc == SQLITE_INTERRUPT && stoppedForBudget { throw OverInlineBudget() }
                try check(rc, sql)
                return rows
            }
            let count = sqlite3_column_count(statement)
            if columns == nil {
                columns = DirectSQLiteRow.Columns(names: (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) })
            }
            rows.append(DirectSQLiteRow(columns: columns!, values: (0..<count).map { column(statement, $0) }))
        }
    }

    private struct CachedStatement {
        let statement: OpaquePointer
        let bytes: Int
        var lastUsed: UInt64
    }

    /// Statements kept prepared, at most this many and this many bytes a connection (a statement
    /// over a wide table holds ~13 KB). The least recently used go first. Most SQL texts are the
    /// code's own, but some carry one placeholder per item of a list from outside (`IN (?, ?, …)`).
    static let maxCachedStatements = 256
    static let maxCachedBytes = 1_536 * 1024

    /// Prepares `sql`, or takes it from the cache. `kept`: the statement stays cached (reset after
    /// use); otherwise the caller finalizes it. Schema changes and pragmas run once and are not kept.
    private func prepared(_ sql: String) throws -> (statement: OpaquePointer, kept: Bool) {
        uses &+= 1
        if let cached = statements[sql] {
            statements[sql]?.lastUsed = uses
            return (cached.statement, true)
        }
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), sql)
        guard let statement else { throw DirectSQLiteError(code: SQLITE_MISUSE, message: "empty statement: \(sql)") }
        guard Self.worthKeeping(sql) else { return (statement, false) }
        let bytes = Int(sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_MEMUSED, 0))
        // One statement as big as a good part of the room would empty the cache for itself.
        guard bytes <= Self.maxCachedBytes / 4 else { return (statement, false) }
        if statements.count >= Self.maxCachedStatements || cachedBytes + bytes > Self.maxCachedBytes {
            evict(toFit: bytes)
        }
        statements[sql] = CachedStatement(statement: statement, bytes: bytes, lastUsed: uses)
        cachedBytes += bytes
        return (statement, true)
    }

    /// Drops the least recently used statements until a quarter of the room is free besides `bytes`,
    /// so a run of new statements does not evict on every call.
    private func evict(toFit bytes: Int) {
        let byAge = statements.sorted { $0.value.lastUsed < $1.value.lastUsed }
        var index = byAge.startIndex
        while index < byAge.endIndex,
            statements.count > Self.maxCachedStatements * 3 / 4 || cachedBytes + bytes > Self.maxCachedBytes * 3 / 4
        {
            let (sql, cached) = byAge[index]
            sqlite3_finalize(cached.statement)
            statements[sql] = nil
            cachedBytes -= cached.bytes
            index += 1
        }
    }

    /// Statements that run once (creating tables and indexes, pragmas) are not worth their memory.
    static func worthKeeping(_ sql: String) -> Bool {
        let head = sql.utf8.prefix(8)
        for word in ["CREATE", "DROP", "ALTER", "PRAGMA"] where head.starts(with: word.utf8) { return false }
        return true
    }

    /// A page's `LIMIT n OFFSET m`, which the query builder writes as numbers into the text, bound as
    /// parameters instead: one prepared statement serves every page and page size an outsider asks for.
    static func bindingPaging(_ sql: String, _ binds: [SQLiteValue]) -> (String, [SQLiteValue]) {
        let utf8 = sql.utf8
        var end = utf8.endIndex
        /// The digits just before `end`, and the keyword before them, if they are there.
        func number(after keyword: String) -> (value: Int64, start: String.Index)? {
            var start = end
            while start > utf8.startIndex, let d = Optional(utf8[utf8.index(before: start)]), d >= 0x30 && d <= 0x39 {
                start = utf8.index(before: start)
            }
            guard start < end, utf8.distance(from: start, to: end) <= 18,
                let value = Int64(String(decoding: utf8[start..<end], as: UTF8.self)),
                utf8[..<start].reversed().starts(with: (" " + keyword + " ").utf8.reversed())
            else { return nil }
            return (value, utf8.index(start, offsetBy: -(keyword.utf8.count + 2)))
        }
        // Only a page (LIMIT with OFFSET): a lone `LIMIT 1` keeps its number, which SQLite plans with.
        guard let offset = number(after: "OFFSET") else { return (sql, binds) }
        end = offset.start
        guard let limit = number(after: "LIMIT") else { return (sql, binds) }
        let text = String(sql[..<limit.start]) + " LIMIT ?\(binds.count + 1) OFFSET ?\(binds.count + 2)"
        return (text, binds + [.integer(limit.value), .integer(offset.value)])
    }

    private func bind(_ value: SQLiteValue, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let n): return sqlite3_bind_int64(statement, index, n)
        case .float(let d): return sqlite3_bind_double(statement, index, d)
        case .text(let s):
            // Bound with its byte length, never up to a NUL: text is stored exactly as given.
            var s = s
            return s.withUTF8 { utf8 -> Int32 in
                // Empty text stays text (a nil pointer would bind NULL).
                guard !utf8.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, SQLITE_TRANSIENT_DESTRUCTOR) }
                return utf8.withMemoryRebound(to: CChar.self) {
                    sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT_DESTRUCTOR)
                }
            }
        case .blob(let bytes):
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes {
                sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT_DESTRUCTOR)
            }
        case .null: return sqlite3_bind_null(statement, index)
        }
    }

    private func column(_ statement: OpaquePointer, _ i: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, i))
        case SQLITE_FLOAT: return .float(sqlite3_column_double(statement, i))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, i))
            guard count > 0, let text = sqlite3_column_text(statement, i) else { return .text("") }
            return .text(String(decoding: UnsafeRawBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, i))
            guard count > 0, let bytes = sqlite3_column_blob(statement, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    private func check(_ rc: Int32, _ sql: String) throws {
        guard rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE else { return }
        let extended = sqlite3_extended_errcode(db)
        throw DirectSQLiteError(code: extended, message: "\(String(cString: sqlite3_errmsg(db))) [\(sql.prefix(200))]")
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
private let SQLITE_TRANSIENT_DESTRUCTOR = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
