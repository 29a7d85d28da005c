/// A JSON number that must be whole. `4.5` for a rating is a wrong value in a named field (422),
/// not unreadable JSON, which is how the plain `Int` decoder would report it.
struct WholeNumber: Decodable, Sendable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            value = n
        } else if (try? c.decode(Double.self)) != nil {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "not a whole number"))
        } else {
            value = try c.decode(Int.self)
        }
    }
}
