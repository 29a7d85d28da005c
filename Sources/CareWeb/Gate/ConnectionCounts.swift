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
        /// The relay's own port on loopback → the last client it carried (for the rate limiters).
        /// Kept after the relay closes (a request may still be answered after its connection went),
        /// replaced when the port is used again; at most one entry per port, so bounded.
        var clientByRelayPort: [Int: String] = [:]
    }

    let limits: Limits
    private let state = NIOLockedValueBox(State())

    init(limits: Limits) {
        // No one address may fill the whole process.
        self.limits = Limits(perAddress: min(limits.perAddress, max(1, limits.total / 2)), total: limits.total)
    }

    /// What one client is counted as: its IPv4 address, or its IPv6 /64 network (one subscriber's
    /// line holds a whole /64, so counting single IPv6 addresses would cap nothing).
    static func client(_ address: SocketAddress?) -> String {
        switch address {
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            let mappedV4 = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
            if mappedV4 { return bytes[12...].map(String.init).joined(separator: ".") }
            return bytes[0..<8].map { String(format: "%02x", $0) }.joined() + "::/64"
        case let other?:
            return other.ipAddress ?? "unknown"
        case nil:
            return "unknown"
        }
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

    func relayOpened(port: Int, for client: String) {
        state.withLockedValue { $0.clientByRelayPort[port] = client }
    }

    /// The client behind a connection the server sees coming from the relay's `port`.
    func client(relayPort port: Int) -> String? {
        state.withLockedValue { $0.clientByRelayPort[port] }
    }

    var open: (total: Int, addresses: Int) {
        state.withLockedValue { ($0.total, $0.byAddress.count) }
    }
}
