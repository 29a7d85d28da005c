import FluentKit
import Foundation
import SQLKit

/// How fast a store means to answer: the first-reply target comes from a trigger's "set SLA"
/// action, the next-reply target (after each customer message) from here; both can count only
/// business hours. Also whether a reply assigns an unowned conversation to the person who wrote it.
public struct ReplyTargets: Sendable, Equatable {
    /// Minutes to answer a customer's message; nil: no target unless a trigger sets one.
    public var nextReplyMinutes: Int? = 8 * 60
    /// Count only the hours from `openHour` to `closeHour` on `workDays`, in the store's time zone.
    public var businessHours = false
    public var openHour = 9
    public var closeHour = 17
    /// ISO weekdays, 1 is Monday and 7 Sunday.
    public var workDays: Set<Int> = [1, 2, 3, 4, 5]
    public var assignOnReply = true
    /// The store's time zone (the one its request settings name).
    public var timeZone = "UTC"

    public init() {}

    public static let minutesRange = 5...(30 * 24 * 60)

    public func validated() throws(CareError) -> ReplyTargets {
        if let m = nextReplyMinutes, !Self.minutesRange.contains(m) {
            throw .invalid("next_reply_hours", "must be from 5 minutes to 30 days")
        }
        guard (0...23).contains(openHour) else { throw .invalid("open_hour", "must be an hour from 0 to 23") }
        guard (1...24).contains(closeHour), closeHour > openHour else {
            throw .invalid("close_hour", "must be an hour after the opening hour, up to 24")
        }
        guard !workDays.isEmpty, workDays.allSatisfy({ (1...7).contains($0) }) else {
            throw .invalid("work_days", "choose at least one working day")
        }
        return self
    }

    var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")! }

    /// When `minutes` of working time from `start` have passed: wall-clock minutes, or only those
    /// inside business hours. Bounded: at most 30 days of minutes, walked a working window at a time.
    public func deadline(from start: Date, minutes: Int) -> Date {
        let minutes = min(max(minutes, 0), Self.minutesRange.upperBound)
        guard businessHours, !workDays.isEmpty, closeHour > openHour else { return start.addingTimeInterval(Double(minutes) * 60) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var left = Double(minutes) * 60
        var t = start
        // Each pass ends a day: 30 days of minutes in one-hour windows on one day a week is < 5 100.
        for _ in 0..<6_000 {
            let day = calendar.startOfDay(for: t)
            let weekday = calendar.component(.weekday, from: day) // 1 is Sunday
            let iso = (weekday + 5) % 7 + 1
            if workDays.contains(iso),
                let open = calendar.date(byAdding: .hour, value: openHour, to: day),
                let close = calendar.date(byAdding: .hour, value: closeHour, to: day), t < close
            {
                let from = max(t, open)
                let window = close.timeIntervalSince(from)
                if left <= window { return from.addingTimeInterval(left) }
                left -= window
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            t = next
        }
        return t.addingTimeInterval(left)
    }

    var workDaysText: String { workDays.sorted().map(String.init).joined() }

    /// The same, read outside a write (the pages).
    public static func load(storeID: UUID, on db: any Database) async throws -> ReplyTargets {
        try await load(storeID: storeID, on: db.sql)
    }

    /// The store's targets, or the defaults when it never changed them.
    public static func load(storeID: UUID, on sql: any SQLDatabase) async throws -> ReplyTargets {
        var t = ReplyTargets()
        if let zone = try await StoreZone.name(of: storeID, on: sql) { t.timeZone = zone }
        guard
            let row = try await sql.raw(
                """
                SELECT next_reply_minutes, business_hours, open_hour, close_hour, work_days, assign_on_reply
                FROM care_settings WHERE store_id = \(bind: storeID)
                """
            ).first()
        else { return t }
        t.nextReplyMinutes = try row.decode(column: "next_reply_minutes", as: Int?.self)
        t.businessHours = try row.decode(column: "business_hours", as: Bool.self)
        t.openHour = try row.decode(column: "open_hour", as: Int.self)
        t.closeHour = try row.decode(column: "close_hour", as: Int.self)
        t.workDays = Set(try row.decode(column: "work_days", as: String.self).compactMap { $0.wholeNumberValue })
        t.assignOnReply = try row.decode(column: "assign_on_reply", as: Bool.self)
        return t
    }

    /// Stores the targets (validated first). The time zone is the request settings' and not kept here.
    public static func save(_ targets: ReplyTargets, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        let t = try targets.validated()
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                INSERT INTO care_settings (store_id, next_reply_minutes, business_hours, open_hour, close_hour, work_days, assign_on_reply)
                VALUES (\(bind: storeID), \(bind: t.nextReplyMinutes), \(bind: t.businessHours), \(bind: t.openHour), \(bind: t.closeHour),
                \(bind: t.workDaysText), \(bind: t.assignOnReply))
                ON CONFLICT (store_id) DO UPDATE SET next_reply_minutes = excluded.next_reply_minutes,
                business_hours = excluded.business_hours, open_hour = excluded.open_hour, close_hour = excluded.close_hour,
                work_days = excluded.work_days, assign_on_reply = excluded.assign_on_reply
                """
            ).run()
        }
    }
}

/// The reply clock of one conversation: it runs while the store owes the customer a reply and
/// stops (paused, not reset to a stale deadline) while the store waits for the customer. Each
/// target that ends, by a reply or by resolving after its deadline, is kept as met or breached.
enum SLAClock {
    static let first = "first"
    static let next = "next"

    /// Starts the clock for `minutes` of (business) time from now.
    static func start(_ c: Conversation, minutes: Int, targets: ReplyTargets, now: Date) {
        c.slaTarget = c.firstResponseAt == nil ? first : next
        c.slaDueAt = targets.deadline(from: now, minutes: minutes)
    }

    /// The customer wrote: the store owes a reply within its next-reply target, unless a reply
    /// was already owed (the earlier deadline stands).
    static func customerWrote(_ c: Conversation, now: Date, on sql: any SQLDatabase) async throws {
        guard c.slaDueAt == nil else { return }
        let targets = try await ReplyTargets.load(storeID: c.storeID, on: sql)
        guard let minutes = targets.nextReplyMinutes else { return }
        start(c, minutes: minutes, targets: targets, now: now)
    }

    /// A person replied: the owed reply is met or breached, and the clock stops.
    static func answered(_ c: Conversation, staffID: UUID?, now: Date, on sql: any SQLDatabase) async throws {
        guard let due = c.slaDueAt else { return }
        try await record(c, due: due, met: now <= due, staffID: staffID, now: now, on: sql)
    }

    /// Resolved: a deadline already passed without a reply counts as breached; one still running
    /// simply stops (nothing was owed any more).
    static func resolved(_ c: Conversation, now: Date, on sql: any SQLDatabase) async throws {
        guard let due = c.slaDueAt else { return }
        if now > due {
            try await record(c, due: due, met: false, staffID: nil, now: now, on: sql)
        } else {
            c.slaDueAt = nil
            c.slaTarget = nil
        }
    }

    private static func record(_ c: Conversation, due: Date, met: Bool, staffID: UUID?, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO sla_results (id, store_id, conversation_id, target, due_at, settled_at, met, staff_id)
            VALUES (\(bind: UUID()), \(bind: c.storeID), \(bind: c.id!), \(bind: c.slaTarget ?? first), \(bind: due), \(bind: now),
            \(bind: met), \(bind: staffID))
            """
        ).run()
        c.slaDueAt = nil
        c.slaTarget = nil
    }
}
