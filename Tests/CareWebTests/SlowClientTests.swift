import Fluent
import NIOCore
import NIOPosix
import SQLKit
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// The attack corpus: one test per class of finding from the security review (issue 8), each tried

/// 9 — clients that open connections and never finish a request cannot exhaust the server.
final class SlowClientTests: XCTestCase {
    func testConnectionsThatNeverFinishTheirHeadersAreClosedAndHealthzStaysFast() async throws {
        // The gate's per-address cap is lifted here: this test is about the idle timeout.
        try await onEachBackend(tweak: {
            $0.idleTimeoutSeconds = 2
            $0.maxConnectionsPerAddress = 1_000
        }) { server in
            // setup: 500 connections, each sending half a request head and then nothing
            let port = try XCTUnwrap(server.app.listeningAddress?.port)
            let group = MultiThreadedEventLoopGroup.singleton
            var channels: [any Channel] = []
            for _ in 0..<500 {
                let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
                try await channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")).get()
                channels.append(channel)
            }
            // act + check: the server still answers at once
            let started = Date()
            let health = try await server.send(.GET, "/healthz")
            XCTAssertEqual(health.status, .ok)
            XCTAssertLessThan(Date().timeIntervalSince(started), 1)
            // and closes the idle ones by itself
            try await Task.sleep(nanoseconds: 4_000_000_000)
            let open = channels.filter(\.isActive).count
            XCTAssertEqual(open, 0, "\(open) idle connections still open after the idle timeout")
            for c in channels { try? await c.close() }
        }
    }
}
