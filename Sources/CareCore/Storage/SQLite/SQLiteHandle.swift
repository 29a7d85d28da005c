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
    private var statements: [String: OpaquePointer] = [:]
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
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// Runs SQL without parameters or results (transaction control, pragmas).
    func execute(_ sql: String) throws {
        _ = try query(sql, [])
    }

    /// Prepares (once), binds, steps and collects the rows of one statement.
    func query(_ sql: String, _ binds: [SQLiteValue]) throws -> [DirectSQLiteRow] {
        lock.lock()
        defer { lock.unlock() }
        let statement = try prepared(sql)
        stoppedForBudget = false
        budgetEnd = inlineBudgetNanos > 0 && sqlite3_stmt_readonly(statement) != 0 ? Self.threadCPUTime() + inlineBudgetNanos : 0
        defer {
            budgetEnd = 0
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
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

    /// Statements kept prepared. The SQL texts are the code's own, but a few carry one placeholder per
    /// item of a list from outside (`IN (?, ?, …)`), so the cache is bounded all the same.
    static let maxCachedStatements = 512

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        if statements.count >= Self.maxCachedStatements {
            for statement in statements.values { sqlite3_finalize(statement) }
            statements.removeAll(keepingCapacity: true)
        }
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), sql)
        guard let statement else { throw DirectSQLiteError(code: SQLITE_MISUSE, message: "empty statement: \(sql)") }
        statements[sql] = statement
        return statement
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
