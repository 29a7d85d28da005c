import FluentKit
import Foundation

/// A store's team: people who sign in to the dashboard, as owners (everything) or agents (no
/// settings, keys, webhooks or triggers).
public enum Team {
    /// The team by name (the pickers of "Assign to").
    public static func byName(storeID: UUID, on db: any Database) async throws -> [StaffUser] {
        try await StaffUser.query(on: db).filter(\.$storeID == storeID).sort(\.$name).all()
    }

    /// The team in the order they joined (the settings page's list).
    public static func byJoining(storeID: UUID, on db: any Database) async throws -> [StaffUser] {
        try await StaffUser.query(on: db).filter(\.$storeID == storeID).sort(\.$createdAt).all()
    }

    /// Every team member's address, lower-cased.
    public static func emails(storeID: UUID, on db: any Database) async throws -> Set<String> {
        Set(try await StaffUser.query(on: db).filter(\.$storeID == storeID).all().map { $0.email.lowercased() })
    }

    public static func add(
        storeSlug: String, email rawEmail: String, name: String?, password: String, role: StaffRole,
        hasher: any StaffPasswordHasher, storage: CareStorage, on db: any Database
    ) async throws -> StaffUser {
        guard let store = try await StoreService.store(slug: storeSlug, on: db) else { throw CareError.notFound("store") }
        let email = try EmailAddress(rawEmail, field: "email")
        guard password.count >= 8 else { throw CareError.invalid("password", "must be at least 8 characters") }
        if try await StaffUser.query(on: db).filter(\.$email == email.value).first() != nil {
            throw CareError.emailTaken(message: "email: already a staff member of a store", field: "email")
        }
        let staff = StaffUser(
            storeID: try store.requireID(), email: email.value,
            name: try Text.optional(name, field: "name", max: 100) ?? email.localPart,
            passwordHash: try hasher.hash(password), role: role, createdAt: storage.now())
        try await storage.write(on: db) { sql in try await sql.insert(staff) }
        return staff
    }
}
