import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Looks up a name's TXT records (RFC 1035) with one UDP query to the system's resolver (the first
/// `nameserver` of /etc/resolv.conf) or `CARELOOP_DNS_RESOLVER` (`host:port`). Used to check that a
/// store really published the DKIM record for a domain before mail goes From it: publishing it is
/// what proves the store controls the domain. Blocking, so it runs on its own thread (`SlowWork`);
/// at most 3 s and one answer of 4 KiB, which must come from the resolver asked (the socket is
/// connected to it), carry the query's id, be a response and repeat the question asked.
public enum DNSText {
    public struct LookupError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func lookup(_ name: String, resolver: String? = nil) async throws -> [String] {
        let server = try resolver ?? systemResolver()
        return try await SlowWork.run { try query(name, server: server) }
    }

    static func systemResolver() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["CARELOOP_DNS_RESOLVER"], !configured.isEmpty { return configured }
        let conf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        for line in conf.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count >= 2, words[0] == "nameserver", !words[1].contains(":") { return "\(words[1]):53" }
        }
        throw LookupError(description: "no DNS resolver: set CARELOOP_DNS_RESOLVER")
    }

    /// The query: a random id, recursion desired, one TXT question, and EDNS0 for a 4 KiB answer
    /// (an RSA key's record does not fit DNS's old 512 bytes).
    static func message(_ name: String, id: UInt16) throws -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
        for label in name.lowercased().split(separator: ".") {
            let bytes = Array(label.utf8)
            guard !bytes.isEmpty, bytes.count < 64 else { throw LookupError(description: "not a domain name: \(name)") }
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out += [0, 0, 16, 0, 1]
        out += [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0] // OPT: 4096-byte payload
        guard out.count < 300 else { throw LookupError(description: "name too long") }
        return out
    }

    static func query(_ name: String, server: String) throws -> [String] {
        guard let colon = server.lastIndex(of: ":"), let port = UInt16(server[server.index(after: colon)...]) else {
            throw LookupError(description: "resolver must be host:port")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(server[..<colon]), &address.sin_addr) == 1 else {
            throw LookupError(description: "resolver must be an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw LookupError(description: "no socket") }
        defer { close(fd) }
        var wait = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let id = UInt16.random(in: 0...UInt16.max)
        let request = try message(name, id: id)
        // Connected: the kernel drops datagrams from anyone but the resolver.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, send(fd, request, request.count, 0) == request.count else {
            throw LookupError(description: "could not send the query")
        }
        var answer = [UInt8](repeating: 0, count: 4096)
        let got = recv(fd, &answer, answer.count, 0)
        guard got > 12 else { throw LookupError(description: "no answer from \(server) within 3 s") }
        return try records(Array(answer[0..<got]), id: id, question: Array(request[12..<(request.count - 11)]))
    }

    /// The TXT records of an answer, each record's strings joined (RFC 7208 §3.3).
    static func records(_ a: [UInt8], id: UInt16, question: [UInt8]) throws -> [String] {
        func u16(_ i: Int) throws -> Int {
            guard i + 1 < a.count else { throw LookupError(description: "a short answer") }
            return Int(a[i]) << 8 | Int(a[i + 1])
        }
        func lower(_ b: UInt8) -> UInt8 { (65...90).contains(b) ? b + 32 : b }
        // Our id, a response (QR), and our own question echoed (name, type and class, case aside).
        guard try u16(0) == Int(id), a[2] & 0x80 != 0, try u16(4) == 1, a.count >= 12 + question.count,
            zip(a[12..<(12 + question.count)], question).allSatisfy({ lower($0) == lower($1) })
        else { throw LookupError(description: "an answer to another query") }
        guard a[3] & 0x0F == 0 || a[3] & 0x0F == 3 else { throw LookupError(description: "the resolver failed (rcode \(a[3] & 0x0F))") }
        let questions = try u16(4)
        let answers = try u16(6)
        var i = 12
        func skipName() throws {
            var steps = 0
            while true {
                guard i < a.count, steps < 128 else { throw LookupError(description: "a broken name") }
                steps += 1
                let length = Int(a[i])
                if length & 0xC0 == 0xC0 {
                    i += 2
                    return
                }
                i += 1 + length
                if length == 0 { return }
            }
        }
        for _ in 0..<questions {
            try skipName()
            i += 4
        }
        var out: [String] = []
        for _ in 0..<min(answers, 32) {
            try skipName()
            let type = try u16(i)
            let length = try u16(i + 8)
            let start = i + 10
            guard start + length <= a.count else { throw LookupError(description: "a short answer") }
            if type == 16 {
                var text: [UInt8] = []
                var j = start
                while j < start + length {
                    let n = Int(a[j])
                    guard j + 1 + n <= start + length else { break }
                    text += a[(j + 1)..<(j + 1 + n)]
                    j += 1 + n
                }
                out.append(String(decoding: text, as: UTF8.self))
            }
            i = start + length
        }
        return out
    }
}
