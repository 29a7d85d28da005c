import Foundation
import XCTest

/// A real SMTP server (aiosmtpd, in Tests/support/smtp_sink.py) that keeps what it receives.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    let dir: String
    private var process: Process?

    init(port: Int? = nil) {
        self.port = port ?? Self.freePort()
        self.dir = NSTemporaryDirectory() + "careloop-smtp-\(UUID().uuidString)"
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
        return Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? Int.random(in: 41_000...49_000)
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("support/smtp_sink.py").path
    }

    func start(extra: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.script, "--port", String(port), "--dir", dir] + extra
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        // Wait for "ready".
        let ready = out.fileHandleForReading.availableData
        guard String(decoding: ready, as: UTF8.self).contains("ready") else {
            p.terminate()
            throw TestFailure("the SMTP sink did not start (is aiosmtpd installed? scripts/test installs it)")
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

    /// Every message received so far, oldest first.
    func messages() -> [[String: Any]] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return files.compactMap { name in
            (try? Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    /// Waits until `count` messages have arrived for `recipient` (any recipient when nil), oldest first;
    /// fails after `timeout` seconds. (A shared test database may hold other tests' mail too.)
    func waitFor(_ count: Int, to recipient: String? = nil, timeout: Double = 15) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var found: [[String: Any]] = []
        while Date() < deadline {
            found = messages().filter { m in recipient.map { (m["rcpt_tos"] as? [String])?.contains($0) == true } ?? true }
            if found.count >= count { return found }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw TestFailure("expected \(count) email(s)\(recipient.map { " to \($0)" } ?? "") within \(timeout) s, got \(found.count)")
    }
}

extension Dictionary where Key == String, Value == Any {
    func header(_ name: String) -> String? { (self["headers"] as? [String: String])?[name.lowercased()] }
}
