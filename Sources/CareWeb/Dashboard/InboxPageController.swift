import CareCore
import Fluent
import Vapor

/// The inbox: conversations by status, mine / unassigned / all, the most urgent SLA first.
enum InboxPageController {
    struct Tab: Encodable {
        let label: String
        let href: String
        let count: Int
        let current: Bool
    }

    struct Row: Encodable {
        let href: String
        let customer: String
        let stars: String?
        let starsLabel: String?
        let firstLine: String
        let subject: String
        let priority: String
        let assignee: String
        let due: String
        let overdue: Bool
    }

    struct Data: Encodable {
        let statusTabs: [Tab]
        let whoTabs: [Tab]
        let rows: [Row]
        let empty: Bool
        let nextPage: String?
        let previousPage: String?
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let status = try req.enumQuery("status", as: ConversationStatus.self) ?? .open
        let who = try req.enumQuery("who", as: Inbox.Who.self) ?? .all
        let page = max(1, min(try req.intQuery("page") ?? 1, 10_000))
        let result = try await Inbox.page(storeID: ctx.storeID, staffID: ctx.staffID, status: status, who: who, page: page, on: req.db)
        let now = req.care.storage.now()
        let link = { (s: ConversationStatus, w: Inbox.Who, p: Int) in
            "/app/inbox?status=\(s.rawValue)&who=\(w.rawValue)" + (p > 1 ? "&page=\(p)" : "")
        }
        let data = Data(
            statusTabs: ConversationStatus.allCases.map {
                Tab(label: $0.rawValue.capitalized, href: link($0, who, 1), count: result.counts[$0.rawValue] ?? 0, current: $0 == status)
            },
            whoTabs: Inbox.Who.allCases.map { Tab(label: $0.rawValue.capitalized, href: link(status, $0, 1), count: 0, current: $0 == who) },
            rows: result.rows.map { r in
                let (due, overdue) = TimeLeft.describe(r.slaDueAt, target: r.slaTarget, status: status, now: now)
                return Row(
                    href: "/app/conversations/\(r.conversationID)", customer: r.customerName ?? r.customerEmail,
                    stars: r.stars.map { Shown.stars($0) },
                    starsLabel: r.stars.map { "\($0) out of 5 stars" }, firstLine: r.firstLine, subject: r.subject,
                    priority: r.priority, assignee: r.assigneeName ?? "Unassigned", due: due, overdue: overdue)
            },
            empty: result.rows.isEmpty,
            nextPage: page * Inbox.pageSize < result.total ? link(status, who, page + 1) : nil,
            previousPage: page > 1 ? link(status, who, page - 1) : nil)
        return try await DashboardPage.render(req, "app-inbox", title: "Inbox", section: "inbox", data)
    }
}

/// "First reply due in 2 h 5 min", "next reply overdue by 12 min", "waiting for the customer": the
/// reply target as a person reads it. Only a reply the store owes has a clock.
enum TimeLeft {
    static func describe(_ due: Date?, target: String?, status: ConversationStatus, now: Date) -> (String, Bool) {
        switch status {
        case .resolved: return ("resolved", false)
        case .waiting: return ("waiting for the customer", false)
        case .open: break
        }
        guard let due else { return ("no reply target", false) }
        let which = target == "next" ? "next reply" : "first reply"
        let seconds = due.timeIntervalSince(now)
        let text = span(abs(seconds))
        return seconds >= 0 ? ("\(which) due in \(text)", false) : ("\(which) overdue by \(text)", true)
    }

    static func span(_ s: TimeInterval) -> String {
        let minutes = Int(s / 60)
        if minutes < 60 { return "\(max(minutes, 0)) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1440) days"
    }
}
