import AsyncHTTPClient
import CareCore
import Foundation
import NIOCore
import Vapor
import XCTest

@testable import CareWeb

/// A request still running when the application stops ends cleanly: its handler's last steps reach
/// the services it started with (Vapor empties the application's storage on shutdown), never a crash.
final class ShutdownTests: XCTestCase {
    func testARequestStillRunningWhenTheApplicationStopsEndsCleanly() async throws {
        // setup: an application and a handler that waits, in flight, until told to go on
        let path = NSTemporaryDirectory() + "careloop-shutdown-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var config = CareConfig()
        config.database = .sqlite(path: path)
        config.bcryptCost = 4
        config.undoSeconds = 7
        let app = try await buildApplication(config: config, environment: .testing)
        let (entered, enteredGo) = AsyncStream<Void>.makeStream()
        let (release, releaseGo) = AsyncStream<Void>.makeStream()
        app.get("in-flight") { req async throws -> String in
            enteredGo.yield()
            for await _ in release { break }
            // as a handler's cleanup does after its work: reach the services
            return "\(req.care.config.undoSeconds)"
        }
        let request = Request(application: app, method: .GET, url: URI(path: "/in-flight"), on: app.eventLoopGroup.next())
        let answer = Task { try await app.responder.respond(to: request).get() }
        guard await Self.first(of: entered, orAfterSeconds: 60) else {
            try await app.asyncShutdown()
            throw TestFailure("the request never reached the handler")
        }

        // act: the application stops while the request runs
        try await app.asyncShutdown()
        releaseGo.yield()

        // check: the request ends with its answer
        let response = try await answer.value
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.body.string, "7.0")
    }

    /// Over real HTTP: the server is told to stop while a slow request runs. Vapor's server lets the
    /// request finish before it closes, then the application stops; the client gets its answer (or, if
    /// the server ever cut it short, a closed connection), and the process lives on.
    func testAServerToldToStopLetsASlowRequestInFlightFinishCleanly() async throws {
        // setup: a real server on a free port with a handler that waits until told to go on
        let path = NSTemporaryDirectory() + "careloop-shutdown-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var config = CareConfig()
        config.database = .sqlite(path: path)
        config.bcryptCost = 4
        config.undoSeconds = 7
        let app = try await buildApplication(config: config, environment: .testing)
        app.logger.logLevel = .critical
        let (entered, enteredGo) = AsyncStream<Void>.makeStream()
        let (release, releaseGo) = AsyncStream<Void>.makeStream()
        app.get("slow") { req async throws -> String in
            enteredGo.yield()
            for await _ in release { break }
            return "\(req.care.config.undoSeconds)"
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var stopped = false
        do {
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try XCTUnwrap(app.listeningAddress?.port)
            let answer = Task { () -> Result<(UInt, String), any Error> in
                do {
                    let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow"), timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1024)
                    return .success((response.status.code, String(buffer: body)))
                } catch {
                    return .failure(error)
                }
            }
            // A guard against a hang, not a measure: the request reaches the handler long before this.
            guard await Self.first(of: entered, orAfterSeconds: 60) else {
                answer.cancel()
                throw TestFailure("the request never reached the handler")
            }

            // act: the server and then the application stop while the request runs
            let stopping = Task {
                await app.server.shutdown()
                try await app.asyncShutdown()
            }
            // The server is most likely stopping by now; either order must end cleanly, so this pause
            // only makes the interesting one likely, and the verdict does not depend on it.
            try await Task.sleep(nanoseconds: 100_000_000)
            releaseGo.yield()
            try await stopping.value
            stopped = true

            // check: an answer, or a connection closed; never a hang or a crash
            switch await answer.value {
            case .success(let (status, body)):
                XCTAssertEqual(status, 200)
                XCTAssertEqual(body, "7.0")
            case .failure(let error):
                let closed = (error as? HTTPClientError).map { $0 == .remoteConnectionClosed } ?? false
                XCTAssertTrue(closed, "the client got \(error), not an answer or a closed connection")
            }
        } catch {
            releaseGo.yield()
            if !stopped {
                await app.server.shutdown()
                try? await app.asyncShutdown()
            }
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Whether `stream` yields before `seconds` pass.
    static func first(of stream: AsyncStream<Void>, orAfterSeconds seconds: UInt64) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in stream { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: seconds * 1_000_000_000)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
