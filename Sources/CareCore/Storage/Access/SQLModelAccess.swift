import FluentKit
import FluentSQL
import Foundation
import SQLKit

/// Fluent models read and written through plain SQL, for the write path (see `CareStorage`).
/// Column names are the models' field keys; values go through the driver's own coders.
extension SQLDatabase {
    /// Inserts a new row. A model with a generated UUID id gets one here.
    func insert<M: Model>(_ model: M) async throws {
        if model.id == nil, let uuid = UUID() as? M.IDValue { model.id = uuid }
        try await insert(into: M.schema).fluentModel(model).run()
        WriteEffects.noteWritten(model)
    }

    /// Writes the fields changed since the model was read; nothing when nothing changed.
    func saveChanges<M: Model>(_ model: M) async throws where M.IDValue: Encodable {
        guard model.hasChanges, let id = model.id else { return }
        try await update(M.schema).set(fluentModel: model).where(SQLColumn(model._$id.key.description), .equal, SQLBind(id)).run()
        WriteEffects.noteWritten(model)
    }

    /// The first row of `M` matching the filters built on a `SELECT *`.
    func first<M: Model>(_ type: M.Type, _ filter: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> M? {
        try await filter(select().column("*").from(M.schema)).first(decodingFluent: M.self)
    }

    func all<M: Model>(_ type: M.Type, _ filter: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [M] {
        try await filter(select().column("*").from(M.schema)).all(decodingFluent: M.self)
    }
}

extension WriteEffects {
    /// What writing this model changes for readers outside the transaction.
    static func noteWritten(_ model: some Model) {
        switch model {
        case let review as Review: noteReviewsChanged(store: review.storeID, product: review.productID)
        case let reply as ReviewReply: noteReviewsChanged(store: reply.storeID, product: nil)
        case let product as Product: noteReviewsChanged(store: product.storeID, product: product.id)
        case let trigger as Trigger: noteRulesChanged(store: trigger.storeID)
        case let endpoint as WebhookEndpoint: noteRulesChanged(store: endpoint.storeID)
        default: break
        }
    }
}
