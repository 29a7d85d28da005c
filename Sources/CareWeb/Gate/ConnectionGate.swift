import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Vapor

/// CareLoop's listening socket. Vapor's HTTP server offers no hook on accepted connections, so the
/// gate accepts them itself, counts them per client address, turns away a client over its share
/// (and everyone once the process holds its total), and relays the rest byte for byte to Vapor's
/// server listening on a private loopback port. Slow clients from one address can therefore hold
/// at most `perAddress` connections, each for at most the idle timeout, and never every socket.
final class ConnectionGate: Server, Sendable {
    let counts: ConnectionCounts
    private let application: Application
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)
    /// Vapor's private port, known once it listens; the gate accepts nobody before.
    private let target = NIOLockedValueBox<SocketAddress?>(nil)

    init(application: Application, limits: ConnectionCounts.Limits) {
        self.application = application
        self.counts = ConnectionCounts(limits: limits)
    }

    /// Vapor's server, made on first use: it takes the routes and middleware as they are then.
    private var inner: HTTPServer { application.http.server.shared }

    var onShutdown: EventLoopFuture<Void> { inner.onShutdown }

    /// The relay always connects from here, so the server knows a relayed connection by its peer.
    static let relaySource: SocketAddress? = try? SocketAddress(ipAddress: "127.0.0.1", port: 0)

    /// Whether a connection the HTTP server accepted came through the gate's relay.
    static func isRelay(_ peer: SocketAddress?) -> Bool { peer?.ipAddress == "127.0.0.1" }

    /// Where clients connect (the relay's own port is private).
    var localAddress: SocketAddress? { listener.withLockedValue { $0?.localAddress } }

    // The public port is bound first: were Vapor's private port taken first, the kernel could give
    // it the very port the caller had just found free and meant for the public one.
    func start(address: BindAddress?) throws {
        try startGate(address: address).wait()
        do {
            try inner.start(address: .hostname("127.0.0.1", port: 0))
            try openGate().wait()
        } catch {
            try? listener.withLockedValue { $0 }?.close().wait()
            throw error
        }
    }

    func start(address: BindAddress?) async throws {
        try await startGate(address: address).get()
        do {
            try await inner.start(address: .hostname("127.0.0.1", port: 0))
            try await openGate().get()
        } catch {
            try? await listener.withLockedValue { $0 }?.close().get()
            await inner.shutdown()
            throw error
        }
    }

    /// Starts accepting clients once Vapor's server listens; until then they wait in the backlog.
    private func openGate() -> EventLoopFuture<Void> {
        let group = application.eventLoopGroup
        guard let address = inner.localAddress, let channel = listener.withLockedValue({ $0 }) else {
            return group.any().makeFailedFuture(ConfigError("the HTTP server behind the connection gate did not start"))
        }
        target.withLockedValue { $0 = address }
        return channel.setOption(ChannelOptions.autoRead, value: true)
    }

    func shutdown() {
        try? listener.withLockedValue { $0 }?.close().wait()
        inner.shutdown()
    }

    func shutdown() async {
        try? await listener.withLockedValue { $0 }?.close().get()
        await inner.shutdown()
    }

    private func startGate(address: BindAddress?) -> EventLoopFuture<Void> {
        let group = application.eventLoopGroup
        let configured = application.http.server.configuration
        let host: String
        let port: Int
        switch address {
        case .hostname(let h, let p): (host, port) = (h ?? configured.hostname, p ?? configured.port)
        case .unixDomainSocket: return group.any().makeFailedFuture(ConfigError("the connection gate listens on a TCP port only"))
        case nil: (host, port) = (configured.hostname, configured.port)
        }
        let counts = self.counts
        let logger = application.logger
        let drainTime = configured.idleTimeout ?? .seconds(15)
        let target = self.target
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.autoRead, value: false)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(configured.backlog))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { client in
                guard let address = target.withLockedValue({ $0 }) else {
                    return client.eventLoop.makeFailedFuture(ConfigError("the connection gate is not open yet"))
                }
                return ConnectionGate.admit(client, to: address, counts: counts, drainTime: drainTime)
            }
            .bind(host: host, port: port)
            .map { [listener] channel in
                listener.withLockedValue { $0 = channel }
                logger.notice(
                    "Connection gate on \(channel.localAddress?.description ?? "?"): at most \(counts.limits.perAddress) connections per address, \(counts.limits.total) in all"
                )
            }
    }

    /// Runs on the client channel's event loop as it is accepted.
    private static func admit(
        _ client: any Channel, to target: SocketAddress, counts: ConnectionCounts,
        drainTime: TimeAmount
    ) -> EventLoopFuture<Void> {
        let address = ConnectionCounts.client(client.remoteAddress)
        let admission = counts.admit(address)
        guard admission == .admitted else {
            return client.eventLoop.makeCompletedFuture { try client.pipeline.syncOperations.addHandler(RefuseConnection(admission)) }
        }
        client.closeFuture.whenComplete { _ in counts.release(address) }
        let (outside, inside) = RelayHandler.pair(drainTime: drainTime)
        let insideHandler = NIOLoopBound(inside, eventLoop: client.eventLoop)
        do {
            try client.pipeline.syncOperations.addHandler(outside)
        } catch {
            return client.eventLoop.makeFailedFuture(error)
        }
        // The relay connects on the client's own event loop, so both halves share one thread.
        var bootstrap = ClientBootstrap(group: client.eventLoop)
        if let source = ConnectionGate.relaySource { bootstrap = bootstrap.bind(to: source) }
        bootstrap
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { relay in
                relay.eventLoop.makeCompletedFuture {
                    // The tag goes first: the client's bytes flow only once the relay is active.
                    try relay.pipeline.syncOperations.addHandlers([RelayPortTag(client: address, counts: counts), insideHandler.value])
                }
            }
            .connect(to: target)
            .whenFailure { _ in client.close(promise: nil) }
        return client.eventLoop.makeSucceededVoidFuture()
    }
}

/// Records which client a relay connection carries while it is open, so the rate limiters behind
/// the gate still see each client's own address.
private final class RelayPortTag: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let client: String
    private let counts: ConnectionCounts

    init(client: String, counts: ConnectionCounts) {
        self.client = client
        self.counts = counts
    }

    func channelActive(context: ChannelHandlerContext) {
        if let port = context.channel.localAddress?.port { counts.relayOpened(port: port, for: client) }
        context.fireChannelActive()
    }
}

extension Application {
    private struct ConnectionGateKey: StorageKey { typealias Value = ConnectionGate }

    /// The gate in front of the HTTP server, when the configuration asks for one.
    var connectionGate: ConnectionGate? {
        get { storage[ConnectionGateKey.self] }
        set { storage[ConnectionGateKey.self] = newValue }
    }

    /// Where clients reach this application once started: the gate, or Vapor's server without one.
    public var listeningAddress: SocketAddress? {
        connectionGate?.localAddress ?? http.server.shared.localAddress
    }
}
