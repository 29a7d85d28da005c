/// Links CareLoop puts in messages: built from the public address the installation is reached at.
public struct CareLinks: Sendable {
    public let publicURL: String

    public init(publicURL: String) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// The hosted page where the customer reads and answers one conversation.
    public func conversationPage(token: String) -> String { "\(publicURL)/c/\(token)" }
}
