import FluentKit
import Foundation

/// A store's trigger: its definition is kept as the JSON a person reads and edits.
public final class Trigger: Model, @unchecked Sendable {
    public static let schema = "triggers"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "name") public var name: String
    @Field(key: "event") public var event: String
    @Field(key: "enabled") public var enabled: Bool
    /// Triggers for one event run in this order.
    @Field(key: "position") public var position: Int
    @Field(key: "definition") public var definition: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    /// The parsed definition; a stored trigger was valid when saved, so failure means a newer
    /// CareLoop changed the language, and the trigger is skipped rather than guessed at.
    public var parsed: TriggerDefinition? { try? TriggerJSON.parse(Data(definition.utf8)) }
}
