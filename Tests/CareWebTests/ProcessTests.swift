import Foundation
import Vapor
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The executable itself: its commands, its first start, and durability across `kill -9`.
final class ProcessTests: XCTestCase {
    var workdir = ""

    override func setUp() {
        workdir = NSTemporaryDirectory() + "careloop-proc-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: workdir)
    }

    func testCreateStorePrintsOneJSONObjectAndRefusesDuplicates() throws {
        // act
        let args = ["create-store", "--name", "Tea Shop", "--slug", "tea-shop", "--owner-email", "t@tea.test", "--owner-password", "long enough pw"]
        let first = try CareloopProcess.run(args, env: ["CARELOOP_DATABASE_URL": "sqlite://db/care.sqlite"], cwd: workdir)
        let second = try CareloopProcess.run(args, env: ["CARELOOP_DATABASE_URL": "sqlite://db/care.sqlite"], cwd: workdir)
        // check
        XCTAssertEqual(first.status, 0, first.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: String], first.stdout)
        XCTAssertEqual(Set(json.keys), ["store_id", "slug", "api_key"])
        XCTAssertEqual(json["slug"], "tea-shop")
        XCTAssertTrue(json["api_key"]?.hasPrefix("clk_") == true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: workdir + "/db/care.sqlite"), "relative sqlite:// path is under the working folder")
        XCTAssertNotEqual(second.status, 0, "the slug is taken")
        XCTAssertTrue(second.stderr.contains("slug") || second.stdout.contains("slug"), second.stderr)
        // The key is never stored in clear.
        let dbBytes = try Data(contentsOf: URL(fileURLWithPath: workdir + "/db/care.sqlite"))
        XCTAssertNil(dbBytes.range(of: Data(json["api_key"]!.utf8)))
        let migrate = try CareloopProcess.run(["migrate"], env: ["CARELOOP_DATABASE_URL": "sqlite://db/care.sqlite"], cwd: workdir)
        XCTAssertEqual(migrate.status, 0, migrate.stderr)
    }

    func testReviewAcknowledgedWith201SurvivesKillDashNine() async throws {
        // setup: a server on a fresh SQLite file with the demo store
        let port = CareloopProcess.freePort()
        let env = ["CARELOOP_DATABASE_URL": "sqlite://care.sqlite"]
        let server = try await CareloopProcess.serve(port: port, env: env, cwd: workdir)
        let created = try CareloopProcess.run(
            ["create-store", "--name", "K", "--slug", "k-shop", "--owner-email", "k@k.test", "--owner-password", "long enough pw"], env: env,
            cwd: workdir)
        let key = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String])?["api_key"], created.stderr)

        // act: post reviews, and kill the server the moment the last 201 arrives
        var ids: [String] = []
        for i in 0..<20 {
            let (status, id) = try await postReview(port: port, key: key, email: "k\(i)@example.com", rating: 1 + i % 5)
            XCTAssertEqual(status, 201)
            ids.append(try XCTUnwrap(id))
        }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()

        // check: a new server on the same file has every acknowledged review
        // A port of its own: the next number may be anyone's (a CI run once found it taken).
        let againPort = CareloopProcess.freePort()
        let again = try await CareloopProcess.serve(port: againPort, env: env, cwd: workdir)
        defer {
            again.terminate()
            again.waitUntilExit()
        }
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(againPort)/api/v1/reviews?per_page=100")!)
        req.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: req)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["total"] as? Int, 20)
        let stored = Set(((json["reviews"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        XCTAssertEqual(stored, Set(ids))
    }

    func testBackupWhileServingHasEveryReviewAcknowledgedBeforeItBegan() async throws {
        // setup: a serving node and a store
        let port = CareloopProcess.freePort()
        let env = ["CARELOOP_DATABASE_URL": "sqlite://care.sqlite"]
        let server = try await CareloopProcess.serve(port: port, env: env, cwd: workdir)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let created = try CareloopProcess.run(
            ["create-store", "--name", "B", "--slug", "b-shop", "--owner-email", "b@b.test", "--owner-password", "long enough pw"], env: env,
            cwd: workdir)
        let key = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String])?["api_key"], created.stderr)
        func post(_ i: Int) async throws -> String? {
            let (status, id) = try await postReview(port: port, key: key, email: "b\(i)@example.com", rating: 1 + i % 5)
            return status == 201 ? id : nil
        }
        var before: [String] = []
        for i in 0..<100 { if let id = try await post(i) { before.append(id) } }
        XCTAssertEqual(before.count, 100)

        // act: back up while another 200 reviews are written
        let writer = Task {
            var n = 0
            for i in 100..<300 { if (try? await post(i)) != nil { n += 1 } }
            return n
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        let backup = try CareloopProcess.run(["backup", "--to", "copy.sqlite"], env: env, cwd: workdir)
        let written = await writer.value
        XCTAssertEqual(backup.status, 0, backup.stderr)
        XCTAssertTrue(backup.stdout.contains("Backed up to copy.sqlite"), backup.stdout)
        XCTAssertEqual(written, 200, "the writes went on during the backup")
        // a second backup to the same file is refused rather than overwriting it
        let again = try CareloopProcess.run(["backup", "--to", "copy.sqlite"], env: env, cwd: workdir)
        XCTAssertNotEqual(again.status, 0)

        // check: a server on the copy has every review acknowledged before the backup began
        let restoredPort = CareloopProcess.freePort()
        let restored = try await CareloopProcess.serve(port: restoredPort, env: ["CARELOOP_DATABASE_URL": "sqlite://copy.sqlite"], cwd: workdir)
        defer {
            restored.terminate()
            restored.waitUntilExit()
        }
        var ids = Set<String>()
        for page in 1...3 {
            var req = URLRequest(url: URL(string: "http://127.0.0.1:\(restoredPort)/api/v1/reviews?per_page=100&page=\(page)")!)
            req.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            let (data, _) = try await URLSession.shared.data(for: req)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            ids.formUnion(((json["reviews"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        }
        XCTAssertTrue(Set(before).isSubset(of: ids), "missing \(Set(before).subtracting(ids).count) of the reviews written before the backup")
    }
}

/// Posts a review of the kettle to a `careloop serve` process; the status and the new review's id.
func postReview(port: Int, key: String, email: String, rating: Int) async throws -> (Int, String?) {
    var req = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/reviews")!)
    req.httpMethod = "POST"
    req.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
    req.setValue("application/json", forHTTPHeaderField: "Content-Type")
    req.httpBody = try JSONSerialization.data(withJSONObject: reviewJSON(product: "kettle", email: email, rating: rating))
    let (data, response) = try await URLSession.shared.data(for: req)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String)
}

extension ProcessTests {
    /// The commands as typed: the file after the options, a progress line per 10 % when not on a
    /// terminal, the summary, and the skipped rows in a file beside the input.
    func testImportAndExportCommands() throws {
        // setup
        let env = ["CARELOOP_DATABASE_URL": "sqlite://care.sqlite"]
        let created = try CareloopProcess.run(
            ["create-store", "--name", "I", "--slug", "imp", "--owner-email", "i@i.test", "--owner-password", "long enough pw"], env: env,
            cwd: workdir)
        XCTAssertEqual(created.status, 0, created.stderr)
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/imports/yotpo.csv")
        try FileManager.default.copyItem(atPath: fixture.path, toPath: workdir + "/yotpo.csv")

        // act
        let imported = try CareloopProcess.run(["import", "reviews", "--store", "imp", "--format", "yotpo", "yotpo.csv"], env: env, cwd: workdir)
        // check
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("reviews: 5 rows read, 3 imported"), imported.stdout)
        XCTAssertTrue(imported.stdout.contains("2 skipped"), imported.stdout)
        XCTAssertTrue(imported.stderr.contains("100 % read"), imported.stderr)
        let skipped = try String(contentsOfFile: workdir + "/yotpo.csv.skipped.txt", encoding: .utf8)
        XCTAssertEqual(skipped, "line 5: review_score: '4.5' is not a whole number of stars\nline 6: email: is not an email address\n")

        // act: no skipped rows, listed to a device: the device stays
        try "review_id,product_id,rating,date\n77,K-9,5,2024-01-02\n".write(toFile: workdir + "/clean.csv", atomically: false, encoding: .utf8)
        let clean = try CareloopProcess.run(
            ["import", "reviews", "--store", "imp", "--format", "yotpo", "--skipped", "/dev/null", "clean.csv"], env: env, cwd: workdir)
        XCTAssertTrue(clean.stdout.contains("1 imported"), clean.stdout)
        XCTAssertEqual(clean.status, 0, clean.stderr)
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")

        // act: a format the command does not know, and the export
        let unknown = try CareloopProcess.run(["import", "reviews", "--store", "imp", "--format", "trustpilot", "yotpo.csv"], env: env, cwd: workdir)
        let exported = try CareloopProcess.run(["export", "reviews", "--store", "imp", "--format", "jsonl"], env: env, cwd: workdir)
        // check
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("judgeme|yotpo|okendo|careloop"), unknown.stderr)
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertEqual(exported.stdout.split(separator: "\n").count, 4, "3 from Yotpo, 1 from the clean file: \(exported.stdout)")
    }
}

extension ProcessTests {
    /// Links to the customer's page follow the address `serve --port` really listens on: they said
    /// `http://127.0.0.1:8080` whatever the port until this was fixed.
    func testCustomerPageLinksFollowTheServePort() async throws {
        // setup: a server on a port other than 8080, without CARELOOP_PUBLIC_URL
        let port = CareloopProcess.freePort()
        var env = ["CARELOOP_DATABASE_URL": "sqlite://care.sqlite"]
        env["CARELOOP_PUBLIC_URL"] = ""
        env["CARELOOP_PORT"] = ""
        let server = try await CareloopProcess.serve(port: port, env: env, cwd: workdir)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let created = try CareloopProcess.run(
            ["create-store", "--name", "P", "--slug", "port-shop", "--owner-email", "p@p.test", "--owner-password", "long enough pw"],
            env: env, cwd: workdir)
        let key = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String])?["api_key"], created.stderr)

        // act: a 1★ review opens a conversation; read it back with its page link
        let (status, _) = try await postReview(port: port, key: key, email: "unhappy@example.com", rating: 1)
        XCTAssertEqual(status, 201)
        var list = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/conversations")!)
        list.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (listData, _) = try await URLSession.shared.data(for: list)
        let conversations = try XCTUnwrap((try JSONSerialization.jsonObject(with: listData) as? [String: Any])?["conversations"] as? [[String: Any]])
        let id = try XCTUnwrap(conversations.first?["id"] as? String, String(decoding: listData, as: UTF8.self))
        var one = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/conversations/\(id)")!)
        one.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (oneData, _) = try await URLSession.shared.data(for: one)
        let page = try XCTUnwrap((try JSONSerialization.jsonObject(with: oneData) as? [String: Any])?["page_url"] as? String)

        // check
        XCTAssertTrue(page.hasPrefix("http://127.0.0.1:\(port)/c/"), page)
    }
}
