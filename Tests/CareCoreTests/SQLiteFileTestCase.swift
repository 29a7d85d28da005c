import Foundation
import XCTest

/// A test with its own SQLite file (`path`), removed with its WAL and shared-memory files afterwards.
class SQLiteFileTestCase: XCTestCase {
    private(set) var path = ""

    override func setUp() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("careloop-\(UUID()).sqlite").path
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
