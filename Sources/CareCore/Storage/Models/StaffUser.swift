import FluentKit
import Foundation

/// A person who works a store's reviews and conversations. Emails are unique across CareLoop so sign-in is unambiguous.
public final class StaffUser: Model, @unchecked Sendable {
    public static let schema = "staff_users"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "email") public var email: String
    @Field(key: "name") public var name: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "role") public var role: StaffRole
    @Field(key: "created_at") public var createdAt: Date
    /// Failed sign-ins in a row; from the fifth, sign-in is locked for a doubling while.
    @Field(key: "failed_logins") public var failedLogins: Int
    @OptionalField(key: "locked_until") public var lockedUntil: Date?

    public init() {}

    public init(storeID: UUID, email: String, name: String, passwordHash: String, role: StaffRole, createdAt: Date) {
        self.storeID = storeID
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = createdAt
        self.failedLogins = 0
    }
}
