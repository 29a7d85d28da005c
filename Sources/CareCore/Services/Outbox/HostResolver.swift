import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves a host name to its addresses, off the event loops (getaddrinfo blocks), so the caller can
/// check every address before connecting to one of them, and connect to exactly that one.
enum HostResolver {
    struct Address: Sendable {
        let bytes: [UInt8]
        /// The address as text a socket address can be made from (`93.184.216.34`, `2606:4700::1111`).
        let text: String
    }

    static func resolve(_ host: String) async throws -> [Address] {
        if let literal = OutboundAddress.parseIP(host) { return [Address(bytes: literal, text: text(of: literal))] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, nil, &hints, &result)
            guard rc == 0, let first = result else {
                throw OutboxDelivery.Failure.transient("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
            }
            defer { freeaddrinfo(first) }
            var found: [Address] = []
            var next: UnsafeMutablePointer<addrinfo>? = first
            while let info = next, found.count < 16 {
                if info.pointee.ai_family == AF_INET, let sa = info.pointee.ai_addr {
                    let bytes = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) }
                    }
                    found.append(Address(bytes: bytes, text: text(of: bytes)))
                } else if info.pointee.ai_family == AF_INET6, let sa = info.pointee.ai_addr {
                    let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                        withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                    }
                    found.append(Address(bytes: bytes, text: text(of: bytes)))
                }
                next = info.pointee.ai_next
            }
            return found
        }
    }

    static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: min(bytes.count, 16), by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }
}
