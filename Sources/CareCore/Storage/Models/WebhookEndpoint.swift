import FluentKit
import Foundation

/// A URL a store wants its events posted to, with the events it chose and its signing secret.
public final class WebhookEndpoint: Model, @unchecked Sendable {
    public static let schema = "webhook_endpoints"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "url") public var url: String
    /// JSON list of event names.
    @Field(key: "events") public var eventsJSON: String
    /// `whsec_` + base64 of the key bytes (Standard Webhooks).
    @Field(key: "secret") public var secret: String
    @Field(key: "enabled") public var enabled: Bool
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var events: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(eventsJSON.utf8))) ?? []
    }
}
