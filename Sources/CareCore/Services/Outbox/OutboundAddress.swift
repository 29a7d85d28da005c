import Foundation

/// Where CareLoop may send outbound HTTP (webhooks and any other URL a store owner types in).
///
/// Outbound requests must never reach this machine, the local network or any other non-public
/// address, whatever way the address is spelled. The check happens twice:
///
/// 1. When a URL is saved, `hostRefusal(_:)` looks at the host as typed. IP literals in every spelling
///    a URL parser or `inet_aton` accepts are decoded and checked, and names that always mean this
///    machine or the local network (`localhost`, `*.local`, `*.internal`, …) are refused.
/// 2. At every connection the connecting code resolves the name itself and calls `refusal(_:)` on
///    each resolved address, then connects to exactly the address it checked. This is what stops
///    DNS names that point at private addresses (`127.0.0.1.nip.io`) and DNS rebinding.
public enum OutboundAddress {
    /// An IP address as bytes: 4 for IPv4, 16 for IPv6.
    ///
    /// Parses an IP literal in any spelling a URL parser or `inet_aton` accepts: dotted decimal, and the
    /// legacy forms `127.1`, `127.0.1`, `2130706433`, `0x7f000001`, `0x7f.0.0.1`, `0177.0.0.1` (octal), mixed;
    /// IPv6 with or without brackets, `::`, zone ids (`fe80::1%eth0`, `fe80::1%25eth0`), embedded IPv4
    /// (`::ffff:127.0.0.1`). Surrounding white space, one trailing dot (`127.0.0.1.`) and percent escapes
    /// (`%31%32%37.0.0.1`) are tolerated. Hex digits and the `0x` prefix may be in any case.
    ///
    /// nil when the text is not an IP literal (then it is a host name).
    public static func parseIP(_ host: String) -> [UInt8]? {
        var text = host.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("[") || text.hasSuffix("]") {
            guard text.count >= 2, text.hasPrefix("["), text.hasSuffix("]") else { return nil }
            text = String(text.dropFirst().dropLast())
        }
        if !text.contains(":") {
            // An IPv6 address may carry a zone id after `%`, so only hosts without a colon are
            // percent-decoded here (a decoded colon still sends the text to the IPv6 parser).
            guard let decoded = percentDecoded(text) else { return nil }
            text = decoded
        }
        if text.contains(":") {
            if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
            return parseIPv6(Array(text.utf8))
        }
        var bytes = Array(text.utf8)
        if bytes.last == dot { bytes.removeLast() }
        return parseIPv4(bytes)
    }

    /// Why an address must not be reached, or nil if it is a public unicast address.
    ///
    /// Reasons: "a loopback address", "a private address", "a link-local address", "a unique-local address",
    /// "a multicast address", "an unspecified address", "a shared (carrier-grade NAT) address",
    /// "a reserved address", "a broadcast address", "a documentation address", "a tunnelling address",
    /// and "not an IP address" for a byte count other than 4 or 16.
    ///
    /// IPv6 addresses that embed an IPv4 address (mapped `::ffff:0:0/96`, compatible `::/96`, NAT64
    /// `64:ff9b::/96`, 6to4 `2002::/16`) get the IPv4 rules for the embedded address. Teredo is refused
    /// altogether, and so is everything outside the global unicast block `2000::/3`.
    public static func refusal(_ bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4: return refusalIPv4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: return refusalIPv6(bytes)
        default: return "not an IP address"
        }
    }

    /// For a URL's host as typed (may have brackets, a trailing dot, percent escapes, any case): why it
    /// must not be used, or nil when it may be tried (a name must still be resolved and each address
    /// checked with `refusal(_:)` at connection time).
    ///
    /// Refused: IP literals that `refusal(_:)` refuses; an empty host ("an empty host"); characters that
    /// cannot be in a host name ("a malformed host name"); a name whose last label is a number, which
    /// URL parsers read as an IPv4 address ("a malformed IP address"); `localhost`, `*.localhost`,
    /// `localhost.localdomain` and the other names for this machine ("a name for this machine");
    /// `*.local`, `*.localdomain`, `*.internal`, `*.home.arpa`, `*.lan`, `*.home`, `*.corp`,
    /// `*.intranet`, `*.private` ("a name on the local network"); a name without any dot, which
    /// resolves through the search domains of the local network ("a name without a domain").
    public static func hostRefusal(_ host: String) -> String? {
        let trimmed = host.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "an empty host" }
        if let ip = parseIP(trimmed) { return refusal(ip) }
        guard let decoded = percentDecoded(trimmed) else { return malformedName }

        // Fold the name the way IDNA mapping in a URL parser would: compatibility forms (full-width
        // digits and letters, `ſ`, the Kelvin sign), ideographic full stops, case.
        var name = decoded.precomposedStringWithCompatibilityMapping.lowercased()
        for stop in ["\u{3002}", "\u{FF0E}", "\u{FF61}"] {
            name = name.replacingOccurrences(of: stop, with: ".")
        }
        if let ip = parseIP(name) { return refusal(ip) }

        for scalar in name.unicodeScalars {
            if scalar.isASCII {
                let c = UInt8(scalar.value)
                let allowed =
                    (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == dot
                if !allowed { return malformedName }
            } else {
                let properties = scalar.properties
                if properties.isDefaultIgnorableCodePoint { return malformedName }
                switch properties.generalCategory {
                case .control, .format, .surrogate, .privateUse, .unassigned,
                    .spaceSeparator, .lineSeparator, .paragraphSeparator:
                    return malformedName
                default:
                    break
                }
            }
        }

        if name.hasSuffix(".") { name.removeLast() }
        if name.isEmpty { return "an empty host" }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.contains(where: { $0.isEmpty }) { return malformedName }
        if let last = labels.last, isNumericLabel(last) { return "a malformed IP address" }

        if thisMachineNames.contains(name) || name.hasSuffix(".localhost") { return "a name for this machine" }
        if localNetworkSuffixes.contains(where: { name == $0 || name.hasSuffix("." + $0) }) {
            return "a name on the local network"
        }
        if labels.count == 1 { return "a name without a domain" }
        return nil
    }

    // MARK: - Names

    private static let malformedName = "a malformed host name"

    /// Names that resolve to this machine through /etc/hosts on common systems.
    private static let thisMachineNames: Set<String> = [
        "localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6",
        "ip6-localhost", "ip6-loopback",
    ]

    /// Suffixes only ever used on local networks (RFC 6761, RFC 6762 appendix G, RFC 8375, ICANN `.internal`).
    private static let localNetworkSuffixes = [
        "local", "localdomain", "internal", "home.arpa", "lan", "home", "corp", "intranet", "private",
    ]

    /// A label a URL parser reads as an IPv4 number: all decimal digits, or `0x` and hex digits.
    private static func isNumericLabel(_ label: Substring) -> Bool {
        let u = Array(label.utf8)
        if !u.isEmpty && u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return true }
        if u.count >= 2 && u[0] == UInt8(ascii: "0") && (u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "X")) {
            return u.dropFirst(2).allSatisfy { hexValue($0) != nil }
        }
        return false
    }

    // MARK: - Parsing

    private static let dot = UInt8(ascii: ".")
    private static let colon = UInt8(ascii: ":")

    /// Decodes `%XX` escapes; nil when an escape is malformed or the result is not UTF-8.
    private static func percentDecoded(_ text: String) -> String? {
        guard text.contains("%") else { return text }
        let u = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%") {
                guard i + 2 < u.count, let high = hexValue(u[i + 1]), let low = hexValue(u[i + 2]) else { return nil }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(bytes: out, encoding: .utf8)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// `inet_aton` / WHATWG IPv4: 1 to 4 parts, the last part fills the remaining bytes.
    private static func parseIPv4(_ s: [UInt8]) -> [UInt8]? {
        let parts = s.split(separator: dot, omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            guard let value = parseIPv4Number(part) else { return nil }
            values.append(value)
        }
        let head = values.dropLast()
        guard head.allSatisfy({ $0 <= 255 }), let last = values.last else { return nil }
        let tailBytes = 5 - parts.count
        guard last < (UInt64(1) << (8 * tailBytes)) else { return nil }
        var out = head.map { UInt8($0) }
        for shift in stride(from: tailBytes - 1, through: 0, by: -1) {
            out.append(UInt8((last >> (8 * UInt64(shift))) & 0xFF))
        }
        return out
    }

    /// One part: decimal, `0x` hex (`0x` alone is 0), or octal with a leading 0. nil above 2^32 - 1.
    private static func parseIPv4Number(_ part: ArraySlice<UInt8>) -> UInt64? {
        guard let first = part.first else { return nil }
        var digits = part
        var radix: UInt64 = 10
        if part.count >= 2 && first == UInt8(ascii: "0") {
            let second = part[part.startIndex + 1]
            if second == UInt8(ascii: "x") || second == UInt8(ascii: "X") {
                radix = 16
                digits = part.dropFirst(2)
            } else {
                radix = 8
                digits = part.dropFirst()
            }
        }
        var value: UInt64 = 0
        for c in digits {
            guard let d = hexValue(c), UInt64(d) < radix else { return nil }
            value = value * radix + UInt64(d)
            if value > 0xFFFF_FFFF { return nil }
        }
        return value
    }

    /// RFC 4291 text form: up to eight groups of 1–4 hex digits, at most one `::`, optionally ending in
    /// a dotted-quad IPv4 address.
    private static func parseIPv6(_ s: [UInt8]) -> [UInt8]? {
        guard !s.isEmpty else { return nil }
        var doubleColon: Int?
        var i = 0
        while i + 1 < s.count {
            if s[i] == colon && s[i + 1] == colon {
                if doubleColon != nil { return nil }
                doubleColon = i
                i += 2
            } else {
                i += 1
            }
        }
        if let at = doubleColon {
            guard let head = ipv6Groups(s[..<at], allowIPv4: false),
                let tail = ipv6Groups(s[(at + 2)...], allowIPv4: true),
                head.count + tail.count <= 14
            else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        }
        guard let all = ipv6Groups(s[...], allowIPv4: true), all.count == 16 else { return nil }
        return all
    }

    private static func ipv6Groups(_ text: ArraySlice<UInt8>, allowIPv4: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let fields = text.split(separator: colon, omittingEmptySubsequences: false)
        var out: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if allowIPv4 && index == fields.count - 1 && field.contains(dot) {
                guard let v4 = parseDottedQuad(field) else { return nil }
                out += v4
                continue
            }
            guard (1...4).contains(field.count) else { return nil }
            var value: UInt16 = 0
            for c in field {
                guard let d = hexValue(c) else { return nil }
                value = value << 4 | UInt16(d)
            }
            out += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return out.count <= 16 ? out : nil
    }

    /// Exactly four decimal parts of 0–255, as inside an IPv6 address.
    private static func parseDottedQuad(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: dot, omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count) else { return nil }
            var value = 0
            for c in part {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            guard value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    // MARK: - Ranges

    private static func refusalIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> String? {
        switch (a, b, c) {
        case (0, _, _): return "an unspecified address" // 0.0.0.0/8
        case (10, _, _): return "a private address" // 10/8
        case (100, 64...127, _): return "a shared (carrier-grade NAT) address" // 100.64/10
        case (127, _, _): return "a loopback address" // 127/8
        case (169, 254, _): return "a link-local address" // 169.254/16
        case (172, 16...31, _): return "a private address" // 172.16/12
        case (192, 0, 0): return "a reserved address" // IETF protocol assignments
        case (192, 0, 2): return "a documentation address" // TEST-NET-1
        case (192, 168, _): return "a private address" // 192.168/16
        case (198, 18...19, _): return "a reserved address" // benchmarking 198.18/15
        case (198, 51, 100): return "a documentation address" // TEST-NET-2
        case (203, 0, 113): return "a documentation address" // TEST-NET-3
        case (224...239, _, _): return "a multicast address" // 224/4
        case (255, 255, 255) where d == 255: return "a broadcast address"
        case (240...255, _, _): return "a reserved address" // 240/4
        default: return nil
        }
    }

    private static func refusalIPv6(_ b: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8]) -> Bool { b.starts(with: prefix) }
        func embedded(_ from: Int) -> String? { refusalIPv4(b[from], b[from + 1], b[from + 2], b[from + 3]) }
        let zero12 = [UInt8](repeating: 0, count: 12)

        if b.allSatisfy({ $0 == 0 }) { return "an unspecified address" } // ::
        if starts([UInt8](repeating: 0, count: 15)) && b[15] == 1 { return "a loopback address" } // ::1
        if starts([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]) { return embedded(12) } // ::ffff:0:0/96
        if starts(zero12) { // ::/96 (deprecated)
            return embedded(12) ?? "a reserved address"
        }
        if starts([0x00, 0x64, 0xFF, 0x9B] + [UInt8](repeating: 0, count: 8)) { return embedded(12) } // 64:ff9b::/96
        if starts([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]) { return "a private address" } // 64:ff9b:1::/48 local NAT64
        if b[0] == 0xFF { return "a multicast address" } // ff00::/8
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "a link-local address" } // fe80::/10
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return "a private address" } // fec0::/10 site-local
        if b[0] & 0xFE == 0xFC { return "a unique-local address" } // fc00::/7
        if starts([0x20, 0x01, 0x0D, 0xB8]) { return "a documentation address" } // 2001:db8::/32
        if b[0] == 0x3F && b[1] == 0xFF && b[2] & 0xF0 == 0 { return "a documentation address" } // 3fff::/20
        if starts([0x20, 0x01, 0x00, 0x00]) { return "a tunnelling address" } // Teredo 2001::/32
        if starts([0x20, 0x01, 0x00, 0x02, 0x00, 0x00]) { return "a reserved address" } // benchmarking 2001:2::/48
        if starts([0x20, 0x02]) { return embedded(2) } // 6to4 2002::/16
        if b[0] & 0xE0 != 0x20 { return "a reserved address" } // not 2000::/3, incl. 100::/64
        return nil
    }
}
