import Crypto
import FluentKit
import Foundation
import SQLKit

/// Staff sign-in for the dashboard: passwords checked with the injected hasher (bcrypt), sessions
/// kept as hashes of random tokens, each with its own CSRF token, and a lockout that doubles after
/// five failed sign-ins in a row.
public enum StaffAuth {
    public static let sessionLifetime: TimeInterval = 7 * 24 * 3600
    static let freeFailures = 5

    public struct Session: Sendable {
        /// The cookie value; only its hash is stored.
        public let token: String
        public let csrf: String
        public let staff: StaffUser
        public let store: Store
    }

    /// Signs in, or says why not without telling whether the email exists.
    public static func signIn(
        email: String, password: String, hasher: any StaffPasswordHasher, storage: CareStorage,
        on db: any Database
    ) async throws -> Session {
        let now = storage.now()
        let address = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard let staff = try await StaffUser.query(on: db).filter(\.$email == address).first() else {
            // Spend the same time as a real check, so timing does not reveal which emails exist.
            _ = try? hasher.hash(password)
            throw wrongCredentials
        }
        if let until = staff.lockedUntil, until > now {
            throw locked(until: until, now: now)
        }
        let staffID = try staff.requireID()
        guard (try? hasher.verify(password, against: staff.passwordHash)) == true else {
            // The count goes up in SQL, not from the value read above: parallel wrong passwords each
            // count, so the lock cannot be outrun.
            let lock: Date? = try await storage.write(on: db) { sql in
                guard
                    let row = try await sql.raw(
                        """
                        UPDATE staff_users SET failed_logins = failed_logins + 1 WHERE id = \(bind: staffID) RETURNING failed_logins
                        """
                    ).first()
                else { return nil }
                let failures = try row.decode(column: "failed_logins", as: Int.self)
                guard failures >= freeFailures else { return nil }
                let until = now.addingTimeInterval(lockout(afterFailures: failures))
                try await sql.raw(
                    """
                    UPDATE staff_users SET locked_until = \(bind: until)
                    WHERE id = \(bind: staffID) AND (locked_until IS NULL OR locked_until < \(bind: until))
                    """
                ).run()
                return until
            }
            if let lock { throw locked(until: lock, now: now) }
            throw wrongCredentials
        }
        let token = Secrets.randomToken()
        let csrf = Secrets.randomToken(bytes: 24)
        guard let store = try await Store.find(staff.storeID, on: db) else { throw wrongCredentials }
        try await storage.write(on: db) { sql in
            // A lock set by a parallel wrong password since the read above still holds.
            if let row = try await sql.raw("SELECT locked_until FROM staff_users WHERE id = \(bind: staffID)").first(),
                let until = try row.decode(column: "locked_until", as: Date?.self), until > now
            {
                throw locked(until: until, now: now)
            }
            try await sql.raw("UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE id = \(bind: staffID)").run()
            // Expired sessions of this person go as a new one starts.
            try await sql.raw("DELETE FROM staff_sessions WHERE staff_id = \(bind: staffID) AND expires_at < \(bind: now)").run()
            try await sql.raw(
                """
                INSERT INTO staff_sessions (id, token_hash, staff_id, store_id, csrf_token, created_at, expires_at)
                VALUES (\(bind: UUID()), \(bind: Secrets.sha256Hex(token)), \(bind: staffID), \(bind: staff.storeID), \(bind: csrf),
                        \(bind: now), \(bind: now.addingTimeInterval(sessionLifetime)))
                """
            ).run()
        }
        return Session(token: token, csrf: csrf, staff: staff, store: store)
    }

    /// The signed-in person for a session cookie, or nil when it is unknown or expired.
    public static func session(token: String, now: Date, on db: any Database) async throws -> Session? {
        guard token.count >= 20, token.count <= 100 else { return nil }
        let sql = db.sql
        guard
            let row = try await sql.raw(
                """
                SELECT staff_id, csrf_token, expires_at FROM staff_sessions WHERE token_hash = \(bind: Secrets.sha256Hex(token))
                """
            ).first(),
            try row.decode(column: "expires_at", as: Date.self) > now,
            let staff = try await StaffUser.find(try row.decode(column: "staff_id", as: UUID.self), on: db),
            let store = try await Store.find(staff.storeID, on: db)
        else { return nil }
        return Session(token: token, csrf: try row.decode(column: "csrf_token", as: String.self), staff: staff, store: store)
    }

    public static func signOut(token: String, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { sql in
            try await sql.raw("DELETE FROM staff_sessions WHERE token_hash = \(bind: Secrets.sha256Hex(token))").run()
        }
    }

    /// 30 s after the fifth failure, doubling with each one after it, at most an hour.
    static func lockout(afterFailures n: Int) -> TimeInterval {
        min(3600, 30 * pow(2, Double(max(0, n - freeFailures))))
    }

    static let wrongCredentials = CareError.wrongCredentials(message: "that email and password do not match")

    static func locked(until: Date, now: Date) -> CareError {
        CareError.locked(message: "too many failed sign-ins: try again in \(Int(until.timeIntervalSince(now).rounded(.up))) seconds")
    }
}
