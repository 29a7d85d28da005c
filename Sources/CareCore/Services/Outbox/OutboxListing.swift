import FluentKit
import Foundation

/// What a store sees of its deliveries: the API's paged list and the settings page's latest webhooks.
public enum OutboxListing {
    /// One page of the store's deliveries, newest first, and how many match.
    public static func page(
        storeID: UUID, status: OutboxStatus?, kind: OutboxKind?, page: ReviewQueries.Page, on db: any Database
    ) async throws -> (jobs: [OutboxJob], total: Int) {
        let query = OutboxJob.query(on: db).filter(\.$storeID == storeID)
        if let status { query.filter(\.$status == status) }
        if let kind { query.filter(\.$kind == kind) }
        let total = try await query.copy().count()
        let jobs = try await query.sort(\.$createdAt, .descending).range(page.offset..<(page.offset + page.size)).all()
        return (jobs, total)
    }

    /// The store's latest webhook deliveries (the settings page shows the last 20).
    public static func latestWebhooks(storeID: UUID, limit: Int = 20, on db: any Database) async throws -> [OutboxJob] {
        try await OutboxJob.query(on: db).filter(\.$storeID == storeID).filter(\.$kind == .webhook)
            .sort(\.$createdAt, .descending).limit(limit).all()
    }
}
