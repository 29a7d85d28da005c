import NIOConcurrencyHelpers
import NIOCore

/// How many connections each client address holds, and which client each relayed connection
/// carries. One lock, a few dictionary operations per connection: never held across I/O.
final class ConnectionCounts: Sendable {
    enum Admission: Equatable { case admitted, tooManyFromAddress, full }

    struct Limits: Sendable {
        /// Connections one client address may hold open at once.
        var perAddress: Int
        /// Connections all clients together may hold (each costs the process three sockets).
        var total: Int
    }

    private struct State {
        var total = 0
        var byAddress: [String: Int] = [:]
        /// The relay's own port on loopback → the client it carries (for the rate limiters).
        var clientByRelayPort: [Int: (client: String, relay: ObjectIdentifier)] = [:]
    }

    let limits: Limits
    private let state = NIOLockedValueBox(State())

    init(limits: Limits) {
        self.limits = limits
    }

    func admit(_ address: String) -> Admission {
        state.withLockedValue { s in
            guard s.total < limits.total else { return .full }
            let held = s.byAddress[address, default: 0]
            guard held < limits.perAddress else { return .tooManyFromAddress }
            s.byAddress[address] = held + 1
            s.total += 1
            return .admitted
        }
    }

    func release(_ address: String) {
        state.withLockedValue { s in
            guard let held = s.byAddress[address] else { return }
            if held <= 1 { s.byAddress[address] = nil } else { s.byAddress[address] = held - 1 }
            s.total -= 1
        }
    }

    func relayOpened(port: Int, for client: String, by relay: ObjectIdentifier) {
        state.withLockedValue { $0.clientByRelayPort[port] = (client, relay) }
    }

    /// Only the relay that registered the port removes it (a closed port may already be reused).
    func relayClosed(port: Int, by relay: ObjectIdentifier) {
        state.withLockedValue { s in
            if s.clientByRelayPort[port]?.relay == relay { s.clientByRelayPort[port] = nil }
        }
    }

    /// The client behind a connection the server sees coming from the relay's `port`.
    func client(relayPort port: Int) -> String? {
        state.withLockedValue { $0.clientByRelayPort[port]?.client }
    }

    var open: (total: Int, addresses: Int) {
        state.withLockedValue { ($0.total, $0.byAddress.count) }
    }
}
