import CareCore
import Foundation
import Vapor

/// `careloop create-store --name … --slug … --owner-email … --owner-password …`
/// Prints one JSON object: `{"store_id", "slug", "api_key"}`. The key is shown only here.
struct CreateStoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "name") var name: String?
        @Option(name: "slug") var slug: String?
        @Option(name: "owner-email") var ownerEmail: String?
        @Option(name: "owner-password") var ownerPassword: String?
    }

    var help: String { "Creates a store with its owner and an API key; prints {\"store_id\", \"slug\", \"api_key\"}." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let name = signature.name, let slug = signature.slug,
            let email = signature.ownerEmail, let password = signature.ownerPassword
        else {
            throw ConfigError("create-store needs --name, --slug, --owner-email and --owner-password")
        }
        let created = try await StoreService.createStore(
            name: name, slug: slug, ownerEmail: email, ownerPassword: password,
            hasher: app.care.hasher, storage: app.care.storage, on: app.db)
        let out: [String: String] = ["store_id": try created.store.requireID().uuidString, "slug": created.store.slug, "api_key": created.apiKey]
        let data = try JSONBody.encoder.encode(out)
        print(String(decoding: data, as: UTF8.self))
    }
}

/// `careloop add-staff --store SLUG --email … --password … [--name …] [--role agent|owner]`: adds a
/// person to a store's team (agents by default). Prints `{"staff_id", "email", "role"}`.
struct AddStaffCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "store") var store: String?
        @Option(name: "email") var email: String?
        @Option(name: "password") var password: String?
        @Option(name: "name") var name: String?
        @Option(name: "role") var role: String?
    }

    var help: String { "Adds a staff member (agent by default) to a store; prints {\"staff_id\", \"email\", \"role\"}." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let store = signature.store, let email = signature.email, let password = signature.password else {
            throw ConfigError("add-staff needs --store, --email and --password")
        }
        guard let role = StaffRole(rawValue: signature.role ?? "agent") else { throw ConfigError("--role is agent or owner") }
        let staff = try await Team.add(
            storeSlug: store, email: email, name: signature.name, password: password, role: role,
            hasher: app.care.hasher, storage: app.care.storage, on: app.db)
        let out = ["staff_id": try staff.requireID().uuidString, "email": staff.email, "role": staff.role.rawValue]
        print(String(decoding: try JSONBody.encoder.encode(out), as: UTF8.self))
    }
}
