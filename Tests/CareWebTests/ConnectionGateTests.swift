import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Vapor
import XCTest

@testable import CareWeb

/// 9 — one client address holds at most its share of connections; everyone else is still served,
/// and the rate limiters behind the gate still tell clients apart. (Linux routes all of 127/8 to
/// loopback, so 127.0.0.2 and 127.0.0.3 are other clients.)
final class ConnectionGateTests: XCTestCase {
    func testOneAddressOverItsShareIsTurnedAwayWhileOthersAreServed() async throws {
        try await onEachBackend(tweak: {
            $0.maxConnectionsPerAddress = 20
            $0.idleTimeoutSeconds = 30
        }) { server in
            // setup: 20 connections from 127.0.0.1 that never finish their request head
            let port = try XCTUnwrap(server.app.listeningAddress?.port)
            var slow: [any Channel] = []
            for _ in 0..<20 {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
                try await channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")).get()
                slow.append(channel)
            }
            try await waitUntil { server.app.connectionGate?.counts.open.total == 20 }

            // act: a 21st connection from the same address, and one from another address
            let refused = try await RawHTTP.get("/healthz", port: port, from: "127.0.0.1")
            let started = Date()
            let other = try await RawHTTP.get("/healthz", port: port, from: "127.0.0.2")

            // check: the 21st is told why (429, JSON, Retry-After); the other client is served at once
            XCTAssertTrue(refused.hasPrefix("HTTP/1.1 429"), refused)
            XCTAssertTrue(refused.contains("Retry-After: 1"), refused)
            XCTAssertTrue(refused.contains(#""code":"too_many_connections""#), refused)
            XCTAssertTrue(other.hasPrefix("HTTP/1.1 200"), other)
            XCTAssertLessThan(Date().timeIntervalSince(started), 1)

            // act: the slow connections go away; check: the address is served again
            for channel in slow { try? await channel.close() }
            try await waitUntil { server.app.connectionGate?.counts.open.total == 0 }
            let again = try await RawHTTP.get("/healthz", port: port, from: "127.0.0.1")
            XCTAssertTrue(again.hasPrefix("HTTP/1.1 200"), again)
        }
    }

    func testTheProcessWideCapTurnsAwayEveryoneOnceFull() async throws {
        try await onEachBackend(tweak: {
            $0.maxConnectionsPerAddress = 100
            $0.maxConnections = 5
        }) { server in
            // setup: five addresses each hold one connection
            let port = try XCTUnwrap(server.app.listeningAddress?.port)
            var held: [any Channel] = []
            for i in 2...6 {
                held.append(
                    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .bind(to: try SocketAddress(ipAddress: "127.0.0.\(i)", port: 0))
                        .connect(host: "127.0.0.1", port: port).get())
            }
            try await waitUntil { server.app.connectionGate?.counts.open.total == 5 }
            // act + check: a sixth client is told the server is full (503), not left hanging
            let full = try await RawHTTP.get("/healthz", port: port, from: "127.0.0.7")
            XCTAssertTrue(full.hasPrefix("HTTP/1.1 503"), full)
            XCTAssertTrue(full.contains(#""code":"server_full""#), full)
            for channel in held { try? await channel.close() }
            try await waitUntil { server.app.connectionGate?.counts.open.total == 0 }
            let served = try await RawHTTP.get("/healthz", port: port, from: "127.0.0.7")
            XCTAssertTrue(served.hasPrefix("HTTP/1.1 200"), served)
        }
    }

    func testRateLimitsBehindTheGateAreStillPerClient() async throws {
        try await onEachBackend(tweak: {
            $0.publicReviewBurst = 2
            $0.publicReviewPerMinute = 1
        }) { server in
            // setup
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "pen"))
            let port = try XCTUnwrap(server.app.listeningAddress?.port)
            let path = "/api/v1/public/stores/\(store.slug)/products/pen/reviews"
            func post(from address: String, _ i: Int) async throws -> String {
                try await RawHTTP.post(
                    path, json: #"{"rating":4,"author_name":"N\#(i)","author_email":"n\#(i)@example.com"}"#, port: port, from: address)
            }
            // act: client .2 spends its burst and more; then client .3 posts once
            var fromTwo: [String] = []
            for i in 0..<3 { fromTwo.append(String(try await post(from: "127.0.0.2", i).prefix(12))) }
            let fromThree = try await post(from: "127.0.0.3", 9)
            // check: only .2 is limited
            XCTAssertEqual(fromTwo, ["HTTP/1.1 201", "HTTP/1.1 201", "HTTP/1.1 429"])
            XCTAssertTrue(fromThree.hasPrefix("HTTP/1.1 201"), fromThree)
        }
    }

    func testWithoutTheGateTheServerListensDirectly() async throws {
        try await onEachBackend(tweak: { $0.maxConnectionsPerAddress = 0 }) { server in
            XCTAssertNil(server.app.connectionGate)
            XCTAssertEqual(server.app.listeningAddress?.port, server.app.http.server.shared.localAddress?.port)
            let r = try await server.send(.GET, "/healthz")
            XCTAssertEqual(r.status, .ok)
        }
    }

    func testASlowReaderGetsEveryAnswerBeforeTheConnectionCloses() async throws {
        try await onEachBackend(tweak: { $0.publicCacheSeconds = 0 }) { server in
            // setup: a product whose review list is about 100 KB a page
            let (store, key) = try await server.makeStore()
            for i in 0..<50 {
                _ = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(
                        product: "big", email: "r\(i)@example.com", rating: 5, body: String(repeating: "Lovely kettle. ", count: 125)))
            }
            let port = try XCTUnwrap(server.app.listeningAddress?.port)
            let path = "/api/v1/public/stores/\(store.slug)/products/big/reviews?per_page=50"
            let count = 80 // about 8 MB of answers: more than the kernel's socket buffers hold
            var requests = String(repeating: "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n", count: count - 1)
            requests += "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

            // act: send every request pipelined, read nothing for 3 s (the server finishes and closes), then read it all
            let collected = NIOLockedValueBox(ByteBuffer())
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(ChannelOptions.autoRead, value: false)
                .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4096)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RawHTTP.Collect(into: collected)) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.writeAndFlush(ByteBuffer(string: requests)).get()
            try await Task.sleep(nanoseconds: 3_000_000_000)
            try await channel.setOption(ChannelOptions.autoRead, value: true).get()
            let timeout = channel.eventLoop.scheduleTask(in: .seconds(60)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            timeout.cancel()

            // check: every answer arrived whole
            let text = collected.withLockedValue { String(buffer: $0) }
            XCTAssertEqual(text.components(separatedBy: "HTTP/1.1 200 OK").count - 1, count, "\(text.utf8.count) bytes")
            XCTAssertTrue(text.hasSuffix("}"), String(text.suffix(80)))
        }
    }

    func testClientsAreCountedByIPv4AddressOrIPv6Network() throws {
        func key(_ ip: String) throws -> String { ConnectionCounts.client(try SocketAddress(ipAddress: ip, port: 1)) }
        XCTAssertEqual(try key("203.0.113.7"), "203.0.113.7")
        XCTAssertEqual(try key("::ffff:203.0.113.7"), "203.0.113.7", "an IPv4 client on a dual-stack socket")
        XCTAssertEqual(try key("2001:db8:1:2::1"), try key("2001:db8:1:2:ffff:eeee:dddd:cccc"), "one /64 is one client")
        XCTAssertNotEqual(try key("2001:db8:1:2::1"), try key("2001:db8:1:3::1"))
        // and no one client may hold more than half the process's connections
        XCTAssertEqual(ConnectionCounts(limits: .init(perAddress: 256, total: 300)).limits.perAddress, 150)
    }

    private func waitUntil(_ condition: @escaping () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertTrue(condition(), "condition not reached within 2 s")
    }
}

/// One HTTP/1.1 exchange over a plain socket from a chosen source address; returns the whole answer.
enum RawHTTP {
    static func get(_ path: String, port: Int, from address: String) async throws -> String {
        try await exchange("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: port, from: address)
    }

    static func post(_ path: String, json: String, port: Int, from address: String) async throws -> String {
        try await exchange(
            "POST \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)",
            port: port, from: address)
    }

    private static func exchange(_ request: String, port: Int, from address: String) async throws -> String {
        let collected = NIOLockedValueBox(ByteBuffer())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: address, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collect(into: collected)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // A connection the gate turns away may be answered and closed before the request is written:
        // then the write fails, and the answer already read is what counts.
        try? await channel.writeAndFlush(ByteBuffer(string: request)).get()
        // The server closes after its answer (Connection: close); bound the wait all the same.
        let closed = channel.closeFuture
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        try? await closed.get()
        timeout.cancel()
        return collected.withLockedValue { String(buffer: $0) }
    }

    final class Collect: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let into: NIOLockedValueBox<ByteBuffer>
        init(into: NIOLockedValueBox<ByteBuffer>) { self.into = into }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            into.withLockedValue { $0.writeBuffer(&incoming) }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
