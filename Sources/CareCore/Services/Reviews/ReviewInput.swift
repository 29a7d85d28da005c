import Foundation

/// A product as the caller names it: the store's own id, and details used when it is new to CareLoop.
public struct ProductRef: Sendable {
    public var externalID: String
    public var name: String?
    public var url: String?
    public var imageURL: String?
    /// Identifiers a shop's catalog has (nil: leave what CareLoop knows).
    public var sku: String?
    public var gtin: String?
    public var mpn: String?
    public var brand: String?

    public init(externalID: String, name: String? = nil, url: String? = nil, imageURL: String? = nil) {
        self.externalID = externalID
        self.name = name
        self.url = url
        self.imageURL = imageURL
    }
}

public struct CustomerRef: Sendable {
    public var email: String
    public var name: String?

    public init(email: String, name: String? = nil) {
        self.email = email
        self.name = name
    }
}

/// A review on its way in, from any source. `validated()` checks every field and says which one is wrong.
public struct ReviewSubmission: Sendable {
    public var product: ProductRef
    public var customer: CustomerRef
    public var rating: Int
    public var title: String?
    public var body: String?
    public var authorName: String?
    public var orderExternalID: String?
    public var source: ReviewSource
    /// For the public form: only products the store already has may be reviewed.
    public var mustBeKnownProduct: Bool
    /// How the caller's request names the reviewer's email and name, for error messages.
    public var emailField = "customer.email"
    public var customerNameField = "customer.name"

    public init(
        product: ProductRef, customer: CustomerRef, rating: Int, title: String? = nil, body: String? = nil,
        authorName: String? = nil, orderExternalID: String? = nil, source: ReviewSource,
        mustBeKnownProduct: Bool = false
    ) {
        self.product = product
        self.customer = customer
        self.rating = rating
        self.title = title
        self.body = body
        self.authorName = authorName
        self.orderExternalID = orderExternalID
        self.source = source
        self.mustBeKnownProduct = mustBeKnownProduct
    }

    public struct Valid: Sendable {
        public var product: ProductRef
        public var email: EmailAddress
        public var customerName: String?
        public var rating: Rating
        public var title: String?
        public var body: String?
        public var authorName: String?
        public var orderExternalID: String?
        public var source: ReviewSource
        public var mustBeKnownProduct: Bool
    }

    public static let limits = (externalID: 200, name: 300, url: 2000, title: 200, body: 20_000, authorName: 100)

    public func validated(productField: String = "product") throws(CareError) -> Valid {
        let externalID = try Text.required(product.externalID, field: "\(productField).external_id", max: Self.limits.externalID)
        let productName = try Text.optional(product.name, field: "\(productField).name", max: Self.limits.name)
        let url = try Text.url(product.url, field: "\(productField).url")
        let imageURL = try Text.url(product.imageURL, field: "\(productField).image_url")
        var checkedProduct = ProductRef(externalID: externalID, name: productName, url: url, imageURL: imageURL)
        checkedProduct.sku = try Text.optional(product.sku, field: "\(productField).sku", max: 255)
        checkedProduct.gtin = try Text.optional(product.gtin, field: "\(productField).gtin", max: 255)
        checkedProduct.mpn = try Text.optional(product.mpn, field: "\(productField).mpn", max: 255)
        checkedProduct.brand = try Text.optional(product.brand, field: "\(productField).brand", max: 255)
        let email = try EmailAddress(customer.email, field: emailField)
        // Names typed into the public form by anyone are shown on the review: never a link.
        if source == .widget {
            _ = try Text.name(authorName, field: "author_name", max: Self.limits.authorName)
            _ = try Text.name(customer.name, field: customerNameField, max: Self.limits.authorName)
        }
        return Valid(
            product: checkedProduct,
            email: email,
            customerName: try Text.optional(customer.name, field: customerNameField, max: Self.limits.authorName),
            rating: try Rating(rating),
            title: try Text.optional(title, field: "title", max: Self.limits.title),
            body: try Text.optional(body, field: "body", max: Self.limits.body),
            authorName: try Text.optional(authorName, field: "author_name", max: Self.limits.authorName),
            orderExternalID: try Text.optional(orderExternalID, field: "order_external_id", max: Self.limits.externalID),
            source: source,
            mustBeKnownProduct: mustBeKnownProduct
        )
    }
}

/// Checks for free text fields: trimmed, length-limited, no control characters but line breaks and tabs.
public enum Text {
    public static func optional(_ value: String?, field: String, max: Int) throws(CareError) -> String? {
        guard let value else { return nil }
        let trimmed = trim(value)
        guard !trimmed.isEmpty else { return nil }
        // Characters as shown, and code points too: one letter with 400 000 accents is one character.
        guard trimmed.count <= max, trimmed.unicodeScalars.count <= max * 4 else { throw .invalid(field, "is longer than \(max) characters") }
        if trimmed.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t" || $0.value == 0x7F }) {
            throw .invalid(field, "contains control characters")
        }
        return trimmed
    }

    /// `value` without white space and line breaks at either end, as Foundation's
    /// `whitespacesAndNewlines` has them (on Linux that set also holds U+200B). Most text starts and
    /// ends with a visible ASCII character: then it is returned as it is, without Foundation's scan.
    public static func trim(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return value }
        if (0x21..<0x7F).contains(first.value) && (0x21..<0x7F).contains(last.value) { return value }
        return value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One line of text: no line breaks, tabs or other control characters, no direction overrides
    /// (which reorder what a person sees).
    public static func singleLine(_ value: String?, field: String) throws(CareError) -> String? {
        guard let value else { return nil }
        let bad = value.unicodeScalars.contains {
            $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029
                || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
        }
        if bad { throw .invalid(field, "must be one line, without control characters") }
        return value
    }

    /// A person's name: free text, but never a link (names are shown on reviews and put into mail).
    public static func name(_ value: String?, field: String, max: Int) throws(CareError) -> String? {
        guard let v = try optional(value, field: field, max: max) else { return nil }
        if carriesLink(v) { throw .invalid(field, "must be a name, not a link") }
        return v
    }

    /// Whether text reads as a web address: a scheme, `www.`, or a dotted name ending in a label of
    /// two or more letters or an IDN label (`evil.example`, `x.co`, `evil.com.`, `evil.com:8080`,
    /// `evil。com`). "J. R. Smith" is a name; "Dr.Who" is refused as a link (a rare false alarm).
    public static func carriesLink(_ s: String) -> Bool {
        var lower = s.lowercased()
        for dot in ["。", "．", "｡"] { lower = lower.replacingOccurrences(of: dot, with: ".") }
        if lower.contains("://") || lower.contains("www.") || lower.contains("http:") || lower.contains("https:") { return true }
        let separators: Set<Character> = [" ", "/", "@", ",", ":", "!", "?", ";", "(", ")", "\"", "'", "<", ">"]
        for rawToken in lower.split(whereSeparator: { separators.contains($0) }) {
            var token = Substring(rawToken)
            while token.last == "." { token = token.dropLast() }
            let labels = token.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), let tld = labels.last else { continue }
            if tld.hasPrefix("xn--") || (tld.count >= 2 && tld.allSatisfy(\.isLetter)) { return true }
        }
        return false
    }

    public static func required(_ value: String?, field: String, max: Int) throws(CareError) -> String {
        guard let v = try optional(value, field: field, max: max) else { throw .missing(field) }
        return v
    }

    public static func url(_ value: String?, field: String) throws(CareError) -> String? {
        guard let v = try optional(value, field: field, max: ReviewSubmission.limits.url) else { return nil }
        let lower = v.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), URL(string: v)?.host != nil else {
            throw .invalid(field, "must be an http or https URL")
        }
        return v
    }
}
