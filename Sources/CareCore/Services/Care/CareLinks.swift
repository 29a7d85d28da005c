import Crypto
import Foundation

/// Links CareLoop puts in messages, built from the public address the installation is reached at.
///
/// The customer's page is reached by a signed, expiring link: `/c/TOKEN.EXPIRES.SIGNATURE`, where
/// TOKEN names the conversation, EXPIRES is a Unix time and SIGNATURE is an HMAC-SHA256 of both with
/// the installation secret. A link cannot be forged or stretched, it opens one conversation only,
/// and an old email's link stops working after `pageLinkLifetime` (replying by email still works).
public struct CareLinks: Sendable {
    public let publicURL: String
    private let key: SymmetricKey
    public let pageLinkLifetime: TimeInterval

    public init(publicURL: String, secret: String, pageLinkLifetime: TimeInterval = 90 * 24 * 3600) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.key = SymmetricKey(data: Data(("careloop-page:" + secret).utf8))
        self.pageLinkLifetime = pageLinkLifetime
    }

    /// The hosted page where the customer reads and answers one conversation. `issuedAt` is the time
    /// of the message carrying the link, so a resent email carries the same link.
    public func conversationPage(token: String, issuedAt: Date) -> String {
        "\(publicURL)/c/\(pageToken(token, expires: issuedAt.addingTimeInterval(pageLinkLifetime)))"
    }

    public func pageToken(_ conversationToken: String, expires: Date) -> String {
        let expiry = String(Int(expires.timeIntervalSince1970))
        return "\(conversationToken).\(expiry).\(signature(conversationToken, expiry))"
    }

    public enum PageAccess: Sendable, Equatable {
        case open(conversationToken: String)
        case expired
        case invalid
    }

    /// Checks a page token: its signature first (in constant time), then its expiry.
    public func openPage(_ pageToken: String, now: Date) -> PageAccess {
        let parts = pageToken.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0].count <= 64, parts[1].count <= 12, let expiry = Int(parts[1]) else { return .invalid }
        // Only the one canonical spelling of the signature: base64's unused low bits must not make a
        // second valid link out of the first.
        guard let given = Data(base64URL: parts[2]), Secrets.base64URL(given) == parts[2],
            HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key)
        else { return .invalid }
        return Double(expiry) < now.timeIntervalSince1970 ? .expired : .open(conversationToken: parts[0])
    }

    private func signature(_ token: String, _ expiry: String) -> String {
        Secrets.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data("\(token).\(expiry)".utf8), using: key)))
    }
}

extension Data {
    /// Decodes base64url without padding (as `Secrets.base64URL` writes it).
    init?(base64URL s: String) {
        var b64 = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        self.init(base64Encoded: b64)
    }
}
