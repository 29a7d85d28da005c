import Foundation

/// The column layouts other review platforms export (and CareLoop's own, which `careloop export
/// reviews` writes). Columns are found by name, not position, compared without case, spaces or
/// punctuation ("Review Score", "review_score" and "reviewScore" are one column), so a file whose
/// platform renamed or reordered its columns still reads.
public enum ReviewImportFormat: String, Sendable, CaseIterable {
    case judgeme, yotpo, okendo, careloop

    /// Each field and the column names it may have, most likely first.
    struct Columns: Sendable {
        var sourceID: [String] = []
        /// The product's id in the shop, in order of preference (the first non-empty one is used).
        var product: [String]
        var productName: [String] = []
        var productURL: [String] = []
        var rating: [String]
        var title: [String]
        var body: [String]
        var authorName: [String]
        var email: [String]
        var date: [String]
        var order: [String] = []
        var reply: [String] = []
        /// A column saying whether the review was shown on the old platform.
        var published: [String] = []
    }

    var columns: Columns {
        switch self {
        case .judgeme:
            Columns(
                sourceID: ["id", "review_id"], product: ["product_id", "product_handle"], productName: ["product_title", "product_name"],
                rating: ["rating"], title: ["title"], body: ["body"], authorName: ["reviewer_name"], email: ["reviewer_email"],
                date: ["review_date", "created_at"], reply: ["reply"], published: ["curated", "published"])
        case .yotpo:
            Columns(
                sourceID: ["review_id", "id"], product: ["product_id", "sku", "product_sku"],
                productName: ["product_title", "product_name"], productURL: ["product_url"],
                rating: ["review_score", "score", "rating"], title: ["review_title", "title"],
                body: ["review_content", "content", "body"], authorName: ["display_name", "reviewer_display_name", "user_name"],
                email: ["email", "reviewer_email", "user_email"], date: ["date", "review_creation_date", "created_at"],
                order: ["order_id"], reply: ["comment_content", "public_comment", "comment"], published: ["published"])
        case .okendo:
            Columns(
                sourceID: ["review_id", "id"], product: ["product_id", "sku", "handle"], productName: ["product_name", "product_title"],
                productURL: ["product_url"], rating: ["rating"], title: ["title"], body: ["body"], authorName: ["name", "reviewer_name"],
                email: ["email", "reviewer_email"], date: ["date_created", "created_at"], order: ["order_id", "order_number"],
                reply: ["reply", "reply_body"], published: ["is_published", "status"])
        case .careloop:
            Columns(
                sourceID: ["review_id"], product: ["product_id"], productName: ["product_name"], productURL: ["product_url"],
                rating: ["rating"], title: ["title"], body: ["body"], authorName: ["author_name"], email: ["email"],
                date: ["created_at"], order: ["order_id"], reply: ["reply"], published: ["status"])
        }
    }

    /// "Review Score", "review_score", "reviewScore" → "reviewscore".
    static func normalized(_ header: String) -> String {
        String(String.UnicodeScalarView(header.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }))
    }
}

/// One review as a row of an import file says it, checked.
struct ImportedReview: Sendable {
    var line: Int
    var sourceID: String?
    var product: ProductRef
    var rating: Rating
    var title: String?
    var body: String?
    var authorName: String
    var email: EmailAddress?
    var date: Date
    var orderExternalID: String?
    var reply: String?
    /// The name as the file gives it (the review shows `authorName`, shortened).
    var fullName: String?
    var before: Before

    /// What the old platform did with the review.
    enum Before: Sendable { case shown, notShown, rejected, spam }
}

/// Reads rows of one layout: which column holds which field is settled once, from the header.
struct ReviewImportRows {
    let format: ReviewImportFormat
    private let index: [String: Int]
    /// Each field's candidate column positions, keyed by the field's first name.
    private let positions: [String: [Int]]
    private let columns: ReviewImportFormat.Columns

    /// Fails when the header lacks a column the layout needs, naming the names it looked for.
    init(format: ReviewImportFormat, header: [String]) throws(CareError) {
        self.format = format
        self.columns = format.columns
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[ReviewImportFormat.normalized(name)] == nil {
            index[ReviewImportFormat.normalized(name)] = i
        }
        self.index = index
        var positions: [String: [Int]] = [:]
        let c = format.columns
        for names in [
            c.sourceID, c.product, c.productName, c.productURL, c.rating, c.title, c.body, c.authorName, c.email, c.date, c.order, c.reply,
            c.published,
        ] {
            guard let first = names.first else { continue }
            positions[first] = names.compactMap { index[ReviewImportFormat.normalized($0)] }
        }
        self.positions = positions
        for (field, names) in [("product id", columns.product), ("rating", columns.rating), ("date", columns.date)] {
            guard names.contains(where: { index[ReviewImportFormat.normalized($0)] != nil }) else {
                throw .invalid(
                    "header", "has no \(field) column for the \(format.rawValue) layout (looked for \(names.joined(separator: ", ")))")
            }
        }
    }

    private func value(_ names: [String], in fields: [String]) -> String? {
        // Column positions are settled per name once (`positions`), not per row.
        for i in positions[names.first ?? ""] ?? [] where i < fields.count {
            let v = Text.trim(unguarded(fields[i]))
            if !v.isEmpty { return v }
        }
        return nil
    }

    /// The row's review, or the reason it cannot be imported (naming the column).
    func review(_ record: CSVReader.Record) throws(CareError) -> ImportedReview {
        let f = record.fields
        let limits = ReviewSubmission.limits
        func text(_ names: [String], max: Int) throws(CareError) -> String? {
            try Text.optional(value(names, in: f), field: names.first ?? "", max: max)
        }
        guard let productID = try text(columns.product, max: limits.externalID) else { throw .missing(columns.product.first!) }
        let ratingText = value(columns.rating, in: f) ?? ""
        guard let stars = Self.wholeNumber(ratingText) else {
            throw .invalid(columns.rating.first!, ratingText.isEmpty ? "is missing" : "'\(ratingText.prefix(20))' is not a whole number of stars")
        }
        let rating = try Rating(stars)
        let dateText = value(columns.date, in: f) ?? ""
        guard let date = ImportDate.parse(dateText) else {
            throw .invalid(columns.date.first!, dateText.isEmpty ? "is missing" : "'\(dateText.prefix(40))' is not a date this import reads")
        }
        let emailText = value(columns.email, in: f)
        let email = try emailText.map { v throws(CareError) in try EmailAddress(v, field: columns.email.first!) }
        let name = try text(columns.authorName, max: limits.authorName)
        let productName = try text(columns.productName, max: limits.name)
        return ImportedReview(
            line: record.line,
            sourceID: try text(columns.sourceID, max: limits.externalID),
            product: ProductRef(
                externalID: productID, name: productName ?? productID,
                url: try Text.url(value(columns.productURL, in: f), field: columns.productURL.first ?? "product_url")),
            rating: rating,
            title: try text(columns.title, max: limits.title),
            body: try text(columns.body, max: limits.body),
            authorName: name.map(ReviewIngest.displayName) ?? "Customer",
            email: email,
            date: date,
            orderExternalID: try text(columns.order, max: limits.externalID),
            reply: try text(columns.reply, max: 10_000),
            fullName: name,
            before: Self.before(value(columns.published, in: f)))
    }

    /// "5", "5.0" and "5.00" are five stars; "4.5" is not a whole number.
    static func wholeNumber(_ s: String) -> Int? {
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, (1...3).contains(whole.count), whole.allSatisfy(\.isASCII), let n = Int(whole) else { return nil }
        if parts.count == 2 { guard parts[1].count <= 3, parts[1].allSatisfy({ $0 == "0" }) else { return nil } }
        return n
    }

    /// Whether the old platform showed the review. Anything other than a clear "no" counts as shown:
    /// an empty column, `true`, `ok` (Judge.me), `published`.
    static func before(_ value: String?) -> ImportedReview.Before {
        guard let v = value?.lowercased() else { return .shown }
        // A person's decision (CareLoop's own `rejected`, with its reason) stands.
        if v == "rejected" { return .rejected }
        if v == "spam" { return .spam }
        return ["false", "0", "no", "n", "hidden", "unpublished", "not-yet", "pending", "archived"].contains(v) ? .notShown : .shown
    }

    /// CareLoop's own CSV export puts `'` before a cell that a spreadsheet would run as a formula (and
    /// before one that starts with `'` itself); read back, that one mark comes off again.
    private func unguarded(_ v: String) -> String {
        guard format == .careloop, v.unicodeScalars.first == "'", let next = v.unicodeScalars.dropFirst().first,
            CSVWriter.guardedStarts.contains(next)
        else { return v }
        return String(String.UnicodeScalarView(v.unicodeScalars.dropFirst()))
    }
}
