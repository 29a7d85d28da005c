import CareCore

/// A page of a list: `{"<items>": [...], "page", "per_page", "total"}`, the one shape every list
/// route answers with (reviews, conversations, outbox jobs).
struct PageView<Item: Encodable>: Encodable {
    let key: String
    let items: [Item]
    let page: ReviewQueries.Page
    let total: Int

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(items, forKey: Key(key))
        try c.encode(page.number, forKey: Key("page"))
        try c.encode(page.size, forKey: Key("per_page"))
        try c.encode(total, forKey: Key("total"))
    }
}
