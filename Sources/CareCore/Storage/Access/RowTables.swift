import FluentKit
import Foundation

// The tables written through `RowTable` descriptions, one line per column (see `RowTable`).

extension Product {
    static let table = RowTable<Product>([
        .id(\.$id), .column(\.$storeID, fixed: true),
        .column(\.$externalID, fixed: true), .column(\.$name), .column(\.$url),
        .column(\.$imageURL), .column(\.$createdAt, fixed: true),
        .column(\.$sku), .column(\.$gtin), .column(\.$mpn), .column(\.$brand),
    ])
}

extension Customer {
    static let table = RowTable<Customer>([
        .id(\.$id), .column(\.$storeID, fixed: true), .column(\.$email),
        .column(\.$name), .column(\.$createdAt, fixed: true), .column(\.$erasedAt),
    ])
}

extension Review {
    static let table = RowTable<Review>([
        .id(\.$id), .column(\.$storeID, fixed: true), .column(\.$productID, fixed: true),
        .column(\.$customerID, fixed: true), .column(\.$orderID), .column(\.$rating),
        .column(\.$originalRating), .column(\.$title), .column(\.$body),
        .column(\.$authorName), .text(\.$status), .column(\.$statusReason),
        .column(\.$heldByRule), .column(\.$publishAfter), .column(\.$moderatedBy),
        .column(\.$moderatedAt), .column(\.$verified), .text(\.$source, fixed: true),
        .column(\.$createdAt, fixed: true), .column(\.$updatedAt),
    ])
}

extension Conversation {
    static let table = RowTable<Conversation>([
        .id(\.$id), .column(\.$storeID, fixed: true), .column(\.$customerID, fixed: true),
        .column(\.$reviewID, fixed: true), .column(\.$subject, fixed: true), .text(\.$status),
        .text(\.$priority), .column(\.$assigneeID), .column(\.$tagsJSON),
        .column(\.$slaDueAt), .column(\.$slaTarget), .column(\.$firstResponseAt), .column(\.$resolvedAt),
        .column(\.$resolutionNote), .column(\.$token, fixed: true),
        .column(\.$lastCustomerAt), .column(\.$lastStaffAt), .column(\.$mergedIntoID),
        .column(\.$createdAt, fixed: true), .column(\.$updatedAt),
    ])
}

extension ConversationMessage {
    static let table = RowTable<ConversationMessage>([
        .id(\.$id), .column(\.$storeID, fixed: true),
        .column(\.$conversationID, fixed: true), .text(\.$author, fixed: true),
        .column(\.$staffID, fixed: true), .column(\.$body), .column(\.$emailMessageID),
        .column(\.$createdAt, fixed: true), .column(\.$actionID, fixed: true), .column(\.$heldUntil),
    ])
}

extension OutboxJob {
    static let table = RowTable<OutboxJob>([
        .id(\.$id), .column(\.$storeID, fixed: true), .text(\.$kind, fixed: true),
        .column(\.$payload), .text(\.$status), .column(\.$attempts),
        .column(\.$nextAttemptAt), .column(\.$lockedUntil), .column(\.$lastError),
        .column(\.$createdAt, fixed: true), .column(\.$deliveredAt), .column(\.$lane, fixed: true),
        .column(\.$actionID, fixed: true), .column(\.$follows, fixed: true), .column(\.$conversationID, fixed: true),
    ])
}

extension Store {
    static let table = RowTable<Store>([
        .id(\.$id), .column(\.$name), .column(\.$slug, fixed: true), .column(\.$moderationHoldHours),
        .column(\.$createdAt, fixed: true), .column(\.$inboundSecret), .column(\.$inviteReviewUpdate),
        .column(\.$retentionMonths),
    ])
}

extension ReviewReply {
    static let table = RowTable<ReviewReply>([
        .id(\.$id), .column(\.$storeID, fixed: true), .column(\.$reviewID, fixed: true), .column(\.$body),
        .column(\.$createdAt, fixed: true), .column(\.$updatedAt),
    ])
}

extension ReviewRequest {
    static let table = RowTable<ReviewRequest>([
        .id(\.$id), .column(\.$storeID, fixed: true), .column(\.$orderID, fixed: true),
        .column(\.$customerID, fixed: true), .column(\.$emailsSent), .column(\.$nextSendAt),
        .column(\.$firstSentAt), .column(\.$lastSentAt), .column(\.$formOpenedAt),
        .column(\.$reviewedAt), .column(\.$stoppedReason), .column(\.$createdAt, fixed: true),
        .column(\.$conversationID),
    ])
}

/// Every described table, for the completeness test.
enum RowTables {
    static let all: [(model: any Model.Type, columns: [String])] = [
        (Product.self, Product.table.columnNames), (Customer.self, Customer.table.columnNames),
        (Review.self, Review.table.columnNames), (Conversation.self, Conversation.table.columnNames),
        (ConversationMessage.self, ConversationMessage.table.columnNames), (OutboxJob.self, OutboxJob.table.columnNames),
        (Store.self, Store.table.columnNames), (ReviewReply.self, ReviewReply.table.columnNames),
        (ReviewRequest.self, ReviewRequest.table.columnNames),
    ]
}
