import Crypto
import FluentKit
import Foundation
import SQLKit

/// Emailed links to set a password: "forgot my password" (valid an hour) and a teammate's invitation
/// (valid a week). A link is `STAFFID.EXPIRES.SIGNATURE`, signed with the installation secret over the
/// person's current password hash, so it stops working the moment the password changes: each link
/// works once, and none is stored.
public struct PasswordLinks: Sendable {
    private let key: SymmetricKey
    public static let resetLifetime: TimeInterval = 3600
    public static let invitationLifetime: TimeInterval = 7 * 86_400

    public init(secret: String) {
        key = SymmetricKey(data: Data(("careloop-password:" + secret).utf8))
    }

    public func token(for staff: StaffUser, expires: Date) throws -> String {
        let id = try staff.requireID().uuidString
        let expiry = String(Int(expires.timeIntervalSince1970))
        return "\(id).\(expiry).\(signature(id, expiry, staff.passwordHash))"
    }

    /// The person a link is for, when it is genuine, unexpired and unused.
    public func staff(for token: String, now: Date, on db: any Database) async throws -> StaffUser? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let id = UUID(uuidString: parts[0]), let expiry = Int(parts[1]),
            Double(expiry) >= now.timeIntervalSince1970, let given = Data(base64URL: parts[2]), Secrets.base64URL(given) == parts[2],
            let staff = try await StaffUser.find(id, on: db)
        else { return nil }
        let content = Data("\(parts[0]).\(parts[1]).\(staff.passwordHash)".utf8)
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: content, using: key) ? staff : nil
    }

    private func signature(_ id: String, _ expiry: String, _ passwordHash: String) -> String {
        Secrets.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data("\(id).\(expiry).\(passwordHash)".utf8), using: key)))
    }
}

extension StaffAuth {
    /// Queues a reset link to the person with this email, if there is one. Says nothing either way,
    /// so the form cannot be used to learn who has an account.
    public static func requestReset(
        email: String, links: PasswordLinks, publicURL: String, storage: CareStorage,
        on db: any Database
    ) async throws {
        let address = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard !address.isEmpty, address.count <= 254,
            let staff = try await StaffUser.query(on: db).filter(\.$email == address).first()
        else { return }
        let now = storage.now()
        let link = "\(publicURL)/app/password/\(try links.token(for: staff, expires: now.addingTimeInterval(PasswordLinks.resetLifetime)))"
        let staffID = try staff.requireID()
        let hour = Int(now.timeIntervalSince1970 / 3600)
        try await storage.write(on: db) { sql in
            // Counted per person in one statement (whatever address the requests come from, however
            // many nodes take them): past `resetMailsPerHour` in a clock hour, no more mail goes.
            let sent = try await sql.raw(
                """
                UPDATE staff_users SET reset_mails = CASE WHEN reset_hour = \(bind: hour) THEN reset_mails + 1 ELSE 1 END,
                    reset_hour = \(bind: hour)
                WHERE id = \(bind: staffID) RETURNING reset_mails
                """
            ).first()?.decode(column: "reset_mails", as: Int.self)
            guard let sent, sent <= resetMailsPerHour else { return }
            try await Outbox.enqueue(
                .staffNotification(
                    to: [staff.email], subject: "Set a new CareLoop password",
                    body:
                        "Someone (we hope you) asked to set a new password for \(staff.email).\n\nSet it here within an hour: \(link)\n\nIf it wasn't you, ignore this email: your password stays as it is."
                ), storeID: staff.storeID, now: now, on: sql)
        }
    }

    /// Reset mails one person gets in a clock hour at most, however often the form is sent.
    public static let resetMailsPerHour = 3

    /// Sets a new password from a link; ends every session of that person and lifts any lockout.
    public static func setPassword(
        _ password: String, token: String, links: PasswordLinks, hasher: any StaffPasswordHasher,
        storage: CareStorage, on db: any Database
    ) async throws -> StaffUser {
        guard let staff = try await links.staff(for: token, now: storage.now(), on: db) else {
            throw CareError.linkExpired(message: "This link has expired or was already used. Ask for a new one.")
        }
        guard password.count >= 10 else { throw CareError.invalid("password", "use at least 10 characters") }
        guard password.count <= 200 else { throw CareError.invalid("password", "use at most 200 characters") }
        let hash = try hasher.hash(password)
        let id = try staff.requireID()
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE staff_users SET password_hash = \(bind: hash), failed_logins = 0, locked_until = NULL WHERE id = \(bind: id)")
                .run()
            try await sql.raw("DELETE FROM staff_sessions WHERE staff_id = \(bind: id)").run()
        }
        staff.passwordHash = hash
        return staff
    }
}

extension Team {
    /// Adds a teammate with no usable password and emails them a link (valid a week) to set one.
    public static func invite(
        email: String, name: String?, role: StaffRole, storeID: UUID, invitedBy: String, links: PasswordLinks,
        publicURL: String, hasher: any StaffPasswordHasher, storage: CareStorage, on db: any Database
    ) async throws -> StaffUser {
        guard let store = try await Store.find(storeID, on: db) else { throw CareError.notFound("store") }
        // A random password nobody knows: the person sets their own through the link.
        let staff = try await add(
            storeSlug: store.slug, email: email, name: name, password: Secrets.randomToken(), role: role,
            hasher: hasher, storage: storage, on: db)
        let link =
            "\(publicURL)/app/password/\(try links.token(for: staff, expires: storage.now().addingTimeInterval(PasswordLinks.invitationLifetime)))"
        try await OutboxQueue.enqueueStaffMail(
            to: staff.email, subject: "You're invited to \(store.name) on CareLoop",
            body:
                "\(invitedBy) invited you to take care of \(store.name)'s customers on CareLoop, as \(role == .owner ? "an owner" : "an agent").\n\nSet your password here within a week: \(link)",
            storeID: storeID, storage: storage, on: db)
        return staff
    }
}
