import CareCore
import Foundation
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
        for await _ in entered { break }

        // act: the application stops while the request runs
        try await app.asyncShutdown()
        releaseGo.yield()

        // check: the request ends with its answer
        let response = try await answer.value
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.body.string, "7.0")
    }
}
