import CareCore
import Foundation
import SQLKit
import XCTest

/// A new, empty database on the test PostgreSQL server, dropped afterwards.
func withEmptyPostgresDatabase(_ body: (String) async throws -> Void) async throws {
    guard let base = TestBackend.postgresURL, var url = URLComponents(string: base) else {
        if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must run this on PostgreSQL") }
        throw XCTSkip("needs CARELOOP_TEST_POSTGRES_URL")
    }
    let admin = try await TestServer.start(.postgres)
    let name = "careloop_scratch_\(UUID().uuidString.prefix(8).lowercased())"
    let sql = try XCTUnwrap(admin.app.db as? any SQLDatabase)
    try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
    url.path = "/" + name
    do {
        try await body(try XCTUnwrap(url.string))
    } catch {
        _ = try? await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
        await admin.stop()
        throw error
    }
    try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
    await admin.stop()
}
