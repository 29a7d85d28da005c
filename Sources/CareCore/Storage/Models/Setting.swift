import FluentKit
import Foundation

/// Installation-wide settings kept in the database (the signing secret when none is configured).
public final class Setting: Model, @unchecked Sendable {
    public static let schema = "settings"

    @ID(custom: "key", generatedBy: .user) public var id: String?
    @Field(key: "value") public var value: String

    public init() {}
    public init(key: String, value: String) {
        self.id = key
        self.value = value
    }
}
