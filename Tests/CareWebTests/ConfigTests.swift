import Foundation
import XCTest

@testable import CareWeb

final class ConfigTests: XCTestCase {
    func testDatabaseURLForms() throws {
        XCTAssertEqual(try CareConfig.DatabaseLocation.parse("sqlite://careloop.sqlite"), .sqlite(path: "careloop.sqlite"))
        XCTAssertEqual(try CareConfig.DatabaseLocation.parse("sqlite:///var/lib/careloop/db.sqlite"), .sqlite(path: "/var/lib/careloop/db.sqlite"))
        XCTAssertEqual(try CareConfig.DatabaseLocation.parse("postgres://u:p@db:5432/care"), .postgres(url: "postgres://u:p@db:5432/care"))
        XCTAssertEqual(try CareConfig.DatabaseLocation.parse("postgresql://u@db/care"), .postgres(url: "postgresql://u@db/care"))
        XCTAssertThrowsError(try CareConfig.DatabaseLocation.parse("mysql://x"))
        XCTAssertThrowsError(try CareConfig.DatabaseLocation.parse("sqlite://"))
    }

    func testEnvironmentIsReadAndCheckedAtStart() throws {
        let c = try CareConfig.fromEnvironment(["CARELOOP_PORT": "9090", "CARELOOP_HOST": "0.0.0.0"])
        XCTAssertEqual(c.port, 9090)
        XCTAssertEqual(c.publicURL, "http://127.0.0.1:9090", "a wildcard host is named as an address a browser can open")
        XCTAssertEqual(c.database, .sqlite(path: "careloop.sqlite"))
        XCTAssertNil(c.secret, "no secret is built in")
        XCTAssertThrowsError(try CareConfig.fromEnvironment(["CARELOOP_PORT": "eighty"]))
        XCTAssertThrowsError(try CareConfig.fromEnvironment(["CARELOOP_SECRET": "short"]))
        for bad in ["abc", "7200", "-1", "nan"] {
            XCTAssertThrowsError(try CareConfig.fromEnvironment(["CARELOOP_RULES_CACHE_SECONDS": bad]), bad)
        }
        XCTAssertEqual(try CareConfig.fromEnvironment(["CARELOOP_RULES_CACHE_SECONDS": "0.5"]).rulesCacheSeconds, 0.5)
        let withSecret = try CareConfig.fromEnvironment(["CARELOOP_SECRET": String(repeating: "s", count: 40)])
        XCTAssertEqual(withSecret.secret?.count, 40)
    }

    func testServeOptionsDecideThePublicAddressUnlessItIsSet() throws {
        // setup
        var plain = try CareConfig.fromEnvironment([:])
        var named = try CareConfig.fromEnvironment(["CARELOOP_PUBLIC_URL": "https://care.shop.test"])
        var bound = try CareConfig.fromEnvironment([:])
        var equals = try CareConfig.fromEnvironment([:])
        // act
        try plain.listen(arguments: ["serve", "--hostname", "127.0.0.1", "--port", "18333"])
        try named.listen(arguments: ["serve", "-p", "18333"])
        try bound.listen(arguments: ["serve", "-b", "localhost:9001"])
        try equals.listen(arguments: ["--port=9002", "--env", "production"])
        // check
        XCTAssertEqual(plain.publicURL, "http://127.0.0.1:18333")
        XCTAssertEqual(plain.port, 18333)
        XCTAssertEqual(named.publicURL, "https://care.shop.test")
        XCTAssertEqual(named.port, 18333)
        XCTAssertEqual(bound.publicURL, "http://localhost:9001")
        XCTAssertEqual(equals.publicURL, "http://127.0.0.1:9002")
        for bad in [["--port", "99999"], ["--port"], ["-b", "nohost"], ["--port", "x"]] {
            var c = CareConfig()
            XCTAssertThrowsError(try c.listen(arguments: bad), "\(bad)")
        }
    }

    func testGeneratedSecretIsKeptInTheDatabaseAndSharedByRestarts() async throws {
        // setup: a fresh SQLite file
        let path = NSTemporaryDirectory() + "careloop-secret-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        var config = CareConfig()
        config.database = .sqlite(path: path)
        // act
        let first = try await buildApplication(config: config, environment: .testing)
        let secret1 = first.care.secret
        try await first.asyncShutdown()
        let second = try await buildApplication(config: config, environment: .testing)
        let secret2 = second.care.secret
        try await second.asyncShutdown()
        // check
        XCTAssertGreaterThanOrEqual(secret1.count, 60)
        XCTAssertEqual(secret1, secret2)
        let other = NSTemporaryDirectory() + "careloop-secret-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: other + s) } }
        config.database = .sqlite(path: other)
        let third = try await buildApplication(config: config, environment: .testing)
        XCTAssertNotEqual(third.care.secret, secret1, "each installation makes its own")
        try await third.asyncShutdown()
    }
}
