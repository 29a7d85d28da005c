import CSQLite
import Foundation
import NIOCore
import NIOPosix
import SQLKit
import XCTest

@testable import CareCore

final class SQLiteConnectionsTests: SQLiteFileTestCase {
    /// Two copies of SQLite in one process, each with its own file locks, corrupt a shared file.
    /// CareLoop's calls must reach the system library, and no vendored copy may be linked beside it.
    func testTheOnlySQLiteIsTheSystemLibrary() throws {
        // act
        let version = String(cString: sqlite3_libversion())
        // /proc files report no size: read them to the end.
        let maps = String(decoding: try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data(), as: UTF8.self)

        // check
        XCTAssertEqual(version, SQLiteFile.libraryVersion)
        XCTAssertTrue(maps.contains("libsqlite3.so"), "the system's libsqlite3 is loaded")
        XCTAssertTrue(SQLiteFile.libraryIsRecentEnough, SQLiteFile.libraryVersion)
        // The name is put together at run time, so this test's own text is not what it finds.
        let vendoredOpen = ["sqlite", "nio", "sqlite3", "open", "v2"].joined(separator: "_")
        XCTAssertFalse(try executableContains(vendoredOpen), "sqlite-nio's vendored SQLite is linked into the process")
    }

    /// Values are stored the way files written by earlier versions hold them, and read back exactly.
    func testValuesRoundTripInTheFormatsFilesHold() async throws {
        // setup
        let handle = try SQLiteHandle(path: path)
        let sql = DirectSQLiteDatabase(handle: handle, logger: .init(label: "test"), eventLoop: MultiThreadedEventLoopGroup.singleton.any())
        try await sql.raw(
            "CREATE TABLE t (text TEXT, empty TEXT, big INTEGER, small INTEGER, x REAL, at REAL, id TEXT, yes INTEGER, absent TEXT, status TEXT, tags TEXT)"
        ).run()
        let at = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let id = UUID()
        let text = "a\u{0}b 😀 \u{202E}"

        // act
        try await sql.insert(into: "t")
            .columns("text", "empty", "big", "small", "x", "at", "id", "yes", "absent", "status", "tags")
            .values(
                SQLBind(text), SQLBind(""), SQLBind(Int.max), SQLBind(Int.min), SQLBind(0.1), SQLBind(at), SQLBind(id), SQLBind(true),
                SQLBind(String?.none), SQLBind(ReviewStatus.published), SQLBind(["care", "loop"])
            )
            .run()
        let row = try await sql.raw(
            "SELECT *, typeof(at) AS at_type, typeof(id) AS id_type, typeof(yes) AS yes_type, typeof(absent) AS absent_type FROM t"
        ).first()

        // check
        let read = try XCTUnwrap(row)
        XCTAssertEqual(try read.decode(column: "text", as: String.self), text, "text with a NUL is stored whole")
        XCTAssertEqual(try read.decode(column: "empty", as: String.self), "")
        XCTAssertEqual(try read.decode(column: "big", as: Int.self), Int.max)
        XCTAssertEqual(try read.decode(column: "small", as: Int.self), Int.min)
        XCTAssertEqual(try read.decode(column: "x", as: Double.self), 0.1)
        XCTAssertEqual(try read.decode(column: "at", as: Date.self), at)
        XCTAssertEqual(try read.decode(column: "id", as: UUID.self), id)
        XCTAssertEqual(try read.decode(column: "id", as: String.self), id.uuidString)
        XCTAssertEqual(try read.decode(column: "yes", as: Bool.self), true)
        XCTAssertNil(try read.decode(column: "absent", as: String?.self))
        XCTAssertEqual(try read.decode(column: "status", as: ReviewStatus.self), .published)
        XCTAssertEqual(try read.decode(column: "tags", as: [String].self), ["care", "loop"])
        XCTAssertEqual(try read.decode(column: "tags", as: String.self), #"["care","loop"]"#)
        let types = try ["at_type", "id_type", "yes_type", "absent_type"].map { try read.decode(column: $0, as: String.self) }
        XCTAssertEqual(types, ["real", "text", "integer", "null"])
        XCTAssertThrowsError(try read.decode(column: "text", as: Int.self), "text is not read as a number")
        XCTAssertThrowsError(try read.decode(column: "status", as: ConversationStatus.self), "an unknown enum value is an error")
    }

    /// The less common values: an empty blob stays a blob, small and unsigned integers, floats, a
    /// date SQL wrote as text, and a number too big for SQLite refused rather than cut.
    func testLessCommonValues() async throws {
        // setup
        let handle = try SQLiteHandle(path: path)
        let sql = DirectSQLiteDatabase(handle: handle, logger: .init(label: "test"), eventLoop: MultiThreadedEventLoopGroup.singleton.any())

        // act
        let row = try await sql.raw(
            "SELECT \(bind: Data()) AS empty, typeof(\(bind: Data())) AS empty_type, \(bind: Int16(-5)) AS small, \(bind: UInt8(200)) AS byte, \(bind: Float(1.5)) AS f, '2026-11-24 06:40:00' AS at"
        ).first()
        let tooBig = await Task { try await sql.raw("SELECT \(bind: UInt64.max) AS n").run() }.result

        // check
        let read = try XCTUnwrap(row)
        XCTAssertEqual(try read.decode(column: "empty", as: Data.self), Data())
        XCTAssertEqual(try read.decode(column: "empty_type", as: String.self), "blob")
        XCTAssertEqual(try read.decode(column: "small", as: Int16.self), -5)
        XCTAssertEqual(try read.decode(column: "byte", as: UInt8.self), 200)
        XCTAssertThrowsError(try read.decode(column: "byte", as: Int8.self), "200 does not fit an Int8")
        XCTAssertEqual(try read.decode(column: "f", as: Float.self), 1.5)
        XCTAssertEqual(try read.decode(column: "at", as: Date.self), Date(timeIntervalSince1970: 1_795_502_400))
        guard case .failure = tooBig else { return XCTFail("a UInt64 past Int64.max must be refused") }
    }

    /// A quick read runs on the caller's own thread; a read past its inline budget is stopped and run
    /// again on a reader thread, with the same result.
    func testAQuickReadRunsInlineAndALongReadMovesToAReaderThread() async throws {
        // setup
        let connections = SQLiteConnections(path: path)
        defer { connections.close() }

        // act
        let quick = try await connections.withHandle { handle in
            (try handle.query("SELECT 1 AS n", [])[0].decode(column: "n", as: Int.self), Self.threadName())
        }
        let long = try await connections.withHandle { handle in
            (try handle.query(Self.counting(3_000_000), [])[0].decode(column: "n", as: Int.self), Self.threadName())
        }

        // check
        XCTAssertEqual(quick.0, 1)
        XCTAssertFalse(quick.1.hasPrefix("sqlite-reader"), "a quick read ran on \(quick.1)")
        XCTAssertEqual(long.0, 3_000_000)
        XCTAssertTrue(long.1.hasPrefix("sqlite-reader"), "a long read ran on \(long.1)")
        XCTAssertEqual(connections.movedCount, 0)
    }

    /// One store's long read (a deep page, a search) must not hold up anyone else's quick ones.
    func testALongReadDoesNotHoldUpQuickOnes() async throws {
        // setup
        let connections = SQLiteConnections(path: path, readerThreads: 1)
        defer { connections.close() }
        let longSQL = Self.counting(5_000_000)
        let long = Task { try await connections.withHandle { try $0.query(longSQL, [])[0].decode(column: "n", as: Int.self) } }
        for _ in 0..<500 where connections.movedCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }

        // act
        var quick: [Int] = []
        for i in 0..<20 {
            quick.append(try await connections.withHandle { try $0.query("SELECT \(i) AS n", [])[0].decode(column: "n", as: Int.self) })
        }

        // check
        XCTAssertEqual(quick, Array(0..<20))
        XCTAssertEqual(connections.movedCount, 1, "the long read is still running while the quick ones are done")
        let counted = try await long.value
        XCTAssertEqual(counted, 5_000_000)
    }

    /// Long reads waiting for a reader thread are bounded (past the bound: "busy", answered 503), and a
    /// cancelled request's read stops at once instead of running on.
    func testMovedReadsAreBoundedAndACancelledOneStops() async throws {
        // setup
        let connections = SQLiteConnections(path: path, readerThreads: 1, maxMoved: 1)
        defer { connections.close() }
        let (endlessSQL, otherSQL) = (Self.counting(200_000_000), Self.counting(10_000_000))
        let endless = Task { try await connections.withHandle { try $0.query(endlessSQL, []).count } }
        for _ in 0..<500 where connections.movedCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }

        // act
        let refused = await Task { try await connections.withHandle { try $0.query(otherSQL, []).count } }.result
        try await Task.sleep(nanoseconds: 300_000_000) // well into its statement (which alone runs for a minute)
        endless.cancel()
        let stopped = await endless.result

        // check
        guard case .failure(let busy) = refused else { return XCTFail("a long read past the bound must be refused") }
        XCTAssertTrue(StorageOutage.matches(busy), "\(busy)")
        guard case .failure(let interrupted) = stopped else { return XCTFail("a cancelled read must stop") }
        XCTAssertEqual((interrupted as? DirectSQLiteError).map { $0.code & 0xFF }, SQLITE_INTERRUPT, "\(interrupted)")
        XCTAssertTrue(StorageOutage.matches(interrupted))
        XCTAssertEqual(connections.movedCount, 0)
    }

    /// Nobody waits for a read past its request's deadline: it is interrupted rather than left to run.
    func testAMovedReadIsGivenUpAtItsDeadline() async throws {
        // setup
        let connections = SQLiteConnections(path: path, maxReadTime: .milliseconds(300))
        defer { connections.close() }
        let endlessSQL = Self.counting(200_000_000) // a minute's work

        // act
        let result = await Task { try await connections.withHandle { try $0.query(endlessSQL, []).count } }.result

        // check
        guard case .failure(let error) = result else { return XCTFail("a read past its deadline must be given up") }
        XCTAssertEqual((error as? DirectSQLiteError).map { $0.code & 0xFF }, SQLITE_INTERRUPT, "\(error)")
        XCTAssertTrue(StorageOutage.matches(error))
        XCTAssertEqual(connections.movedCount, 0)
    }

    /// A read from a task takes a free connection and runs at once: a write transaction open on the
    /// writer does not hold it up (WAL), and it sees only what was committed.
    func testReadsSeeCommittedRowsWhileTheWriterHoldsATransaction() async throws {
        // setup
        let writer = try SQLiteHandle(path: path)
        try writer.execute("CREATE TABLE t (n INTEGER)")
        try writer.execute("INSERT INTO t VALUES (1)")
        try writer.execute("BEGIN IMMEDIATE")
        try writer.execute("INSERT INTO t VALUES (2)")
        let connections = SQLiteConnections(path: path)

        // act
        let during = try await connections.withHandle { try $0.query("SELECT count(*) AS n FROM t", [])[0].decode(column: "n", as: Int.self) }
        try writer.execute("COMMIT")
        let after = try await connections.withHandle { try $0.query("SELECT count(*) AS n FROM t", [])[0].decode(column: "n", as: Int.self) }

        // check
        XCTAssertEqual(during, 1)
        XCTAssertEqual(after, 2)
        let mode = try writer.query("PRAGMA journal_mode", [])[0].decode(column: "journal_mode", as: String.self)
        XCTAssertEqual(mode, "wal")
        connections.close()
    }

    /// A read-only statement that takes as long as counting to `n` (a million takes some 0.1 s).
    private static func counting(_ n: Int) -> String {
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(n)) SELECT count(*) AS n FROM c"
    }

    private static func threadName() -> String {
        let comm = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/thread-self/comm")).readToEnd()) ?? Data()
        return String(decoding: comm ?? Data(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func executableContains(_ needle: String) throws -> Bool {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/exe"))
        defer { try? file.close() }
        let pattern = Data(needle.utf8)
        var tail = Data()
        while let chunk = try file.read(upToCount: 8 << 20), !chunk.isEmpty {
            let window = tail + chunk
            if window.range(of: pattern) != nil { return true }
            tail = window.suffix(pattern.count - 1)
        }
        return false
    }
}
