import CareCore
import Vapor

/// An inbox view as it travels in links and forms (`status=open&who=all&sort=sla&q=…`), so the
/// conversation page knows which list "next" and "previous" walk.
enum InboxViewQuery {
    static func parse(_ req: Request) throws -> Inbox.View {
        var v = Inbox.View()
        v.status = try req.enumQuery("status", as: ConversationStatus.self) ?? .open
        v.who = try req.enumQuery("who", as: Inbox.Who.self) ?? .all
        v.sort = try req.enumQuery("sort", as: Inbox.Sort.self) ?? .sla
        v.search = try SearchWords.checked(req.queryText("q"), max: Inbox.View.maxSearch)
        if let tag = req.queryText("tag")?.trimmingCharacters(in: .whitespaces).lowercased(), !tag.isEmpty {
            guard tag.count <= 50 else { throw CareError.invalid("tag", "a tag is at most 50 characters") }
            v.tag = tag
        }
        if let raw = req.queryText("product"), !raw.isEmpty {
            guard let id = UUID(uuidString: raw) else { throw CareError.invalid("product", "must be a product id") }
            v.productID = id
        }
        v.overdue = req.queryText("overdue") == "1"
        return v
    }

    /// The view as a query string, defaults left out; `page` only past the first.
    static func string(_ v: Inbox.View, page: Int = 1) -> String {
        var items = [URLQueryItem(name: "status", value: v.status.rawValue), URLQueryItem(name: "who", value: v.who.rawValue)]
        if v.sort != .sla { items.append(URLQueryItem(name: "sort", value: v.sort.rawValue)) }
        if let q = v.search { items.append(URLQueryItem(name: "q", value: q)) }
        if let t = v.tag { items.append(URLQueryItem(name: "tag", value: t)) }
        if let p = v.productID { items.append(URLQueryItem(name: "product", value: p.uuidString)) }
        if v.overdue { items.append(URLQueryItem(name: "overdue", value: "1")) }
        if page > 1 { items.append(URLQueryItem(name: "page", value: String(page))) }
        var c = URLComponents()
        c.queryItems = items
        // `+` would read as a space on the way back.
        return (c.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    /// The view a conversation page was opened from: its query string rides along as `view`.
    static func from(viewParameter raw: String?) -> Inbox.View {
        guard let raw, !raw.isEmpty, raw.utf8.count <= 1_000, let url = URI(string: "/?" + raw).query else { return Inbox.View() }
        var v = Inbox.View()
        var items: [String: String] = [:]
        for pair in url.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { items[parts[0]] = parts[1] }
        }
        v.status = items["status"].flatMap(ConversationStatus.init(rawValue:)) ?? .open
        v.who = items["who"].flatMap(Inbox.Who.init(rawValue:)) ?? .all
        v.sort = items["sort"].flatMap(Inbox.Sort.init(rawValue:)) ?? .sla
        v.search = SearchWords.kept(items["q"], max: Inbox.View.maxSearch)
        if let t = items["tag"], !t.isEmpty, t.count <= 50 { v.tag = t }
        v.productID = items["product"].flatMap(UUID.init(uuidString:))
        v.overdue = items["overdue"] == "1"
        return v
    }
}

/// "5 min ago", "3 h ago", "2 days ago": when something happened, as a list shows it.
enum Ago {
    static func text(_ d: Date, now: Date) -> String {
        let s = now.timeIntervalSince(d)
        if s < 60 { return "just now" }
        let m = Int(s / 60)
        if m < 60 { return "\(m) min ago" }
        if m < 48 * 60 { return "\(m / 60) h ago" }
        return "\(m / 1440) days ago"
    }
}
