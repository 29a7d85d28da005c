import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The built `careloop` executable, run as a real process: for what only a process shows
/// (command-line output, surviving `kill -9`).
struct CareloopProcess {
    static var binary: String {
        get throws {
            if let env = ProcessInfo.processInfo.environment["CARELOOP_BIN"], !env.isEmpty { return env }
            // Tests/CareWebTests/Support/CareloopProcess.swift -> package root
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let path = root.appendingPathComponent(".build/debug/careloop").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestFailure("no careloop binary at \(path): run `swift build` first (scripts/test does)")
            }
            return path
        }
    }

    /// Runs a command to completion and returns its standard output; one still running after
    /// `timeout` seconds (a `serve` that should have refused to start) is stopped.
    static func run(
        _ args: [String], env: [String: String], cwd: String,
        timeout: Double = 300
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        deadline.cancel()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Starts `careloop serve` and waits until /healthz answers.
    static func serve(port: Int, env: [String: String], cwd: String, extra: [String] = []) async throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary)
        p.arguments = ["serve", "--hostname", "127.0.0.1", "--port", String(port)] + extra
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<300 {
            // A server that could not start (its port taken, say) says so now, not after 30 s.
            guard p.isRunning else { throw TestFailure("careloop serve on port \(port) exited with status \(p.terminationStatus)") }
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return p
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        p.terminate()
        throw TestFailure("careloop serve did not answer on port \(port)")
    }

    /// Starts a long-running command (`worker`) with its output kept in `log`.
    static func start(_ args: [String], env: [String: String], cwd: String, log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    static func freePort() -> Int { RecordingServer.freePort() }

    /// `careloop create-store` with the slug as name and owner; the new store's API key.
    static func createStore(slug: String, env: [String: String], cwd: String) throws -> String {
        let made = try run(
            ["create-store", "--name", slug, "--slug", slug, "--owner-email", "o@\(slug).test", "--owner-password", "long enough pw"],
            env: env, cwd: cwd)
        guard made.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String],
            let key = json["api_key"]
        else { throw TestFailure("create-store failed (\(made.status)): \(made.stderr)") }
        return key
    }
}
