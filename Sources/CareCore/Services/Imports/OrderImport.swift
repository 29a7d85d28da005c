import FluentKit
import Foundation

/// Orders from a CSV file, one row per item (the order's columns repeated on each of its rows):
/// `order_id, email, name, product_id, product_name, product_url, quantity, unit_price` (or
/// `unit_price_cents`), `currency, placed_at, fulfilled_at` and optionally `locale`. Each order goes through `OrderIngest`
/// like one posted to the API: the same checks, and a fulfilled one schedules its review request.
/// Re-running the file updates the orders to what it says, which changes nothing the second time.
public enum OrderImport {
    public struct Summary: Sendable, Equatable {
        public var rows = 0
        public var created = 0
        public var updated = 0
        public var skipped = 0
    }

    /// Orders in a file are bounded: grouping rows by order keeps every order of the file in memory.
    public static let maxOrders = 1_000_000

    struct Row {
        var line: Int
        var orderID: String
        var customer: CustomerRef
        var item: OrderSubmission.Item
        var currency: String?
        var locale: String?
        var placedAt: Date?
        var fulfilledAt: Date?
    }

    public static func run(
        _ reader: CSVReader, storeID: UUID, dryRun: Bool = false, storage: CareStorage, on db: any Database,
        skip: @escaping (Int, String) -> Void, progress: (Int) -> Void = { _ in }
    ) async throws -> Summary {
        guard let header = try reader.record() else { throw CareError.invalid("file", "is empty") }
        var index: [String: Int] = [:]
        for (i, name) in header.fields.enumerated() where index[ReviewImportFormat.normalized(name)] == nil {
            index[ReviewImportFormat.normalized(name)] = i
        }
        func column(_ names: String...) -> Int? { names.lazy.compactMap { index[ReviewImportFormat.normalized($0)] }.first }
        guard let orderColumn = column("order_id", "order_external_id"), let emailColumn = column("email", "customer_email"),
            let productColumn = column("product_id", "sku")
        else { throw CareError.invalid("header", "needs order_id, email and product_id columns") }
        let c = (
            name: column("name", "customer_name"), productName: column("product_name"), productURL: column("product_url"),
            quantity: column("quantity"), price: column("unit_price"), priceCents: column("unit_price_cents"),
            currency: column("currency"), placed: column("placed_at"), fulfilled: column("fulfilled_at"), locale: column("locale")
        )

        var summary = Summary()
        var order: [String] = []
        var rowsByOrder: [String: [Row]] = [:]
        while let record = try reader.record() {
            summary.rows += 1
            func v(_ i: Int?) -> String? {
                guard let i, i < record.fields.count else { return nil }
                let t = record.fields[i].trimmingCharacters(in: .whitespaces)
                return t.isEmpty ? nil : t
            }
            do {
                guard let orderID = v(orderColumn) else { throw CareError.missing("order_id") }
                guard let email = v(emailColumn) else { throw CareError.missing("email") }
                guard let product = v(productColumn) else { throw CareError.missing("product_id") }
                let quantityText = v(c.quantity) ?? "1"
                guard let quantity = Int(quantityText) else {
                    throw CareError.invalid("quantity", "'\(quantityText.prefix(20))' is not a whole number")
                }
                var cents: Int?
                if let t = v(c.priceCents) {
                    guard let n = Int(t) else { throw CareError.invalid("unit_price_cents", "'\(t.prefix(20))' is not a whole number") }
                    cents = n
                } else if let t = v(c.price) {
                    guard let n = minorUnits(t) else { throw CareError.invalid("unit_price", "'\(t.prefix(20))' is not an amount like 12.50") }
                    cents = n
                }
                func date(_ i: Int?, _ field: String) throws -> Date? {
                    guard let t = v(i) else { return nil }
                    guard let d = ImportDate.parse(t) else { throw CareError.invalid(field, "'\(t.prefix(40))' is not a date this import reads") }
                    return d
                }
                let row = Row(
                    line: record.line, orderID: orderID, customer: CustomerRef(email: email, name: v(c.name)),
                    item: .init(
                        product: ProductRef(externalID: product, name: v(c.productName), url: v(c.productURL)), quantity: quantity,
                        unitPriceCents: cents),
                    currency: v(c.currency), locale: v(c.locale), placedAt: try date(c.placed, "placed_at"),
                    fulfilledAt: try date(c.fulfilled, "fulfilled_at"))
                if let first = rowsByOrder[orderID]?.first {
                    // An order's rows must agree on whose it is and when it was fulfilled.
                    if first.customer.email.lowercased() != row.customer.email.lowercased() {
                        throw CareError.invalid("email", "differs from the order's first row (line \(first.line))")
                    }
                    if let a = first.fulfilledAt, let b = row.fulfilledAt, a != b {
                        throw CareError.invalid("fulfilled_at", "differs from the order's first row (line \(first.line))")
                    }
                } else {
                    guard order.count < maxOrders else { throw CareError.invalid("file", "has more than \(maxOrders) orders; split it") }
                    order.append(orderID)
                }
                rowsByOrder[orderID, default: []].append(row)
            } catch let error as CareError {
                summary.skipped += 1
                skip(record.line, error.message)
            }
        }
        try await ingest(
            order, bytes: reader.bytesRead, dryRun: dryRun, storeID: storeID, storage: storage, on: db, summary: &summary, skip: skip,
            progress: progress
        ) { orderID in
            guard let rows = rowsByOrder.removeValue(forKey: orderID), let first = rows.first else { return nil }
            var submission = OrderSubmission(
                externalID: orderID, customer: first.customer, items: rows.map(\.item),
                placedAt: rows.lazy.compactMap(\.placedAt).first, fulfilledAt: rows.lazy.compactMap(\.fulfilledAt).first,
                currency: rows.lazy.compactMap(\.currency).first, locale: rows.lazy.compactMap(\.locale).first)
            submission.source = "import"
            return (rows.map(\.line), submission)
        }
        return summary
    }

    /// The second half of every order import: each order of the file, in file order, through
    /// `OrderIngest` (a dry run makes only its checks). `take` hands over an order (its lines and
    /// submission) by the name its rows carry, and forgets it; a refused order is reported on each
    /// of its lines, named by `orderName`.
    static func ingest(
        _ orderNames: [String], bytes: Int, dryRun: Bool, storeID: UUID, storage: CareStorage, on db: any Database,
        summary: inout Summary, skip: (Int, String) -> Void, progress: (Int) -> Void,
        take: (String) -> (lines: [Int], submission: OrderSubmission)?
    ) async throws {
        progress(bytes / 2)
        for (n, orderName) in orderNames.enumerated() {
            guard let (lines, submission) = take(orderName) else { continue }
            do {
                if dryRun {
                    try OrderIngest.check(submission)
                    summary.created += 1
                } else {
                    let stored = try await OrderIngest.submit(submission, storeID: storeID, storage: storage, on: db)
                    if stored.created { summary.created += 1 } else { summary.updated += 1 }
                }
            } catch let error as CareError {
                summary.skipped += lines.count
                for line in lines { skip(line, "order \(orderName): \(error.message)") }
            }
            if n % 1000 == 999 { progress(bytes / 2 + bytes * n / max(orderNames.count, 1) / 2) }
        }
        progress(bytes)
    }

    /// "12.50", "12.5" and "12" in a two-decimal currency → 1250; at most two decimals, no sign.
    static func minorUnits(_ s: String) -> Int? {
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
            let units = Int(whole)
        else { return nil }
        var cents = 0
        if parts.count == 2 {
            let frac = parts[1]
            guard (1...2).contains(frac.count), frac.allSatisfy({ $0.isASCII && $0.isNumber }), let f = Int(frac) else { return nil }
            cents = frac.count == 1 ? f * 10 : f
        }
        return units * 100 + cents
    }
}
