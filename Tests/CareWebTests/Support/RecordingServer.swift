import Foundation
import XCTest

/// A real server from Tests/support (a Python script) that writes each thing it receives to
/// DIR/NNNN.json. Subclasses say which script and how to wait for what they receive.
class RecordingServer: @unchecked Sendable {
    let port: Int
    let dir: String
    let script: String
    private var process: Process?

    init(script: String, port: Int? = nil) {
        self.script = script
        self.port = port ?? Self.freePort()
        self.dir = NSTemporaryDirectory() + "careloop-\(script.split(separator: ".")[0])-\(UUID().uuidString)"
    }

    /// A port nothing listens on now, from the kernel (bind to 0), rather than a random guess.
    static func freePort() -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]
        let out = Pipe()
        p.standardOutput = out
        try? p.run()
        p.waitUntilExit()
        return Int(
            String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? Int.random(in: 41_000...49_000)
    }

    static func supportFile(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("support/\(name)").path
    }

    func launch(_ extra: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.supportFile(script), "--port", String(port), "--dir", dir] + extra
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        // Wait for "ready".
        let ready = out.fileHandleForReading.availableData
        guard String(decoding: ready, as: UTF8.self).contains("ready") else {
            p.terminate()
            throw TestFailure("\(script) did not start (is aiosmtpd installed? scripts/test installs it)")
        }
        process = p
    }

    /// SIGKILL: the test process may ignore SIGTERM, and children inherit that.
    func stop() {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Everything received so far, oldest first.
    func records() -> [[String: Any]] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return files.compactMap { name in
            (try? Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    /// Waits until `count` records match `filter`, oldest first; fails after `timeout` seconds.
    func waitFor(_ count: Int, what: String, timeout: Double = 15, where filter: ([String: Any]) -> Bool) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var found: [[String: Any]] = []
        while Date() < deadline {
            found = records().filter(filter)
            if found.count >= count { return found }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw TestFailure("expected \(count) \(what) within \(timeout) s, got \(found.count)")
    }
}

/// A real SMTP server (aiosmtpd, in Tests/support/smtp_sink.py) that keeps what it receives.
final class SMTPSink: RecordingServer, @unchecked Sendable {
    init() { super.init(script: "smtp_sink.py") }

    func start(extra: [String] = []) throws { try launch(extra) }

    func messages() -> [[String: Any]] { records() }

    /// Waits until `count` messages have arrived for `recipient` (any recipient when nil), oldest first.
    /// (A shared test database may hold other tests' mail too.)
    func waitFor(_ count: Int, to recipient: String? = nil, timeout: Double = 15) async throws -> [[String: Any]] {
        try await waitFor(count, what: "email(s)\(recipient.map { " to \($0)" } ?? "")", timeout: timeout) { m in
            recipient.map { (m["rcpt_tos"] as? [String])?.contains($0) == true } ?? true
        }
    }
}

/// An SMTP relay that misbehaves (Tests/support/bad_relay.py): drips its replies, or answers out of step.
final class BadRelay: RecordingServer, @unchecked Sendable {
    let mode: String
    init(mode: String) {
        self.mode = mode
        super.init(script: "bad_relay.py")
    }

    func start() throws { try launch(["--mode", mode]) }
}

/// A DNS server (Tests/support/dns_txt.py) answering the TXT records a test publishes.
final class DNSServer: RecordingServer, @unchecked Sendable {
    init() { super.init(script: "dns_txt.py") }

    func start() throws { try launch([]) }

    var address: String { "127.0.0.1:\(port)" }

    func publish(_ records: [String: [String]]) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: records).write(to: URL(fileURLWithPath: dir + "/records.json"))
    }
}

/// A real HTTP server (Tests/support/webhook_receiver.py) that records each webhook and checks its
/// signature with Python's own HMAC against the secret written to `secretFile`.
final class WebhookReceiver: RecordingServer, @unchecked Sendable {
    var secretFile: String { dir + ".secret" }
    var url: String { "http://127.0.0.1:\(port)/hooks/careloop" }

    init() { super.init(script: "webhook_receiver.py") }

    func start(failFirst: Int = 0, status: Int = 204, trickle: Double = 0, answer: String = "") throws {
        try launch([
            "--secret-file", secretFile, "--fail-first", String(failFirst), "--status", String(status),
            "--trickle", String(trickle), "--answer", answer,
        ])
    }

    func trust(secret: String) throws {
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
    }

    /// Waits until `count` deliveries of `event` have arrived (answered with any status).
    func waitFor(_ count: Int, event: String, timeout: Double = 15) async throws -> [[String: Any]] {
        try await waitFor(count, what: "'\(event)' webhook(s)", timeout: timeout) { $0.event == event }
    }

    deinit { try? FileManager.default.removeItem(atPath: secretFile) }
}

extension Dictionary where Key == String, Value == Any {
    func header(_ name: String) -> String? { (self["headers"] as? [String: String])?[name.lowercased()] }

    /// A webhook record's body as JSON.
    var webhookBody: [String: Any]? {
        (self["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    var event: String? { webhookBody?["type"] as? String }
}
