import Foundation

/// What one signed delivery from a shop means for CareLoop, whatever the platform.
public enum ShopEvent: Sendable {
    /// The whole order as the shop has it now (created, updated, paid, fulfilled, cancelled).
    case order(OrderSubmission)
    /// A fulfilment or a refund of an order, which may not be known yet (deliveries come out of order).
    case fulfilment(orderID: String, at: Date)
    case refund(orderID: String, amountCents: Int?, at: Date)
    case product(ProductRef)
    /// Shopify's privacy topics: the customer's data asked for, or to be erased; the whole shop's data
    /// to be erased (48 hours after the app was removed).
    case dataRequest(email: String)
    case redactCustomer(email: String, orders: [String])
    case redactShop
    /// Nothing for CareLoop in it (another topic, an order without a buyer's email): answered 200, counted.
    case ignored(String)
}

/// A delivery that was signed rightly but cannot be read: answered 400 and counted on the connection.
public struct MalformedDelivery: Error, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Reading what shops send: ids that are numbers or strings, money as decimal text, optional text
/// trimmed and bounded (an over-long value is refused, never cut).
enum ShopValues {
    /// An id the platform writes as a JSON number or a string, kept as its digits (no Double: 64-bit
    /// ids lose their last digits there).
    struct ID: Decodable, Sendable {
        let text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(UInt64.self) {
                text = String(n)
            } else if let n = try? c.decode(Int64.self) {
                text = String(n)
            } else {
                let s = try c.decode(String.self)
                // Printable ASCII only (`gid://shopify/Order/1`): an id goes into queries and notes as it is.
                guard !s.isEmpty, s.utf8.count <= 100, s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                    throw DecodingError.dataCorruptedError(in: c, debugDescription: "an id must be 1 to 100 printable characters")
                }
                text = s
            }
        }
    }

    /// A price as text ("49.95") or a number (49.95): read from its digits into minor units.
    struct Amount: Decodable, Sendable {
        let text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                text = s
            } else {
                let d = try c.decode(Decimal.self)
                text = "\(d)"
            }
        }
        /// Minor units (two decimals, none for currencies without them); nil when it is no exact amount
        /// (a float's tail of digits), negative, or beyond `OrderSubmission.maxMoney`. A refund may be
        /// written negative (WooCommerce does): it counts as its size.
        func cents(currency: String?, refund: Bool = false) -> Int? { ShopValues.cents(text, currency: currency, negativeAllowed: refund) }
    }

    /// Currencies whose amounts have no minor unit (ISO 4217 exponent 0).
    static let wholeCurrencies: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    ]

    /// Currencies with three decimals (ISO 4217 exponent 3).
    static let thousandthCurrencies: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

    static func cents(_ text: String, currency: String?, negativeAllowed: Bool = false) -> Int? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.first == "-" {
            guard negativeAllowed else { return nil }
            s = s.dropFirst()
        }
        guard !s.isEmpty, s.utf8.count <= 24 else { return nil }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let code = (currency ?? "").uppercased()
        let digits = wholeCurrencies.contains(code) ? 0 : thousandthCurrencies.contains(code) ? 3 : 2
        // Digits past the minor unit must be zeros (49.950): a shop does not charge fractions of a cent.
        guard fraction.dropFirst(digits).allSatisfy({ $0 == "0" }) else { return nil }
        let minor = String(fraction.prefix(digits)).padding(toLength: digits, withPad: "0", startingAt: 0)
        guard whole.count <= 13, let w = Int(whole), let f = digits == 0 ? 0 : Int(minor) else { return nil }
        let (scaled, o1) = w.multipliedReportingOverflow(by: digits == 0 ? 1 : digits == 3 ? 1_000 : 100)
        let (sum, o2) = scaled.addingReportingOverflow(f)
        guard !o1, !o2, sum <= OrderSubmission.maxMoney else { return nil }
        return sum
    }

    /// Text from the shop, trimmed; nil when empty. Longer than `max` characters: `TooLong`, which
    /// makes the delivery ignored and said (a 400 would make the platform retry, then switch the
    /// webhook off, over one product's name).
    static func text(_ value: String?, field: String, max: Int) throws -> String? {
        guard let t = value?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else { return nil }
        guard t.count <= max else { throw TooLong(field: field, max: max) }
        return t
    }

    /// A delivery's body as the topic's resource; anything else is malformed.
    static func decode<T: Decodable>(_ type: T.Type, from body: Data, topic: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            throw MalformedDelivery("the body is not the JSON \(topic) sends")
        }
    }

    /// Reads a delivery with `read`; a value longer than CareLoop keeps makes the delivery ignored, said why.
    static func event(_ read: () throws -> ShopEvent) throws -> ShopEvent {
        do { return try read() } catch let e as TooLong { return .ignored(e.note) }
    }

    /// Amounts in minor units added up (0 for none); nil when the sum passes `maxMoney`.
    static func total(_ amounts: [Int]) -> Int? {
        var total = 0
        for a in amounts {
            let (sum, overflow) = total.addingReportingOverflow(a)
            guard !overflow, sum <= OrderSubmission.maxMoney else { return nil }
            total = sum
        }
        return total
    }

    /// "First Last" from the parts a shop has, trimmed; nil when there are none.
    static func fullName(_ parts: String?...) -> String? {
        let name = parts.compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        return name.isEmpty ? nil : name
    }

    struct TooLong: Error {
        let field: String
        let max: Int
        var note: String { "\(field) is longer than the \(max) characters CareLoop keeps: not kept" }
    }

    /// A list of ids where one unreadable id is skipped rather than failing the whole body.
    struct LenientID: Decodable {
        let id: ID?
        init(from decoder: any Decoder) throws { id = try? ID(from: decoder) }
    }

    /// A date as the platforms write it (ISO 8601 with an offset; WooCommerce's `_gmt` fields have
    /// none and are UTC). A value that is not a date is malformed, not ignored.
    static func date(_ value: String?, field: String) throws -> Date? {
        guard let v = value, !v.isEmpty else { return nil }
        guard v.utf8.count <= 40, let d = ImportDate.parse(v) else { throw MalformedDelivery("\(field) is not a date") }
        return d
    }

    /// A two-letter country code, upper case; anything else is dropped (it only narrows consent rules).
    static func country(_ value: String?) -> String? {
        guard let v = value, v.count == 2, v.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return v.uppercased()
    }

    /// A language tag, when it is one (`de`, `en-US`).
    static func language(_ value: String?) -> String? {
        guard let v = value, OrderSubmission.isLanguageTag(v) else { return nil }
        return v
    }
}
