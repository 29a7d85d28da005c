import CareCore
import Vapor

/// Settings → Replies: the next-reply target, business hours, and whether a reply assigns an
/// unowned conversation to the person who wrote it.
enum ReplyTargetsPage {
    struct Day: Encodable {
        let value: Int
        let label: String
        let checked: Bool
    }

    struct Context: Encodable {
        let nextReplyHours: String
        let businessHours: Bool
        let openHour: Int
        let closeHour: Int
        let days: [Day]
        let assignOnReply: Bool
        let timeZone: String
    }

    static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    static func context(storeID: UUID, req: Request) async throws -> Context {
        let t = try await ReplyTargets.load(storeID: storeID, on: req.db)
        return Context(
            nextReplyHours: t.nextReplyMinutes.map { hours($0) } ?? "", businessHours: t.businessHours, openHour: t.openHour,
            closeHour: t.closeHour,
            days: dayNames.enumerated().map { Day(value: $0 + 1, label: $1, checked: t.workDays.contains($0 + 1)) },
            assignOnReply: t.assignOnReply, timeZone: t.timeZone)
    }

    /// Minutes as hours a person would type back: `8`, `0.5`, `1.25`.
    static func hours(_ minutes: Int) -> String {
        minutes % 60 == 0
            ? "\(minutes / 60)"
            : String(format: "%.2f", Double(minutes) / 60).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }

    struct Form: Content {
        let next_reply_hours: String?
        let business_hours: String?
        let open_hour: String?
        let close_hour: String?
        let work_days: [String]?
        let assign_on_reply: String?
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(Form.self)
        var t = ReplyTargets()
        let hoursText = (form.next_reply_hours ?? "").trimmingCharacters(in: .whitespaces)
        if hoursText.isEmpty {
            t.nextReplyMinutes = nil
        } else {
            // Digits and one point only ("0x10" and "1e3" read as numbers to Double).
            guard hoursText.utf8.count <= 12, hoursText.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }),
                let h = Double(hoursText), h.isFinite, h > 0, h <= 720
            else {
                throw CareError.invalid("next_reply_hours", "must be a number of hours from 0.1 to 720, or empty for no target")
            }
            t.nextReplyMinutes = Int((h * 60).rounded())
        }
        t.businessHours = form.business_hours == "1"
        func hour(_ raw: String?, _ field: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let raw, raw.utf8.count <= 4, let n = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                throw CareError.invalid(field, "must be an hour from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        t.openHour = try hour(form.open_hour, "open_hour", 0...23)
        t.closeHour = try hour(form.close_hour, "close_hour", 1...24)
        let raw = form.work_days ?? []
        guard raw.count <= 50 else { throw CareError.invalid("work_days", "choose working days from Monday to Sunday") }
        let days = Set(raw.compactMap { Int($0) }.filter { (1...7).contains($0) })
        // Without business hours the working days do not matter: keep what was there, Monday to Friday by default.
        t.workDays = days.isEmpty && !t.businessHours ? ReplyTargets().workDays : days
        t.assignOnReply = form.assign_on_reply == "1"
        try await ReplyTargets.save(t, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "replies"))
    }
}
