import Crypto
import Foundation

/// Standard Webhooks signing: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
/// keyed with the bytes behind the endpoint's `whsec_` secret.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    public static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        return secretPrefix + Data((0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) }).base64EncodedString()
    }

    public static func sign(id: String, timestamp: Int, body: Data, secret: String) -> String {
        let keyBytes = Data(base64Encoded: String(secret.dropFirst(secret.hasPrefix(secretPrefix) ? secretPrefix.count : 0))) ?? Data(secret.utf8)
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: keyBytes))
        return "v1," + Data(mac).base64EncodedString()
    }
}
