import FluentKit
import Foundation

/// Shopify's own orders export (admin → Orders → Export, CSV): one row per line item, the order's
/// columns on its first row only, later rows repeating `Name` (often `Email`) with the `Lineitem`
/// columns. Each order becomes one `OrderSubmission` under Shopify's numeric order id (`Id`), the id
/// its webhooks carry, so an import and a shop connection update the same order.
///
/// The export names no product id, so a line's product is: the store's product with the line's SKU
/// (`products.sku`, e.g. one a connection brought), else one keyed by the SKU itself, else one keyed
/// `name:` + the line's name (a line without a SKU). `Vendor` becomes the product's brand.
public enum ShopifyOrderExport {
    /// What one order's rows said so far.
    struct Pending {
        var lines: [Int]
        var submission: OrderSubmission
    }

    public static func run(
        _ reader: CSVReader, storeID: UUID, dryRun: Bool = false, storage: CareStorage, on db: any Database,
        skip: @escaping (Int, String) -> Void, progress: (Int) -> Void = { _ in }
    ) async throws -> OrderImport.Summary {
        guard let header = try reader.record() else { throw CareError.invalid("file", "is empty") }
        let columns = try ShopifyExportColumns(header.fields)
        var summary = OrderImport.Summary()
        var names: [String] = []
        var pending: [String: Pending] = [:]
        // An order whose first row was refused: its later rows say why they are left out too.
        var refused: [String: Int] = [:]
        var skus = Set<String>()
        while let record = try reader.record() {
            summary.rows += 1
            let row = ShopifyExportRow(columns: columns, fields: record.fields)
            do {
                guard let name = row[.name] else { throw CareError.missing("Name") }
                if let firstLine = refused[name] { throw CareError.invalid("Name", "order \(name)'s first row (line \(firstLine)) was skipped") }
                if var order = pending[name] {
                    let item = try row.item(currency: order.submission.currency)
                    try row.checkContinues(order.submission, firstLine: order.lines[0])
                    order.lines.append(record.line)
                    order.submission.items.append(item)
                    pending[name] = order
                    if let sku = item.sku { skus.insert(sku) }
                } else {
                    guard names.count + refused.count < OrderImport.maxOrders else {
                        throw CareError.invalid("file", "has more than \(OrderImport.maxOrders) orders; split it")
                    }
                    do {
                        let item = try row.item(currency: row[.currency])
                        pending[name] = Pending(lines: [record.line], submission: try row.order(items: [item]))
                        names.append(name)
                        if let sku = item.sku { skus.insert(sku) }
                    } catch {
                        refused[name] = record.line
                        throw error
                    }
                }
            } catch let error as CareError {
                summary.skipped += 1
                skip(record.line, error.message)
            }
        }

        let known = try await productsBySKU(skus, storeID: storeID, on: db)
        try await OrderImport.ingest(
            names, bytes: reader.bytesRead, dryRun: dryRun, storeID: storeID, storage: storage, on: db, summary: &summary, skip: skip,
            progress: progress
        ) { name in
            guard var order = pending.removeValue(forKey: name) else { return nil }
            for i in order.submission.items.indices {
                guard let sku = order.submission.items[i].sku, let externalID = known[sku] else { continue }
                // The store's own product: the export's line name (with its variant) must not rename it.
                order.submission.items[i].product.externalID = externalID
                order.submission.items[i].product.name = nil
            }
            return (order.lines, order.submission)
        }
        return summary
    }

    /// The store's products that carry these SKUs, by SKU (the oldest when two share one).
    static func productsBySKU(_ skus: Set<String>, storeID: UUID, on db: any Database) async throws -> [String: String] {
        var found: [String: String] = [:]
        let all = skus.sorted()
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = all[start..<min(start + 500, all.count)].map { Optional($0) }
            let products = try await Product.query(on: db).filter(\.$storeID == storeID).filter(\.$sku ~~ chunk)
                .sort(\.$createdAt).sort(\.$externalID).all()
            for product in products {
                if let sku = product.sku, found[sku] == nil { found[sku] = product.externalID }
            }
        }
        return found
    }
}

/// The export's columns this import reads, found by name (case, spaces and punctuation aside).
enum ShopifyExportColumn: String, CaseIterable {
    case name = "Name", email = "Email", id = "Id", financialStatus = "Financial Status", paidAt = "Paid at"
    case fulfilledAt = "Fulfilled at", acceptsMarketing = "Accepts Marketing", currency = "Currency", total = "Total"
    case createdAt = "Created at", cancelledAt = "Cancelled at", refundedAmount = "Refunded Amount"
    case quantity = "Lineitem quantity", lineName = "Lineitem name", price = "Lineitem price", sku = "Lineitem sku", vendor = "Vendor"
    case billingName = "Billing Name", shippingName = "Shipping Name", billingCountry = "Billing Country"
    case shippingCountry = "Shipping Country"

    static let required: [Self] = [.name, .email, .id, .quantity, .lineName]
}

struct ShopifyExportColumns {
    let index: [ShopifyExportColumn: Int]

    init(_ header: [String]) throws {
        var byName: [String: Int] = [:]
        for (i, name) in header.enumerated() where byName[ReviewImportFormat.normalized(name)] == nil {
            byName[ReviewImportFormat.normalized(name)] = i
        }
        var index: [ShopifyExportColumn: Int] = [:]
        for column in ShopifyExportColumn.allCases { index[column] = byName[ReviewImportFormat.normalized(column.rawValue)] }
        self.index = index
        let missing = ShopifyExportColumn.required.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw CareError.invalid("header", "is not Shopify's orders export (missing: \(missing.map(\.rawValue).joined(separator: ", ")))")
        }
    }
}

/// One row of the export, read into what `OrderIngest` takes.
struct ShopifyExportRow {
    let columns: ShopifyExportColumns
    let fields: [String]

    /// The value, without spaces around it; nil when blank or absent.
    subscript(_ column: ShopifyExportColumn) -> String? {
        guard let i = columns.index[column], i < fields.count else { return nil }
        let t = fields[i].trimmingCharacters(in: .whitespaces)
        return t.isEmpty ? nil : t
    }

    /// "name:" and the line's name keys a product without a SKU: within the product id's limit.
    static let maxNameKey = ReviewSubmission.limits.externalID - 5

    /// A line item; its price in `currency` (the order's, from its first row: later rows leave it blank).
    func item(currency: String?) throws -> OrderSubmission.Item {
        guard let name = self[.lineName] else { throw CareError.missing("Lineitem name") }
        guard let quantityText = self[.quantity] else { throw CareError.missing("Lineitem quantity") }
        guard let quantity = Int(quantityText) else {
            throw CareError.invalid("Lineitem quantity", "'\(quantityText.prefix(20))' is not a whole number")
        }
        let sku = self[.sku]
        if sku == nil, name.count > Self.maxNameKey {
            throw CareError.invalid("Lineitem name", "is longer than \(Self.maxNameKey) characters, too long to name a product without a SKU")
        }
        var product = ProductRef(externalID: sku ?? "name:" + name, name: name)
        product.sku = sku
        product.brand = self[.vendor]
        var item = OrderSubmission.Item(product: product, quantity: quantity, unitPriceCents: try money(.price, currency: currency))
        item.name = name
        item.sku = sku
        return item
    }

    /// The order as its first row says it.
    func order(items: [OrderSubmission.Item]) throws -> OrderSubmission {
        guard let id = self[.id] else { throw CareError.missing("Id") }
        guard id.count <= 20, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CareError.invalid("Id", "'\(id.prefix(40))' is not Shopify's numeric order id")
        }
        // CareLoop asks buyers by email: an order without one (a till sale, say) has no one to ask.
        guard let email = self[.email] else { throw CareError.invalid("Email", "is empty, and CareLoop asks buyers by email: the order is left out") }
        let placed = try date(.createdAt)
        var s = OrderSubmission(
            externalID: id, customer: CustomerRef(email: email, name: self[.billingName] ?? self[.shippingName]), items: items,
            placedAt: placed, fulfilledAt: try date(.fulfilledAt), totalCents: try money(.total), currency: self[.currency])
        s.source = "shopify"
        s.fromExport = true
        s.cancelledAt = try date(.cancelledAt)
        // 0.00 on an order never refunded: only an amount says something.
        if let refunded = try money(.refundedAmount), refunded > 0 { s.refundedCents = refunded }
        if self[.financialStatus]?.lowercased() == "refunded" {
            guard let when = try s.cancelledAt ?? date(.paidAt) ?? placed else {
                throw CareError.invalid("Financial Status", "is refunded, but no Cancelled at, Paid at or Created at dates it")
            }
            s.refundedAt = when
        }
        switch self[.acceptsMarketing]?.lowercased() {
        case nil: break
        case "yes": s.marketingConsent = true
        case "no": s.marketingConsent = false
        case let other?: throw CareError.invalid("Accepts Marketing", "'\(other.prefix(20))' is not yes or no")
        }
        // Only a two-letter code is taken; a country spelt out says nothing CareLoop can match.
        s.country = [self[.billingCountry], self[.shippingCountry]].lazy.compactMap { $0 }.first {
            $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isLetter }
        }
        return s
    }

    /// A later row of the order: it must be the same order's, and not its first row again.
    func checkContinues(_ order: OrderSubmission, firstLine: Int) throws {
        if let email = self[.email], email.lowercased() != order.customer.email.lowercased() {
            throw CareError.invalid("Email", "differs from the order's first row (line \(firstLine))")
        }
        if let id = self[.id], id != order.externalID {
            throw CareError.invalid("Id", "differs from the order's first row (line \(firstLine))")
        }
        if self[.total] != nil {
            throw CareError.invalid("Total", "the order's columns again (first at line \(firstLine)): is the order in the file twice?")
        }
    }

    func money(_ column: ShopifyExportColumn, currency: String? = nil) throws -> Int? {
        guard let t = self[column] else { return nil }
        // In the order's currency's own minor unit (JPY has none), as a shop connection reads amounts.
        guard let cents = ShopValues.cents(t, currency: currency ?? self[.currency]) else {
            throw CareError.invalid(column.rawValue, "'\(t.prefix(20))' is not an amount like 12.50")
        }
        return cents
    }

    func date(_ column: ShopifyExportColumn) throws -> Date? {
        guard let t = self[column] else { return nil }
        guard let d = ImportDate.parse(t) else { throw CareError.invalid(column.rawValue, "'\(t.prefix(40))' is not a date this import reads") }
        return d
    }
}
