import FluentKit
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Google's product ratings feed (schema 2.3), written in chunks as the pages are read. Every text is
/// escaped here, never wrapped in CDATA (a review may itself hold `]]>`), and characters XML 1.0 does
/// not allow are left out, so no review can make the document unreadable. Attribute values are fixed.
public enum ProductReviewFeedXML {
    public static let schemaLocation = "http://www.google.com/shopping/reviews/schema/product/2.3/product_reviews.xsd"
    /// A chunk is handed on once it holds this much; a page of long reviews never sits whole in one buffer.
    static let chunkBytes = 64 * 1024
    /// One page read may take this long before the feed is abandoned (the client sees a cut-off body).
    static let pageSeconds: Double = 30

    /// Where a review is shown when its product has no usable page of its own: CareLoop's public page
    /// of the product's reviews (`/embed/{slug}/{external_id}`); the schema requires both URLs.
    public struct Links: Sendable {
        public let embedBase: String

        public init(publicURL: String, slug: String) {
            embedBase = "\(publicURL)/embed/\(CareLinks.component(slug))/"
        }

        func fallback(_ product: ProductReviewFeed.ProductFacts) -> String {
            embedBase + CareLinks.component(product.externalID)
        }
    }

    /// Writes the whole feed of the store through `emit`, a chunk at a time.
    public static func stream(
        storeID: UUID, publisher: String, links: Links, pageSize: Int = ProductReviewFeed.pageSize, on db: any Database,
        emit: (ByteBuffer) async throws -> Void
    ) async throws {
        var out = ByteBuffer()
        head(publisher: publisher, into: &out)
        var listedAny = false
        var after: ProductReviewFeed.Cursor?
        while true {
            let items = try await readPage(storeID: storeID, after: after, pageSize: pageSize, on: db)
            for item in items where isListed(item) {
                // `<reviews>` must hold at least one review: opened only once there is one.
                if !listedAny { out.writeStaticString("<reviews>\n") }
                listedAny = true
                review(item, links: links, into: &out)
                if out.readableBytes >= chunkBytes {
                    try await emit(out)
                    out = ByteBuffer()
                }
            }
            guard items.count == pageSize, let last = items.last else { break }
            after = ProductReviewFeed.cursor(after: last)
        }
        if listedAny { out.writeStaticString("</reviews>\n") }
        out.writeStaticString("</feed>\n")
        try await emit(out)
    }

    static func readPage(storeID: UUID, after: ProductReviewFeed.Cursor?, pageSize: Int, on db: any Database) async throws
        -> [ProductReviewFeed.Item]
    {
        let box = NIOLockedValueBox<[ProductReviewFeed.Item]>([])
        try await Deadline.run(seconds: pageSeconds, orThrow: { StorageTimeout(seconds: pageSeconds) }) {
            let items = try await ProductReviewFeed.page(storeID: storeID, after: after, limit: pageSize, on: db)
            box.withLockedValue { $0 = items }
        }
        return box.withLockedValue { $0 }
    }

    public static func head(publisher: String, into out: inout ByteBuffer) {
        out.writeStaticString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        out.writeString(
            "<feed xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"\(schemaLocation)\">\n")
        out.writeStaticString("<version>2.3</version>\n<publisher><name>")
        // The publisher's name is required and may not be blank.
        escape(text(publisher) ?? "CareLoop store", into: &out)
        out.writeStaticString("</name></publisher>\n")
    }

    /// Google requires `<content>`: a review without text takes its title; one with neither (a
    /// stars-only review, or one whose author was erased) is left out of the feed. A rating outside
    /// 1–5 cannot be stated truthfully in the feed's range and is left out too.
    public static func isListed(_ item: ProductReviewFeed.Item) -> Bool {
        (1...5).contains(item.rating) && (text(item.body) ?? text(item.title)) != nil
    }

    /// One `<review>`, in the order the schema requires.
    public static func review(_ item: ProductReviewFeed.Item, links: Links, into out: inout ByteBuffer) {
        guard isListed(item), let content = text(item.body) ?? text(item.title) else { return }
        out.writeStaticString("<review><review_id>")
        out.writeString(item.id.uuidString)
        out.writeStaticString("</review_id><reviewer>")
        if let name = publicName(item.authorName) {
            out.writeStaticString("<name is_anonymous=\"false\">")
            escape(name, into: &out)
        } else {
            out.writeStaticString("<name is_anonymous=\"true\">Anonymous")
        }
        out.writeStaticString("</name></reviewer><review_timestamp>")
        out.writeString(ISODate.format(item.createdAt))
        out.writeStaticString("</review_timestamp>")
        element("title", text(item.title), into: &out)
        element("content", content, into: &out)
        let page = productPage(item.product.url)
        let fallback = page == nil ? links.fallback(item.product) : ""
        // The product's page lists all its reviews ("group"); the anchor names this one. Without a page
        // of its own, CareLoop's page of the product's reviews stands in (the schema requires a URL).
        out.writeStaticString("<review_url type=\"group\">")
        escape(page.map { anchored($0, item.id) } ?? fallback, into: &out)
        out.writeStaticString("</review_url><ratings><overall min=\"1\" max=\"5\">")
        out.writeString(String(item.rating))
        out.writeStaticString("</overall></ratings><products><product>")
        productIDs(item.product, into: &out)
        element("product_name", text(item.product.name), into: &out)
        out.writeStaticString("<product_url>")
        escape(page ?? fallback, into: &out)
        out.writeStaticString("</product_url></product></products><is_spam>false</is_spam><collection_method>")
        out.writeStaticString(item.fromRequest ? "post_fulfillment" : "unsolicited")
        out.writeStaticString("</collection_method></review>\n")
    }

    /// Each identifier only when the shop gave one; a GTIN only when it looks like one (8 to 14 digits):
    /// Google matches reviews to products by it, and a wrong one would tie the review to nothing.
    static func productIDs(_ p: ProductReviewFeed.ProductFacts, into out: inout ByteBuffer) {
        let gtin = text(p.gtin).flatMap { g -> String? in
            let digits = g.trimmingCharacters(in: .whitespaces)
            return (8...14).contains(digits.utf8.count) && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? digits : nil
        }
        let ids = [("gtins", "gtin", gtin), ("mpns", "mpn", text(p.mpn)), ("skus", "sku", text(p.sku)), ("brands", "brand", text(p.brand))]
        guard ids.contains(where: { $0.2 != nil }) else { return }
        out.writeStaticString("<product_ids>")
        for (group, name, value) in ids {
            guard let value else { continue }
            out.writeString("<\(group)><\(name)>")
            escape(value, into: &out)
            out.writeString("</\(name)></\(group)>")
        }
        out.writeStaticString("</product_ids>")
    }

    static func element(_ name: StaticString, _ value: String?, into out: inout ByteBuffer) {
        guard let value else { return }
        out.writeStaticString("<")
        out.writeStaticString(name)
        out.writeStaticString(">")
        escape(value, into: &out)
        out.writeStaticString("</")
        out.writeStaticString(name)
        out.writeStaticString(">")
    }

    /// The name shown on the shop, or nil when none is public: no name, the erasure's "Anonymous", or
    /// "Customer", which CareLoop writes when the reviewer gave no name.
    static func publicName(_ authorName: String) -> String? {
        guard let name = text(authorName) else { return nil }
        let plain = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return plain == "anonymous" || plain == "customer" ? nil : name
    }

    /// The product's own page when it is a URL the schema accepts (http or https, a dot in it, no space).
    static func productPage(_ url: String?) -> String? {
        guard let url, let v = text(url) else { return nil }
        let lower = v.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), v.contains("."),
            !v.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else { return nil }
        return v
    }

    /// The review's anchor on the product page; a URL that already has a fragment is left as it is.
    static func anchored(_ page: String, _ id: UUID) -> String {
        page.contains("#") ? page : "\(page)#review-\(id.uuidString.lowercased())"
    }

    /// The text when it keeps something other than white space once the characters XML forbids are
    /// left out (the schema's non-empty strings); nil otherwise. The text itself is not changed.
    public static func text(_ s: String?) -> String? {
        guard let s else { return nil }
        return s.unicodeScalars.contains { isXMLCharacter($0.value) && !isXMLSpace($0.value) } ? s : nil
    }

    /// XML 1.0's `Char`: tab, line feed, carriage return and everything from U+0020 except the
    /// surrogates (which a Swift string cannot hold) and U+FFFE / U+FFFF.
    static func isXMLCharacter(_ v: UInt32) -> Bool {
        v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v) || v >= 0x1_0000
    }

    static func isXMLSpace(_ v: UInt32) -> Bool {
        v == 0x20 || v == 0x9 || v == 0xA || v == 0xD
    }

    /// Writes `s` as XML character data: the five markup characters as entities, a carriage return as
    /// `&#13;` (a parser turns a bare one into a line feed), forbidden characters dropped. Works on the
    /// UTF-8 bytes, copying the runs between them as they are.
    public static func escape(_ s: String, into out: inout ByteBuffer) {
        var s = s
        s.withUTF8 { bytes in
            var run = 0
            var i = 0
            func flush(upTo end: Int) {
                if end > run { out.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[run..<end]))) }
            }
            while i < bytes.count {
                let b = bytes[i]
                var skip = 1
                let replacement: StaticString
                switch b {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&apos;"
                case 0x0D: replacement = "&#13;"
                case 0x09, 0x0A:
                    i += 1
                    continue
                case 0x00..<0x20: replacement = ""
                // U+FFFE and U+FFFF are EF BF BE and EF BF BF.
                case 0xEF where i + 2 < bytes.count && bytes[i + 1] == 0xBF && bytes[i + 2] >= 0xBE:
                    replacement = ""
                    skip = 3
                default:
                    i += 1
                    continue
                }
                flush(upTo: i)
                out.writeStaticString(replacement)
                i += skip
                run = i
            }
            flush(upTo: bytes.count)
        }
    }
}
