import Foundation
import SQLKit

/// No loop can send more than a few automatic mails to one address: each store queues at most
/// `perHour` automatic mails (trigger messages, requests, reminders, invitations) to one address in
/// a clock hour, counted in the write that queues them. Past that, a conversation's message is kept
/// but not emailed (a system line says why) and a request waits an hour. A person's reply is never
/// counted or held. The count changes in one SQL statement, so nodes writing at once all count.
public enum AutomaticMailLimit {
    public static let perHour = 5

    /// Counts one automatic mail to `email`; false when the hour's allowance was already used.
    static func take(storeID: UUID, email: String, now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let hour = Int(now.timeIntervalSince1970 / 3600)
        let sent = try await sql.raw(
            """
            INSERT INTO automatic_mail_counts (store_id, email, hour, sent) VALUES (\(bind: storeID), \(bind: email), \(bind: hour), 1)
            ON CONFLICT (store_id, email, hour) DO UPDATE SET sent = automatic_mail_counts.sent + 1
            RETURNING sent
            """
        ).first()?.decode(column: "sent", as: Int.self)
        return (sent ?? 1) <= perHour
    }

    /// Drops the counts of hours long gone (the retention job).
    static func forget(before: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM automatic_mail_counts WHERE hour < \(bind: Int(before.timeIntervalSince1970 / 3600))").run()
    }
}
