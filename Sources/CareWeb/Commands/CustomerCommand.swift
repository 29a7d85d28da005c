import CareCore
import Fluent
import Vapor

/// `careloop customer export --store SLUG --email EMAIL`: prints everything stored about a customer as
/// JSON (a data subject's access request), and records it in the store's audit log.
struct CustomerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "export")
        var action: String
        @Option(name: "store") var store: String?
        @Option(name: "email") var email: String?
    }

    var help: String { "customer export --store SLUG --email EMAIL: everything stored about a customer, as JSON." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard signature.action == "export" else { throw ConfigError("the customer command knows: export") }
        guard let slug = signature.store, let raw = signature.email else { throw ConfigError("customer export needs --store and --email") }
        guard let store = try await StoreService.store(slug: slug, on: app.db) else { throw ConfigError("no store '\(slug)'") }
        let email = try EmailAddress(raw)
        guard let customer = try await CustomerPrivacy.customer(storeID: store.id!, email: email, on: app.db)
        else { throw ConfigError("no customer \(email.value) in '\(slug)'") }
        let data = try await CustomerPrivacy.export(customerID: customer.id!, storeID: store.id!, now: Date(), on: app.db)
        try await AuditLog.record(
            storeID: store.id!, actor: "command line", action: "customer.exported", subject: customer.id!.uuidString,
            storage: app.care.storage, on: app.db)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(data), as: UTF8.self))
    }
}
