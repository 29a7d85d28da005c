import FluentKit
import Foundation
import SQLKit

/// Reading reviews: the public page of a product and the store's own list. Query functions only,
/// so they can be tested without HTTP.
public enum ReviewQueries {
    public struct Page: Sendable {
        public var number: Int
        public var size: Int
        public var offset: Int { (number - 1) * size }

        public static let maxSize = 100

        public init(number requested: Int?, size requestedSize: Int?, defaultSize: Int = 20) throws(CareError) {
            let n = requested ?? 1
            let s = requestedSize ?? defaultSize
            guard n >= 1, n <= 100_000 else { throw .invalid("page", "must be a whole number from 1 to 100000") }
            guard (1...Self.maxSize).contains(s) else { throw .invalid("per_page", "must be a whole number from 1 to \(Self.maxSize)") }
            self.number = n
            self.size = s
        }
    }

    /// A review with what its lists show beside it: plain values read in one joined query.
    public struct Listed: Sendable {
        public struct Reply: Sendable {
            public let body: String
            public let createdAt: Date
            public let updatedAt: Date
        }
        public struct ProductBrief: Sendable {
            public let externalID: String
            public let name: String
        }
        public struct CustomerBrief: Sendable {
            public let id: UUID
            public let email: String
            public let name: String?
        }

        public let review: ReviewRow
        public let reply: Reply?
        public let product: ProductBrief?
        public let customer: CustomerBrief?

        public init(review: ReviewRow, reply: Reply?, product: ProductBrief?, customer: CustomerBrief?) {
            self.review = review
            self.reply = reply
            self.product = product
            self.customer = customer
        }

        /// A review just written, with the product and customer it was written for.
        public init(review: Review, product: Product, customer: Customer) throws {
            self.review = try ReviewRow(review)
            self.reply = nil
            self.product = ProductBrief(externalID: product.externalID, name: product.name)
            self.customer = customer.id.map { CustomerBrief(id: $0, email: customer.email, name: customer.name) }
        }
    }

    /// A product as its public pages show it (the widget, the embed, JSON-LD).
    public struct PublicProduct: Sendable {
        public let id: UUID
        public let storeID: UUID
        public let externalID: String
        public let name: String
        public let url: String?
        public let imageURL: String?
        public let sku: String?
        public let gtin: String?
        public let mpn: String?
        public let brand: String?
    }

    public struct PublicPage: Sendable {
        public let product: PublicProduct
        public let summary: RatingSummary
        public let reviews: [Listed]
    }

    /// One product's published reviews, newest first, with the summary of all of them. Two queries:
    /// the store, product and summary together, then the page with its replies.
    public static func publicPage(storeSlug: String, productExternalID: String, page: Page, on db: any Database) async throws -> PublicPage {
        // A slug or id no store can have (a NUL byte, which PostgreSQL refuses outright) is simply not found.
        guard (try? StoreService.validateSlug(storeSlug)) != nil else { throw CareError.notFound("store") }
        guard isPossibleExternalID(productExternalID) else {
            guard try await StoreService.store(slug: storeSlug, on: db) != nil else { throw CareError.notFound("store") }
            throw CareError.notFound("product")
        }
        guard
            let row = try await db.sql.raw(
                """
                SELECT p.id, p.store_id, p.external_id, p.name, p.url, p.image_url, p.sku, p.gtin, p.mpn, p.brand,
                       s.stars_1, s.stars_2, s.stars_3, s.stars_4, s.stars_5
                FROM stores st JOIN products p ON p.store_id = st.id
                LEFT JOIN product_rating_summaries s ON s.product_id = p.id
                WHERE st.slug = \(bind: storeSlug) AND p.external_id = \(bind: productExternalID) LIMIT 1
                """
            ).first()
        else {
            // Which one is missing, said as the API always has.
            guard try await StoreService.store(slug: storeSlug, on: db) != nil else { throw CareError.notFound("store") }
            throw CareError.notFound("product")
        }
        let product = PublicProduct(
            id: try row.decode(column: "id", as: UUID.self), storeID: try row.decode(column: "store_id", as: UUID.self),
            externalID: try row.decode(column: "external_id", as: String.self), name: try row.decode(column: "name", as: String.self),
            url: try row.decode(column: "url", as: String?.self), imageURL: try row.decode(column: "image_url", as: String?.self),
            sku: try row.decode(column: "sku", as: String?.self), gtin: try row.decode(column: "gtin", as: String?.self),
            mpn: try row.decode(column: "mpn", as: String?.self), brand: try row.decode(column: "brand", as: String?.self))
        let productID = product.id
        let summary = RatingSummary(stars: try (1...5).map { try row.decode(column: "stars_\($0)", as: Int?.self) ?? 0 })
        // The page and each review's reply in one query (a reply is one per review).
        var reviews: [Listed] = []
        for row in try await db.sql.raw(
            """
            SELECT \(unsafeRaw: ReviewRow.selectListOfR),
                   rr.body AS reply_body, rr.created_at AS reply_created_at, rr.updated_at AS reply_updated_at
            FROM reviews r LEFT JOIN review_replies rr ON rr.review_id = r.id AND rr.store_id = r.store_id
            WHERE r.product_id = \(bind: productID) AND r.status = \(bind: ReviewStatus.published.rawValue)
            ORDER BY r.created_at DESC, r.id DESC LIMIT \(bind: page.size) OFFSET \(bind: page.offset)
            """
        ).all() {
            let review = try ReviewRow(row: row)
            guard reviews.last?.review.id != review.id else { continue }
            reviews.append(Listed(review: review, reply: try reply(row), product: nil, customer: nil))
        }
        return PublicPage(product: product, summary: summary, reviews: reviews)
    }

    /// Whether a product id from a URL could be stored at all: no NUL (PostgreSQL refuses it in any
    /// text) and no longer than the longest id a review or order may carry.
    static func isPossibleExternalID(_ id: String) -> Bool {
        id.utf8.count <= ReviewSubmission.limits.externalID * 4 && !id.utf8.contains(0)
    }

    /// Most products one summaries request may name (a category page's product cards).
    public static let maxSummaries = 50

    /// The rating summaries of several products of a store, in one query: product cards on a
    /// category page. Unknown ids are left out; a store that does not exist is 404.
    public static func summaries(storeSlug: String, externalIDs: [String], on db: any Database) async throws -> [(String, RatingSummary)] {
        guard let store = try await StoreService.store(slug: storeSlug, on: db) else { throw CareError.notFound("store") }
        let externalIDs = externalIDs.filter(isPossibleExternalID)
        guard !externalIDs.isEmpty else { return [] }
        let rows = try await db.sql.raw(
            """
            SELECT p.external_id, s.stars_1, s.stars_2, s.stars_3, s.stars_4, s.stars_5 FROM products p
            LEFT JOIN product_rating_summaries s ON s.product_id = p.id
            WHERE p.store_id = \(bind: try store.requireID()) AND p.external_id IN \(SQLBind.group(externalIDs))
            """
        ).all()
        return try rows.map { row in
            let stars = try (1...5).map { try row.decode(column: "stars_\($0)", as: Int?.self) ?? 0 }
            return (try row.decode(column: "external_id", as: String.self), RatingSummary(stars: stars))
        }
    }

    /// The dashboard's orders for a store's reviews.
    public enum Sort: String, Sendable, CaseIterable {
        case newest, oldest
        /// Fewest stars first (newest first among equals).
        case lowest
        case highest
    }

    /// A search reads the store's latest this many reviews, the first `searchedCharacters` of each
    /// text, so its cost is bounded whatever the store holds.
    public static let searchedReviews = 5_000
    public static let searchedCharacters = 1_000
    public static let maxSearch = 50
    /// Counting stops here ("10 000+"), so a page never counts a whole big store.
    public static let countedAtMost = 10_000

    public struct StoreFilter: Sendable {
        public var status: ReviewStatus?
        public var productExternalID: String?
        public var rating: Rating?
        public var verified: Bool?
        /// Written on or after `from`, before `to`.
        public var from: Date?
        public var to: Date?
        public var reviewID: UUID?
        /// Words searched in the title, text, author's name and the customer's name and address (see `searchedReviews`).
        public var search: String?
        public var sort: Sort = .newest
        public init(
            status: ReviewStatus? = nil, productExternalID: String? = nil, rating: Rating? = nil, verified: Bool? = nil,
            from: Date? = nil, to: Date? = nil, reviewID: UUID? = nil
        ) {
            self.status = status
            self.productExternalID = productExternalID
            self.rating = rating
            self.verified = verified
            self.from = from
            self.to = to
            self.reviewID = reviewID
        }
    }

    /// A store's own reviews in every status, newest first, with the total that matches the filter.
    public static func storeList(storeID: UUID, filter: StoreFilter, page: Page, on db: any Database) async throws -> (reviews: [Listed], total: Int)
    {
        guard let filtered = try await storeQuery(storeID: storeID, filter: filter, on: db) else { return ([], 0) }
        let sql = db.sql
        // A status and a rating are the store's tallies; anything narrower is counted.
        let tallied =
            filter.productExternalID == nil && filter.verified == nil && filter.from == nil && filter.to == nil
            && filter.reviewID == nil && (filter.search ?? "").isEmpty
        let total =
            tallied
            ? try await Tallies.reviews(storeID: storeID, status: filter.status?.rawValue, rating: filter.rating?.stars, on: sql)
            : try await filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Review.schema))
                .first()?.decode(column: "n", as: Int.self) ?? 0
        let reviews = try await newestFirst(filtered(reviewColumns(sql))).limit(page.size).offset(page.offset).all().map(ReviewRow.init(row:))
        return (try await listed(reviews, on: db), total)
    }

    /// The same list without counting every match (the dashboard's, cheap at any size): one row more
    /// than the page is read to know whether a next page exists.
    public static func storePage(storeID: UUID, filter: StoreFilter, page: Page, on db: any Database) async throws -> (
        reviews: [Listed], hasMore: Bool
    ) {
        guard let filtered = try await storeQuery(storeID: storeID, filter: filter, on: db) else { return ([], false) }
        let reviews = try await ordered(filtered(reviewColumns(db.sql)), filter.sort).limit(page.size + 1).offset(page.offset).all()
            .map(ReviewRow.init(row:))
        return (try await listed(Array(reviews.prefix(page.size)), on: db), reviews.count > page.size)
    }

    /// How many reviews match, counted up to `countedAtMost + 1`.
    public static func storeCount(storeID: UUID, filter: StoreFilter, on db: any Database) async throws -> Int {
        guard let filtered = try await storeQuery(storeID: storeID, filter: filter, on: db) else { return 0 }
        let sql = db.sql
        let inner = filtered(sql.select().column(SQLLiteral.numeric("1"), as: "one").from(Review.schema)).limit(countedAtMost + 1)
        return try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(SQLAlias(SQLGroupExpression(inner.query), as: SQLIdentifier("matched")))
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func ordered(_ query: SQLSelectBuilder, _ sort: Sort) -> SQLSelectBuilder {
        switch sort {
        case .newest: query.orderBy("created_at", .descending).orderBy("id", .descending)
        case .oldest: query.orderBy("created_at", .ascending).orderBy("id", .ascending)
        case .lowest: query.orderBy("rating", .ascending).orderBy("created_at", .descending).orderBy("id", .descending)
        case .highest: query.orderBy("rating", .descending).orderBy("created_at", .descending).orderBy("id", .descending)
        }
    }

    /// The filter's WHERE clauses; nil when it can match nothing (an unknown product).
    static func storeQuery(storeID: UUID, filter: StoreFilter, on db: any Database) async throws
        -> (@Sendable (SQLSelectBuilder) -> SQLSelectBuilder)?
    {
        var productID: UUID?
        if let externalID = filter.productExternalID {
            guard let product = try await Catalog.storedProduct(storeID: storeID, externalID: externalID, on: db.sql) else { return nil }
            productID = product.id
        }
        let productFilter = productID
        return { query in
            let q = query.where("store_id", .equal, storeID)
            if let status = filter.status { q.where("status", .equal, status.rawValue) }
            if let rating = filter.rating { q.where("rating", .equal, rating.stars) }
            if let verified = filter.verified { q.where("verified", .equal, verified) }
            if let from = filter.from { q.where("created_at", .greaterThanOrEqual, from) }
            if let to = filter.to { q.where("created_at", .lessThan, to) }
            if let id = filter.reviewID { q.where("id", .equal, id) }
            if let productFilter { q.where("product_id", .equal, productFilter) }
            if let words = filter.search, !words.isEmpty {
                let p = Inbox.likePattern(words)
                let n = String(searchedCharacters) // a constant: PostgreSQL's substr takes an integer
                q.where(
                    SQLQueryString(
                        """
                        id IN (SELECT r9.id FROM reviews r9 WHERE r9.store_id = \(bind: storeID)
                            ORDER BY r9.created_at DESC LIMIT \(bind: searchedReviews))
                        AND (LOWER(SUBSTR(COALESCE(title, ''), 1, \(unsafeRaw: n))) LIKE \(bind: p) ESCAPE '\\'
                          OR LOWER(SUBSTR(COALESCE(body, ''), 1, \(unsafeRaw: n))) LIKE \(bind: p) ESCAPE '\\'
                          OR LOWER(COALESCE(author_name, '')) LIKE \(bind: p) ESCAPE '\\'
                          OR EXISTS (SELECT 1 FROM customers cu9 WHERE cu9.id = reviews.customer_id
                            AND (LOWER(COALESCE(cu9.name, '')) LIKE \(bind: p) ESCAPE '\\' OR LOWER(cu9.email) LIKE \(bind: p) ESCAPE '\\')))
                        """))
            }
            return q
        }
    }

    /// `SELECT` of a `ReviewRow`'s columns from `reviews`, for a filter to narrow.
    static func reviewColumns(_ sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select().columns(ReviewRow.identifiers).from(Review.schema)
    }

    static func newestFirst(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
        query.orderBy("created_at", .descending).orderBy("id", .descending)
    }

    /// Each review's product, customer and reply, in one query for the page.
    static func listed(_ reviews: [ReviewRow], on db: any Database) async throws -> [Listed] {
        let ids = reviews.map(\.id)
        guard !ids.isEmpty else { return [] }
        var beside: [UUID: (ReviewQueries.Listed.Reply?, Listed.ProductBrief?, Listed.CustomerBrief?)] = [:]
        for row in try await db.sql.raw(
            """
            SELECT r.id AS review_id, p.external_id AS product_external_id, p.name AS product_name,
                   cu.id AS customer_id, cu.email AS customer_email, cu.name AS customer_name,
                   rr.body AS reply_body, rr.created_at AS reply_created_at, rr.updated_at AS reply_updated_at
            FROM reviews r LEFT JOIN products p ON p.id = r.product_id AND p.store_id = r.store_id
            LEFT JOIN customers cu ON cu.id = r.customer_id AND cu.store_id = r.store_id
            LEFT JOIN review_replies rr ON rr.review_id = r.id AND rr.store_id = r.store_id
            WHERE r.id IN (\(binds: ids))
            """
        ).all() {
            let id = try row.decode(column: "review_id", as: UUID.self)
            guard beside[id] == nil else { continue }
            beside[id] = (
                try reply(row),
                try row.decode(column: "product_external_id", as: String?.self).map {
                    Listed.ProductBrief(externalID: $0, name: try row.decode(column: "product_name", as: String.self))
                },
                try row.decode(column: "customer_id", as: UUID?.self).map {
                    Listed.CustomerBrief(
                        id: $0, email: try row.decode(column: "customer_email", as: String.self),
                        name: try row.decode(column: "customer_name", as: String?.self))
                }
            )
        }
        return reviews.map { r in
            let b = beside[r.id]
            return Listed(review: r, reply: b?.0, product: b?.1, customer: b?.2)
        }
    }

    /// One review of the store, with its product, customer and reply.
    public static func one(reviewID: UUID, storeID: UUID, on db: any Database) async throws -> Listed {
        let review = try await ReviewModeration.load(reviewID, storeID: storeID, on: db)
        return try await listed([try ReviewRow(review)], on: db)[0]
    }

    static func reply(_ row: any SQLRow) throws -> Listed.Reply? {
        guard let body = try row.decode(column: "reply_body", as: String?.self) else { return nil }
        return Listed.Reply(
            body: body, createdAt: try row.decode(column: "reply_created_at", as: Date.self),
            updatedAt: try row.decode(column: "reply_updated_at", as: Date.self))
    }

    static func byID<M: Model>(_ type: M.Type, ids: Set<UUID>, on db: any Database) async throws -> [UUID: M] where M.IDValue == UUID {
        guard !ids.isEmpty else { return [:] }
        let rows = try await M.query(on: db).filter(\._$id ~~ Array(ids)).all()
        return Dictionary(rows.compactMap { row in row.id.map { ($0, row) } }, uniquingKeysWith: { a, _ in a })
    }
}

extension ReviewQueries {
    /// What the dashboard's review list shows beside a page of reviews: the conversations about them
    /// and their edit histories.
    public static func conversationsAndEdits(reviewIDs ids: [UUID], storeID: UUID, on db: any Database) async throws -> (
        conversations: [Conversation], edits: [ReviewEdit]
    ) {
        guard !ids.isEmpty else { return ([], []) }
        let conversations = try await Conversation.query(on: db).filter(\.$storeID == storeID).filter(\.$reviewID ~~ ids).all()
        let edits = try await ReviewEdit.query(on: db).filter(\.$reviewID ~~ ids).all()
        return (conversations, edits)
    }
}

extension ReviewQueries {
    /// The external id of the store's product with the most published reviews (for the widget's preview).
    public static func mostReviewedProduct(storeID: UUID, on db: any Database) async throws -> String? {
        return try await db.sql.raw(
            """
            SELECT p.external_id AS id, COUNT(*) AS n FROM products p JOIN reviews r ON r.product_id = p.id
            WHERE p.store_id = \(bind: storeID) AND r.status = \(bind: ReviewStatus.published.rawValue)
            GROUP BY p.id, p.external_id ORDER BY n DESC, p.external_id LIMIT 1
            """
        ).first()?.decode(column: "id", as: String.self)
    }
}
