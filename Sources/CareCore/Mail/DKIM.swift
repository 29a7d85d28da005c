import Crypto
import Foundation
import _CryptoExtras

/// Signs outgoing mail with DKIM (RFC 6376), relaxed/relaxed, with an RSA key (`rsa-sha256`) or an
/// Ed25519 key (`ed25519-sha256`, RFC 8463). The signature covers the headers in `signedHeaders`
/// that the mail carries, so a receiver can tell the mail left CareLoop as it arrived, from the
/// domain that signed it (DMARC aligns that domain with the From address's).
public struct DKIMSigner: Sendable {
    public enum Algorithm: String, Sendable {
        case rsa = "rsa-sha256"
        case ed25519 = "ed25519-sha256"
    }

    enum Key: @unchecked Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    public let domain: String
    public let selector: String
    let key: Key

    public var algorithm: Algorithm {
        if case .rsa = key { return .rsa }
        return .ed25519
    }

    /// The headers signed when present, in this order (lower-cased, as `h=` lists them).
    static let signedHeaders = [
        "from", "to", "subject", "date", "message-id", "in-reply-to", "references", "reply-to", "mime-version", "content-type",
        "list-unsubscribe", "list-unsubscribe-post", "auto-submitted",
    ]

    /// A key from a PEM file: an RSA key (PKCS#1 or PKCS#8) of at least 1024 bits, or an Ed25519
    /// key (PKCS#8, as `openssl genpkey -algorithm ed25519` and `careloop dkim keygen` write it).
    public init(domain: String, selector: String, pem: String) throws(CareError) {
        let d = domain.lowercased().trimmingCharacters(in: .whitespaces)
        let s = selector.trimmingCharacters(in: .whitespaces)
        guard !d.isEmpty, d.contains("."), d.utf8.allSatisfy({ Self.isHostByte($0) }) else {
            throw .invalid("dkim_domain", "is not a domain name")
        }
        guard !s.isEmpty, s.count <= 63, s.utf8.allSatisfy(Self.isHostByte) else {
            throw .invalid("dkim_selector", "use letters, digits, dots and hyphens")
        }
        self.domain = d
        self.selector = s
        if let seed = Self.ed25519Seed(pem: pem) {
            guard let k = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { throw .invalid("dkim_key", "is not an Ed25519 key") }
            key = .ed25519(k)
        } else if let k = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            guard k.keySizeInBits >= 1024 else { throw .invalid("dkim_key", "an RSA key needs at least 1024 bits (2048 recommended)") }
            key = .rsa(k)
        } else {
            throw .invalid("dkim_key", "is not a PEM RSA or Ed25519 private key")
        }
    }

    static func isHostByte(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (97...122).contains(b) || (65...90).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "_")
    }

    /// The TXT record to publish at `SELECTOR._domainkey.DOMAIN`.
    public var dnsRecord: String {
        switch key {
        case .rsa(let k): "v=DKIM1; k=rsa; p=\(k.publicKey.derRepresentation.base64EncodedString())"
        case .ed25519(let k): "v=DKIM1; k=ed25519; p=\(k.publicKey.rawRepresentation.base64EncodedString())"
        }
    }

    public var dnsName: String { "\(selector)._domainkey.\(domain)" }

    /// A new key: RSA 2048 or Ed25519, as PEM (PKCS#8).
    public static func generate(_ algorithm: Algorithm) throws -> String {
        switch algorithm {
        case .rsa: return try _RSA.Signing.PrivateKey(keySize: .bits2048).pkcs8PEMRepresentation
        case .ed25519:
            let der = ed25519Prefix + Curve25519.Signing.PrivateKey().rawRepresentation
            return "-----BEGIN PRIVATE KEY-----\n" + der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
                + "\n-----END PRIVATE KEY-----\n"
        }
    }

    /// PKCS#8 of an Ed25519 key is these 16 bytes (version 0, OID 1.3.101.112) and the 32-byte seed.
    static let ed25519Prefix = Data([0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

    static func ed25519Seed(pem: String) -> Data? {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN PRIVATE KEY-----"), let end = lines.firstIndex(of: "-----END PRIVATE KEY-----"),
            begin < end, let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()), der.count == 48, der.starts(with: ed25519Prefix)
        else { return nil }
        return der.suffix(32)
    }

    /// The `DKIM-Signature` header line (folded, without its final CRLF) for a mail with these
    /// header lines (`Name: value`, possibly folded) and this body (CRLF line ends).
    public func signatureHeader(headers: [String], body: String, at time: Date) throws -> String {
        let bodyHash = Data(SHA256.hash(data: Data(Self.relaxedBody(body).utf8))).base64EncodedString()
        // The last of each signed header is the one a verifier reads first (RFC 6376 §5.4.2).
        var signed: [(name: String, line: String)] = []
        for name in Self.signedHeaders {
            if let line = headers.last(where: { Self.headerName($0) == name }) { signed.append((name, line)) }
        }
        let tags = [
            "v=1", "a=\(algorithm.rawValue)", "c=relaxed/relaxed", "d=\(domain)", "s=\(selector)", "t=\(Int(time.timeIntervalSince1970))",
            "h=\(signed.map(\.name).joined(separator: ":"))", "bh=\(bodyHash)",
        ]
        let unsigned = "DKIM-Signature: " + tags.joined(separator: "; ") + "; b="
        var data = signed.map { Self.relaxedHeader($0.line) + "\r\n" }.joined()
        data += Self.relaxedHeader(unsigned)
        let digest = SHA256.hash(data: Data(data.utf8))
        let signature: Data
        switch key {
        case .rsa(let k): signature = try k.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation
        case .ed25519(let k): signature = try k.signature(for: Data(digest))
        }
        // Folded between tags and inside b=: relaxed canonicalization reads it the same way.
        let b = signature.base64EncodedString()
        var folded = "DKIM-Signature: " + tags.joined(separator: ";\r\n ") + ";\r\n b="
        var rest = Substring(b)
        while !rest.isEmpty {
            folded += rest.prefix(70)
            rest = rest.dropFirst(70)
            if !rest.isEmpty { folded += "\r\n " }
        }
        return folded
    }

    static func headerName(_ line: String) -> String {
        String(line.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// RFC 6376 §3.4.2: the name lower-cased, the value unfolded, runs of spaces and tabs made one
    /// space, spaces at its ends and around the colon removed.
    static func relaxedHeader(_ line: String) -> String {
        let colon = line.firstIndex(of: ":") ?? line.endIndex
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = colon < line.endIndex ? line[line.index(after: colon)...] : ""
        var out = ""
        var space = false
        for u in value.unicodeScalars {
            if u == "\r" || u == "\n" { continue }
            if u == " " || u == "\t" {
                space = true
                continue
            }
            if space && !out.isEmpty { out += " " }
            space = false
            out.unicodeScalars.append(u)
        }
        return name + ":" + out
    }

    /// RFC 6376 §3.4.4: spaces at line ends removed, runs of spaces made one, empty lines at the end
    /// removed, and a non-empty body ends with one CRLF.
    static func relaxedBody(_ body: String) -> String {
        var lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map {
            line -> String in
            var out = ""
            var space = false
            for u in line.unicodeScalars {
                if u == " " || u == "\t" {
                    space = true
                    continue
                }
                if space { out += " " }
                space = false
                out.unicodeScalars.append(u)
            }
            return out
        }
        while lines.last == "" { lines.removeLast() }
        return lines.isEmpty ? "" : lines.joined(separator: "\r\n") + "\r\n"
    }
}
