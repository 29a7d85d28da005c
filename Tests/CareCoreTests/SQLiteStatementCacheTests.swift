import Foundation
import XCTest

@testable import CareCore

/// A connection keeps its prepared statements within a fixed memory, whatever SQL an outsider's
/// requests lead to: a page's LIMIT and OFFSET are bound, not written into the text, the least
/// recently used statements go first, and statements that run once are not kept.
final class SQLiteStatementCacheTests: SQLiteFileTestCase {
    func testPagingNumbersBecomeParametersAndNothingElseChanges() {
        // act + check: LIMIT and OFFSET at the end become the next parameters
        let (text, binds) = SQLiteHandle.bindingPaging("SELECT id FROM reviews WHERE store_id = ?1 ORDER BY id LIMIT 10 OFFSET 120", [.text("s")])
        XCTAssertEqual(text, "SELECT id FROM reviews WHERE store_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3")
        XCTAssertEqual(binds, [.text("s"), .integer(10), .integer(120)])
        // a lone LIMIT (SQLite plans with its number), already bound, inside a subquery, or not a LIMIT: untouched
        for sql in [
            "SELECT 1 FROM t LIMIT 5", "SELECT 1 FROM t LIMIT ?1 OFFSET 4", "SELECT 1 FROM t LIMIT ?1", "SELECT * FROM (SELECT 1 FROM t LIMIT 3)",
            "SELECT 5", "SELECT a FROM t WHERE b = 'x OFFSET 4'",
            "SELECT a FROM t ORDER BY b OFFSET 4", "SELECT a FROM t WHERE UNLIMIT 9",
        ] {
            XCTAssertEqual(SQLiteHandle.bindingPaging(sql, []).0, sql)
        }
    }

    func testTextTheRewriteMisreadsRunsAsWritten() throws {
        // setup
        let handle = try SQLiteHandle(path: path)
        try handle.execute("CREATE TABLE items (n INTEGER)")
        _ = try handle.query("INSERT INTO items (n) VALUES (1), (2), (3)", [])
        // act: a statement whose text ends in a comment that looks like a page
        let rows = try handle.query("SELECT n FROM items ORDER BY n -- LIMIT 1 OFFSET 1", [])
        // check: all three rows, no bind error
        XCTAssertEqual(rows.count, 3)
    }

    func testEveryPageOfAListIsOneStatement() throws {
        // setup: 300 rows
        let handle = try SQLiteHandle(path: path)
        try handle.execute("CREATE TABLE items (n INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        try handle.execute("BEGIN")
        for n in 0..<300 { _ = try handle.query("INSERT INTO items (n, label) VALUES (?1, ?2)", [.integer(Int64(n)), .text("item \(n)")]) }
        try handle.execute("COMMIT")
        let before = handle.statementCache.count

        // act: every page at three page sizes, as a public list is asked for
        for size in [5, 10, 20] {
            for page in 0..<(300 / size) {
                let rows = try handle.query("SELECT n FROM items ORDER BY n LIMIT \(size) OFFSET \(page * size)", [])
                // check: the right rows
                XCTAssertEqual(try rows.map { try $0.decode(column: "n", as: Int.self) }, Array((page * size)..<(page * size + size)))
            }
        }

        // check: one statement more, not one per page
        XCTAssertEqual(handle.statementCache.count, before + 1)
    }

    func testTheCacheStaysWithinItsBoundsAndSchemaChangesAreNotKept() throws {
        // setup
        let handle = try SQLiteHandle(path: path)
        try handle.execute("CREATE TABLE wide (a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, f TEXT, g TEXT, h TEXT)")
        XCTAssertEqual(handle.statementCache.count, 0, "CREATE and PRAGMA run once and are not kept")

        // act: many distinct statements, as lists of every length from outside would make
        for n in 1...600 {
            let placeholders = (1...(n % 40 + 1)).map { "?\($0)" }.joined(separator: ", ")
            let rows = try handle.query(
                "SELECT a, b, c, d, e, f, g, h, \(n) AS n FROM wide WHERE a IN (\(placeholders))",
                (0...(n % 40)).map { .text("v\($0)") })
            XCTAssertEqual(rows.count, 0)
        }
        // check: bounded by count and bytes, and a statement still answers right after being evicted
        let cache = handle.statementCache
        XCTAssertLessThanOrEqual(cache.count, SQLiteHandle.maxCachedStatements)
        XCTAssertLessThanOrEqual(cache.bytes, SQLiteHandle.maxCachedBytes)
        XCTAssertGreaterThan(cache.count, 10, "recent statements are kept")
        let again = try handle.query("SELECT 1 + ?1 AS x FROM wide UNION ALL SELECT 2 + ?1", [.integer(1)])
        XCTAssertEqual(try again.first?.decode(column: "x", as: Int.self), 3)
    }
}

/// CareLoop's own reading of a UUID's text agrees with Foundation's, and refuses what it refuses.
final class UUIDTextTests: XCTestCase {
    func testReadsWhatFoundationReadsAndRefusesTheRest() {
        for _ in 0..<200 {
            let u = UUID()
            XCTAssertEqual(UUIDText.parse(u.uuidString), u)
            XCTAssertEqual(UUIDText.parse(u.uuidString.lowercased()), u)
        }
        let good = UUID().uuidString
        for bad in [
            "", "x", String(good.dropLast()), good + "0", good.replacingOccurrences(of: "-", with: "_"),
            "G" + good.dropFirst(), String(good.prefix(8)) + "0" + good.dropFirst(9), "é" + good.dropFirst(2),
        ] {
            XCTAssertNil(UUIDText.parse(bad), bad)
            XCTAssertNil(UUID(uuidString: bad), "Foundation refuses \(bad) too")
        }
    }
}
