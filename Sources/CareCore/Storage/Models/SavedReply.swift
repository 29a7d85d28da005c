import FluentKit
import Foundation

/// A canned answer staff can start a reply from; placeholders are filled for the conversation at hand.
public final class SavedReply: Model, @unchecked Sendable {
    public static let schema = "saved_replies"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "title") public var title: String
    @Field(key: "body") public var body: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}
