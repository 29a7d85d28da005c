import CareCore
import Foundation
import SQLKit
import Vapor
import XCTest

@testable import CareWeb

/// The executable's roles as a deployment uses them: `migrate` as the deploy step on PostgreSQL (safe
/// from two nodes at once), `serve` refusing a database that is behind, `worker` as its own process.
final class DeployRolesTests: XCTestCase {
    var workdir = ""

    override func setUp() {
        workdir = NSTemporaryDirectory() + "careloop-roles-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: workdir)
    }

    func testTwoMigratesStartedTogetherOnPostgresApplyEachMigrationOnce() async throws {
        try await withEmptyPostgresDatabase { url in try await twoMigratesAtOnce(url) }
    }

    func testTwoMigratesStartedTogetherOnOneSQLiteFileApplyEachMigrationOnce() async throws {
        try await twoMigratesAtOnce("sqlite://fresh.sqlite")
    }

    private func twoMigratesAtOnce(_ url: String) async throws {
        // act: two processes' deploy steps (or `serve` and `worker` after an upgrade) at the same moment
        let env = ["CARELOOP_DATABASE_URL": url]
        let dir = workdir
        async let first = Task.detached { try CareloopProcess.run(["migrate"], env: env, cwd: dir) }.value
        async let second = Task.detached { try CareloopProcess.run(["migrate"], env: env, cwd: dir) }.value
        let results = try await [first, second]

        // check: both succeed; one applied every migration, the other found nothing left to do
        for r in results { XCTAssertEqual(r.status, 0, r.stderr) }
        let outputs = results.map(\.stdout).sorted()
        XCTAssertEqual(
            outputs,
            [
                "Applied \(CareMigrations.all.count) migration(s); database is up to date.\n",
                "Database is up to date.\n",
            ], "\(results.map(\.stderr))")
    }

    func testServeRefusesAPostgresDatabaseThatIsBehindUnlessAskedToMigrate() async throws {
        try await withEmptyPostgresDatabase { url in
            let env = ["CARELOOP_DATABASE_URL": url]
            // act + check: a plain serve on an empty database says what to do and stops
            let refused = try CareloopProcess.run(
                ["serve", "--hostname", "127.0.0.1", "--port", String(CareloopProcess.freePort())],
                env: env, cwd: workdir, timeout: 60)
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("run `careloop migrate` first"), refused.stderr)
            // with --auto-migrate it migrates and serves; after that a plain serve starts too
            let migrating = try await CareloopProcess.serve(port: CareloopProcess.freePort(), env: env, cwd: workdir, extra: ["--auto-migrate"])
            migrating.terminate()
            migrating.waitUntilExit()
            let plain = try await CareloopProcess.serve(port: CareloopProcess.freePort(), env: env, cwd: workdir)
            plain.terminate()
            plain.waitUntilExit()
        }
    }

    func testAWorkerProcessDeliversWhatAServerWithoutItsWorkerQueued() async throws {
        // setup: a mail server, a store, and `serve` told to leave deliveries to worker processes
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        let env = [
            "CARELOOP_DATABASE_URL": "sqlite://care.sqlite", "CARELOOP_SMTP_URL": "smtp://127.0.0.1:\(sink.port)",
            "CARELOOP_MAIL_DOMAIN": "mail.test", "CARELOOP_SERVE_WORKER": "0",
        ]
        let key = try CareloopProcess.createStore(slug: "roles", env: env, cwd: workdir)
        let port = CareloopProcess.freePort()
        let server = try await CareloopProcess.serve(port: port, env: env, cwd: workdir)
        defer { server.terminate() }
        let (status, _) = try await postReview(port: port, key: key, email: "unhappy@example.com", rating: 1)
        XCTAssertEqual(status, 201)
        try await Task.sleep(nanoseconds: 2_000_000_000)
        XCTAssertEqual(sink.messages().count, 0, "serve without its worker sends nothing")

        // act: a worker process starts
        let worker = try CareloopProcess.start(["worker"], env: env, cwd: workdir, log: workdir + "/worker.log")
        defer { if worker.isRunning { worker.terminate() } }

        // check: the care mail leaves, and the worker stops cleanly when told to
        let mails = try await sink.waitFor(1, to: "unhappy@example.com", timeout: 20)
        XCTAssertEqual(mails.count, 1)
        worker.terminate()
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationStatus, 0, (try? String(contentsOfFile: workdir + "/worker.log", encoding: .utf8)) ?? "")
    }
}
