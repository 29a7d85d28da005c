import CSQLite
import Foundation
import NIOCore
import NIOPosix
import SQLKit
import XCTest

@testable import CareCore

final class SQLiteConnectionsTests: XCTestCase {
    private var path = ""

    override func setUp() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("careloop-connections-\(UUID()).sqlite").path
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

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

    /// When every read connection is busy a read waits for one; past the bound it fails as "busy",
    /// which the application answers 503.
    func testBusyConnectionsMakeReadsWaitAndTheQueueIsBounded() async throws {
        // setup
        let writer = try SQLiteHandle(path: path)
        try writer.execute("CREATE TABLE t (n INTEGER)")
        try writer.execute("INSERT INTO t VALUES (42)")
        let connections = SQLiteConnections(path: path, maxConnections: 1, maxWaiting: 1)
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let held = try await connections.checkout(on: loop).get()

        // act
        let waiting = Task { try await connections.withHandle { try $0.query("SELECT n FROM t", []).count } }
        for _ in 0..<500 where connections.waitingCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        let refused = await Task { try await connections.withHandle { _ in 0 } }.result

        // check
        XCTAssertEqual(connections.waitingCount, 1, "the first read waits")
        guard case .failure(let error) = refused else { return XCTFail("a read past the queue's bound must fail") }
        XCTAssertTrue(StorageOutage.matches(error), "\(error)")
        connections.giveBack(held)
        let rows = try await waiting.value
        XCTAssertEqual(rows, 1, "the waiting read ran once a connection came back")
        XCTAssertEqual(connections.waitingCount, 0)
        connections.close()
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
        let connections = SQLiteConnections(path: path, maxConnections: 2)

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
