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
    /// Review-request links are signed with their own key: a request token never opens a conversation.
    private let requestKey: SymmetricKey
    /// Return paths (`bounce+TOKEN@`) are signed with a third key.
    private let bounceKey: SymmetricKey
    /// Links that stop one kind of staff notification mail are signed with a fourth.
    private let notifyKey: SymmetricKey
    public let pageLinkLifetime: TimeInterval
    /// A review request's links work this long after the request was made.
    public static let requestLinkLifetime: TimeInterval = 180 * 86_400

    public init(publicURL: String, secret: String, pageLinkLifetime: TimeInterval = 90 * 24 * 3600) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.key = SymmetricKey(data: Data(("careloop-page:" + secret).utf8))
        self.requestKey = SymmetricKey(data: Data(("careloop-request:" + secret).utf8))
        self.bounceKey = SymmetricKey(data: Data(("careloop-bounce:" + secret).utf8))
        self.notifyKey = SymmetricKey(data: Data(("careloop-notify:" + secret).utf8))
        self.pageLinkLifetime = pageLinkLifetime
    }

    /// The hosted page where the customer reads and answers one conversation. `issuedAt` is the time
    /// of the message carrying the link, so a resent email carries the same link.
    public func conversationPage(token: String, issuedAt: Date) -> String {
        "\(publicURL)/c/\(pageToken(token, expires: issuedAt.addingTimeInterval(pageLinkLifetime)))"
    }

    public func pageToken(_ conversationToken: String, expires: Date) -> String {
        let expiry = String(Int(expires.timeIntervalSince1970))
        return "\(conversationToken).\(expiry).\(signature(conversationToken, expiry, key: key))"
    }

    /// The token of a review request's links (form, stars, unsubscribe): the request, valid
    /// `requestLinkLifetime` from `createdAt`, so every email of one request carries the same links.
    public func requestToken(_ requestID: UUID, createdAt: Date) -> String {
        let id = requestID.uuidString.lowercased()
        let expiry = String(Int(createdAt.addingTimeInterval(Self.requestLinkLifetime).timeIntervalSince1970))
        return "\(id).\(expiry).\(signature(id, expiry, key: requestKey))"
    }

    /// The hosted review form, with a product's stars chosen when the email's star was clicked.
    public func requestForm(token: String, product: String? = nil, stars: Int? = nil) -> String {
        var url = "\(publicURL)/r/\(token)"
        if let product, let stars {
            url += "?product=\(Self.component(product))&stars=\(stars)"
        }
        return url
    }

    public func requestUnsubscribe(token: String) -> String { "\(publicURL)/u/\(token)" }

    /// The link in a staff notification mail that stops that kind of mail for that person (it does
    /// not expire: an old mail's link still stops them).
    public func notificationStop(staffID: UUID, kind: String) -> String {
        let subject = "\(staffID.uuidString.lowercased())~\(kind)"
        return "\(publicURL)/app/notifications/stop/\(subject).0.\(signature(subject, "0", key: notifyKey))"
    }

    /// The person and kind a stop link names, if it is signed by this installation.
    public func openNotificationStop(_ token: String) -> (staffID: UUID, kind: String)? {
        guard let (subject, _) = verify(token, key: notifyKey) else { return nil }
        let parts = subject.split(separator: "~")
        guard parts.count == 2, let id = UUID(uuidString: String(parts[0])) else { return nil }
        return (id, String(parts[1]))
    }

    /// The token of a mail's return path, `bounce+TOKEN@MAIL_DOMAIN`: the outbox delivery the mail
    /// is, in hex, and 80 bits of its HMAC. Lower-case hex only, so a mail system that changes the
    /// case of an address cannot break it; 52 characters, so the address stays within 64.
    public func bounceToken(delivery: UUID) -> String {
        let id = Secrets.hex(withUnsafeBytes(of: delivery.uuid) { Array($0) })
        return id + Secrets.hex(Array(HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: bounceKey).prefix(10)))
    }

    /// The delivery a return-path token names, when CareLoop signed it (checked in constant time).
    public func openBounce(_ token: String) -> UUID? {
        let t = token.lowercased()
        guard t.utf8.count == 52, t.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        let id = String(t.prefix(32))
        let expected = Secrets.hex(Array(HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: bounceKey).prefix(10)))
        guard Secrets.constantTimeEqual(String(t.suffix(20)), expected) else { return nil }
        var bytes: [UInt8] = []
        var i = id.startIndex
        while i < id.endIndex {
            let next = id.index(i, offsetBy: 2)
            bytes.append(UInt8(id[i..<next], radix: 16)!)
            i = next
        }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12],
                bytes[13], bytes[14], bytes[15]
            ))
    }

    /// Percent-encodes a path segment or query value: everything but RFC 3986's unreserved characters.
    public static func component(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public enum RequestAccess: Sendable, Equatable {
        case open(UUID)
        /// Signed by us but past its lifetime: the form is closed; unsubscribing still works.
        case expired(UUID)
        case invalid
    }

    /// Checks a request token: its signature first (in constant time), then its expiry.
    public func openRequest(_ token: String, now: Date) -> RequestAccess {
        guard let (id, expiry) = verify(token, key: requestKey), let uuid = UUID(uuidString: id) else { return .invalid }
        return Double(expiry) < now.timeIntervalSince1970 ? .expired(uuid) : .open(uuid)
    }

    public enum PageAccess: Sendable, Equatable {
        case open(conversationToken: String)
        case expired
        case invalid
    }

    /// Checks a page token: its signature first (in constant time), then its expiry.
    public func openPage(_ pageToken: String, now: Date) -> PageAccess {
        guard let (token, expiry) = verify(pageToken, key: key) else { return .invalid }
        return Double(expiry) < now.timeIntervalSince1970 ? .expired : .open(conversationToken: token)
    }

    /// The token and expiry of a correctly signed token, else nil.
    private func verify(_ pageToken: String, key: SymmetricKey) -> (String, Int)? {
        let parts = pageToken.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0].count <= 64, parts[1].count <= 12, let expiry = Int(parts[1]) else { return nil }
        // Only the one canonical spelling of the signature: base64's unused low bits must not make a
        // second valid link out of the first.
        guard let given = Data(base64URL: parts[2]), Secrets.base64URL(given) == parts[2],
            HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key)
        else { return nil }
        return (parts[0], expiry)
    }

    private func signature(_ token: String, _ expiry: String, key: SymmetricKey) -> String {
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
