import Crypto
import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Reviews brought over from another platform (or a CareLoop export), from a CSV file.
///
/// Imported reviews keep their dates and are `source: import`. They are verified only when an order
/// CareLoop has (imported first, say) matches, never on the file's word. Content rules apply as to
/// any review. A review the old platform did not show is held for a person's decision rather than
/// dropped. Care triggers and webhooks do not fire: these are old reviews, not news.
///
/// Each row gets a key (the platform's review id, or a hash of what the row says) stored in
/// `review_imports`, so running a file again imports nothing twice. Rows are written 2 000 to a
/// transaction: a live server's other writes wait one batch at most.
public enum ReviewImport {
    public struct Summary: Sendable, Equatable {
        public var rows = 0
        public var imported = 0
        public var held = 0
        public var verified = 0
        public var alreadyThere = 0
        public var skipped = 0
        public var productsCreated = 0
    }

    public struct Options: Sendable {
        public var format: ReviewImportFormat
        public var dryRun: Bool
        public var batchSize: Int
        /// Rows per transaction. Each writes every index page its rows land on (ids are random), so
        /// bigger batches write far less in all; another process's writes wait for one batch at most.
        public static let defaultBatch = 2000

        public init(format: ReviewImportFormat, dryRun: Bool = false, batchSize: Int = defaultBatch) {
            self.format = format
            self.dryRun = dryRun
            self.batchSize = batchSize
        }
    }

    /// Reads every record of `reader` and imports it. `skip` hears each row left out (line, reason);
    /// `progress` hears the bytes read after each batch. Throws only for what stops the whole file
    /// (no such column, a broken quote): a bad row is skipped and reported.
    public static func run(
        _ reader: CSVReader, store: Store, options: Options, storage: CareStorage, on db: any Database,
        moderation: Moderation = Moderation(),
        skip: @escaping (Int, String) -> Void, progress: (Int) -> Void = { _ in }
    ) async throws -> Summary {
        let storeID = try store.requireID()
        guard let header = try reader.record() else { throw CareError.invalid("file", "is empty") }
        let rows = try ReviewImportRows(format: options.format, header: header.fields)
        var summary = Summary()
        var known = Known()
        var seen = Set<String>()
        var batch: [Row] = []
        // The batch being written runs beside the reading and checking of the next one (two cores).
        var writing: Task<(Summary, Known), any Error>?

        func finishWriting() async throws {
            guard let task = writing else { return }
            writing = nil
            let done: Summary
            (done, known) = try await task.value
            summary.imported += done.imported
            summary.held += done.held
            summary.verified += done.verified
            summary.alreadyThere += done.alreadyThere
            summary.productsCreated += done.productsCreated
            progress(reader.bytesRead)
        }

        func flush() async throws {
            try await finishWriting()
            guard !batch.isEmpty else { return }
            let pending = batch
            batch.removeAll(keepingCapacity: true)
            if options.dryRun {
                let done = try await countNew(pending, storeID: storeID, on: db)
                summary.imported += done.imported
                summary.alreadyThere += done.alreadyThere
                progress(reader.bytesRead)
            } else {
                let knownSoFar = known
                writing = Task { try await write(pending, store: store, known: knownSoFar, storage: storage, on: db) }
            }
        }

        while let record = try reader.record() {
            summary.rows += 1
            let review: ImportedReview
            do {
                review = try rows.review(record)
            } catch let error as CareError {
                summary.skipped += 1
                skip(record.line, error.message)
                continue
            }
            let key = importKey(review, format: options.format)
            // The same review twice in one file: the second is a repeat, not a new review.
            guard seen.insert(key).inserted else {
                summary.alreadyThere += 1
                continue
            }
            let decision: Decision
            switch review.before {
            case .shown: decision = .rules(moderation.decide(ReviewContent(title: review.title, body: review.body)))
            case .notShown: decision = .rules(.hold(rule: "import", reason: "not shown on the platform it was imported from"))
            case .rejected: decision = .rejected("rejected before it was imported")
            // Spam is a decision, not a delay: held reviews publish themselves after the hold.
            case .spam: decision = .rejected("marked spam on the platform it was imported from")
            }
            batch.append(Row(review: review, key: key, decision: decision))
            if batch.count >= options.batchSize { try await flush() }
        }
        do {
            try await flush()
            try await finishWriting()
        } catch {
            writing?.cancel()
            throw error
        }
        progress(reader.bytesRead)
        return summary
    }

    /// A row read, checked and judged by the content rules, on its way to the database.
    struct Row: Sendable {
        var review: ImportedReview
        var key: String
        var decision: Decision
    }

    /// The content rules' decision, or a person's earlier rejection, which stands.
    enum Decision: Sendable {
        case rules(ModerationDecision)
        case rejected(String)
    }

    /// The platform's own review id when the file has one; otherwise a hash of what the row says, so
    /// an identical row is recognised and a corrected one is not mistaken for it.
    static func importKey(_ r: ImportedReview, format: ReviewImportFormat) -> String {
        if let id = r.sourceID { return "\(format.rawValue):\(id)" }
        var hasher = SHA256()
        for part in [
            r.product.externalID, r.email?.value ?? "", r.fullName ?? "", String(r.rating.stars), String(r.date.timeIntervalSince1970),
            r.title ?? "", r.body ?? "",
        ] {
            // The same file saved with other line ends is the same review.
            let part = part.replacingOccurrences(of: "\r\n", with: "\n")
            hasher.update(data: Data(part.utf8))
            hasher.update(data: [0])
        }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in hasher.finalize() {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return "\(format.rawValue):sha256:" + String(decoding: out, as: UTF8.self)
    }

    /// Products and customers met earlier in the run (committed), so each is looked up once per file,
    /// not once per row. A customer this run created has no orders: its reviews skip verification.
    struct Known: Sendable {
        var products: [String: UUID] = [:]
        var customers: [String: (id: UUID, createdByRun: Bool)] = [:]
        var placeholder: UUID?

        /// Bounded: a file naming more than this many products and customers looks some up again.
        static let limit = 500_000
        mutating func bound() {
            if products.count + customers.count > Self.limit { self = Known() }
        }
    }

    private static func countNew(
        _ batch: [Row], storeID: UUID, on db: any Database
    ) async throws -> Summary {
        let known = try await db.sql.raw(
            "SELECT import_key FROM review_imports WHERE store_id = \(bind: storeID) AND import_key IN \(SQLBind.group(batch.map(\.key)))"
        ).all().map { try $0.decode(column: "import_key", as: String.self) }
        var s = Summary()
        s.alreadyThere = Set(known).count
        s.imported = batch.count - s.alreadyThere
        return s
    }

    private static func write(
        _ allRows: [Row], store: Store, known startingKnown: Known, storage: CareStorage, on db: any Database
    ) async throws -> (Summary, Known) {
        let storeID = try store.requireID()
        let holdHours = store.moderationHoldHours
        return try await storage.write(on: db) { tx in
            let now = storage.now()
            var s = Summary()
            // A retried batch starts again from what earlier, committed batches learned.
            var known = startingKnown

            let batch = allRows
            // A CareLoop export read back into the store it came from: its reviews are there already.
            let ownIDs = batch.compactMap { $0.key.hasPrefix("careloop:") ? $0.review.sourceID.flatMap(UUID.init(uuidString:)) : nil }
            var present = Set<String>()
            for chunk in ownIDs.chunked(500) {
                for row in try await tx.raw(
                    "SELECT id FROM reviews WHERE store_id = \(bind: storeID) AND id IN \(SQLBind.group(chunk.map { $0 as any Encodable & Sendable }))"
                ).all() {
                    present.insert(try row.decode(column: "id", as: UUID.self).uuidString.lowercased())
                }
            }
            let rows = present.isEmpty ? batch : batch.filter { !present.contains($0.review.sourceID?.lowercased() ?? "") }
            s.alreadyThere += allRows.count - rows.count

            // Each row's key, in one statement: the rows an earlier run imported come back absent.
            let ids = rows.map { _ in UUID() }
            let claimed = NIOLockedValueBox(Set<String>())
            try await tx.insertMany(
                into: "review_imports", columns: ["store_id", "import_key", "review_id", "line", "created_at"],
                rows: zip(rows, ids).map { [storeID, $0.key, $1, $0.review.line, now] as [any Encodable & Sendable] },
                suffix: "ON CONFLICT (store_id, import_key) DO NOTHING RETURNING import_key"
            ) { row in
                if let key = try? row.decode(column: "import_key", as: String.self) { claimed.withLockedValue { _ = $0.insert(key) } }
            }
            let keys = claimed.withLockedValue { $0 }
            let fresh = zip(rows, ids).filter { keys.contains($0.0.key) }.map { (review: $0.review, decision: $0.decision, id: $1) }
            s.alreadyThere += rows.count - fresh.count

            try await learnProducts(fresh.map(\.review.product), storeID: storeID, now: now, known: &known, created: &s.productsCreated, on: tx)
            try await learnCustomers(fresh.compactMap(\.review.email), storeID: storeID, now: now, known: &known, on: tx)

            var reviews: [Review] = []
            var counts: [UUID: [Int]] = [:]
            var days: [Int: (count: Int, stars: Int)] = [:]
            for (r, decision, reviewID) in fresh {
                guard let productID = known.products[r.product.externalID] else { throw CareError.notFound("product") }
                let customerID: UUID
                var createdByRun = true
                if let email = r.email, let customer = known.customers[email.value] {
                    (customerID, createdByRun) = customer
                } else {
                    // No address in the file: the review is the store's, from no one CareLoop can reach.
                    if known.placeholder == nil {
                        known.placeholder = try await ReviewClaims.placeholder(storeID: storeID, now: now, on: tx).requireID()
                    }
                    customerID = known.placeholder!
                }
                // A customer this run created has no orders to verify against.
                let orderID =
                    createdByRun
                    ? nil
                    : try await ReviewIngest.verifyingOrderID(
                        orderExternalID: r.orderExternalID, customerID: customerID, productID: productID, storeID: storeID, on: tx)

                let review = Review(
                    id: reviewID, storeID: storeID, productID: productID, customerID: customerID, orderID: orderID,
                    rating: r.rating, title: r.title, body: r.body, authorName: r.authorName, source: .import,
                    createdAt: r.date, updatedAt: now)
                switch decision {
                case .rejected(let reason):
                    review.status = .rejected
                    review.statusReason = reason
                    review.moderatedBy = "import"
                    review.moderatedAt = now
                case .rules(.publish):
                    review.status = .published
                    counts[productID, default: [0, 0, 0, 0, 0]][r.rating.stars - 1] += 1
                    let day = RatingSummaryCounter.day(r.date)
                    let before = days[day] ?? (0, 0)
                    days[day] = (before.count + 1, before.stars + r.rating.stars)
                case .rules(.hold(let rule, let reason)):
                    review.status = .pending
                    review.heldByRule = rule
                    review.statusReason = reason
                    review.publishAfter = now.addingTimeInterval(TimeInterval(holdHours) * 3600)
                    s.held += 1
                }
                reviews.append(review)
                s.imported += 1
                if review.verified { s.verified += 1 }
            }
            try await tx.insertMany(reviews, into: Review.table)
            for (r, _, reviewID) in fresh {
                if let reply = r.reply {
                    try await tx.insert(ReviewReply(storeID: storeID, reviewID: reviewID, body: reply, createdAt: r.date))
                }
            }
            for (productID, stars) in counts {
                try await RatingSummaryCounter.add(counts: stars, productID: productID, on: tx)
            }
            for (day, d) in days {
                try await RatingSummaryCounter.addDay(day, published: d.count, stars: d.stars, storeID: storeID, on: tx)
            }
            known.bound()
            return (s, known)
        }
    }

    /// Finds the batch's products CareLoop knows (one query) and creates the others, named as the
    /// file names them (a known product keeps the catalog's name).
    private static func learnProducts(
        _ refs: [ProductRef], storeID: UUID, now: Date, known: inout Known, created: inout Int, on sql: any SQLDatabase
    ) async throws {
        var wanted: [String: ProductRef] = [:]
        for ref in refs where known.products[ref.externalID] == nil && wanted[ref.externalID] == nil { wanted[ref.externalID] = ref }
        guard !wanted.isEmpty else { return }
        for chunk in Array(wanted.keys).chunked(500) {
            let rows = try await sql.raw(
                "SELECT id, external_id FROM products WHERE store_id = \(bind: storeID) AND external_id IN \(SQLBind.group(chunk.map { $0 as any Encodable & Sendable }))"
            ).all()
            for row in rows {
                known.products[try row.decode(column: "external_id", as: String.self)] = try row.decode(column: "id", as: UUID.self)
            }
        }
        for (externalID, ref) in wanted where known.products[externalID] == nil {
            known.products[externalID] = try await Catalog.product(ref, storeID: storeID, now: now, on: sql).requireID()
            created += 1
        }
    }

    /// Creates the batch's new customers in one statement and finds the others in one query.
    private static func learnCustomers(_ emails: [EmailAddress], storeID: UUID, now: Date, known: inout Known, on sql: any SQLDatabase) async throws {
        var wanted: [String] = []
        var seen = Set<String>()
        for e in emails where known.customers[e.value] == nil && seen.insert(e.value).inserted { wanted.append(e.value) }
        guard !wanted.isEmpty else { return }
        let created = NIOLockedValueBox([String: UUID]())
        try await sql.insertMany(
            into: Customer.schema, columns: Customer.table.columnNames,
            rows: wanted.map { email in
                let c = Customer(storeID: storeID, email: email, name: nil, createdAt: now)
                c.id = UUID()
                return Customer.table.columns.map { $0.value(c) }
            },
            suffix: #"ON CONFLICT ("store_id", "email") DO NOTHING RETURNING "id", "email""#
        ) { row in
            if let id = try? row.decode(column: "id", as: UUID.self), let email = try? row.decode(column: "email", as: String.self) {
                created.withLockedValue { $0[email] = id }
            }
        }
        for (email, id) in created.withLockedValue({ $0 }) { known.customers[email] = (id, true) }
        let existing = wanted.filter { known.customers[$0] == nil }
        for chunk in existing.chunked(500) {
            let rows = try await sql.raw(
                "SELECT id, email FROM customers WHERE store_id = \(bind: storeID) AND email IN \(SQLBind.group(chunk.map { $0 as any Encodable & Sendable }))"
            ).all()
            for row in rows {
                known.customers[try row.decode(column: "email", as: String.self)] = (try row.decode(column: "id", as: UUID.self), false)
            }
        }
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
