import CareCore
import Fluent
import Vapor

/// The store's deliveries: what is waiting, what went out, and what was dead-lettered and why.
enum OutboxController {
    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let status = try req.enumQuery("status", as: OutboxStatus.self)
        let kind = try req.enumQuery("kind", as: OutboxKind.self)
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: try req.intQuery("per_page"))
        let (jobs, total) = try await OutboxListing.page(storeID: ctx.storeID, status: status, kind: kind, page: page, on: req.db)
        return try JSONBody.response(PageView(key: "jobs", items: jobs.map(OutboxJobView.init), page: page, total: total))
    }

    /// Puts a dead-lettered job back in line for one more attempt now.
    static func retry(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "delivery")
        let job = try await OutboxQueue.retryDead(id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(OutboxJobView(job))
    }
}

struct OutboxJobView: Encodable {
    let job: OutboxJob
    init(_ job: OutboxJob) { self.job = job }

    enum CodingKeys: String, CodingKey {
        case id, kind, type, status, attempts, nextAttemptAt = "next_attempt_at", lastError = "last_error"
        case createdAt = "created_at", deliveredAt = "delivered_at", waitingFor = "waiting_for"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job.id, forKey: .id)
        try c.encode(job.kind.rawValue, forKey: .kind)
        let type = (try? JSONDecoder().decode(JSONNode.self, from: Data(job.payload.utf8))).flatMap {
            if case .object(let o) = $0, case .string(let t)? = o["type"] { t } else { nil }
        }
        try c.encode(type, forKey: .type)
        try c.encode(job.status.rawValue, forKey: .status)
        try c.encode(job.attempts, forKey: .attempts)
        // A mail waiting for the conversation's earlier one has no time of its own yet.
        let waiting = job.status == .pending && job.nextAttemptAt >= Outbox.waiting
        try c.encode(waiting ? nil : job.nextAttemptAt, forKey: .nextAttemptAt)
        try c.encode(waiting ? job.follows : nil, forKey: .waitingFor)
        try c.encode(job.lastError, forKey: .lastError)
        try c.encode(job.createdAt, forKey: .createdAt)
        try c.encode(job.deliveredAt, forKey: .deliveredAt)
    }
}
