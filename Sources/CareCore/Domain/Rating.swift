/// A star rating, 1 to 5. The only way to make one checks the range, so a stored rating is always valid.
public struct Rating: Sendable, Hashable, Comparable, Codable {
    public static let range = 1...5
    public let stars: Int

    public init(_ stars: Int) throws(CareError) {
        guard Self.range.contains(stars) else {
            throw .invalid("rating", "must be a whole number from 1 to 5, got \(stars)")
        }
        self.stars = stars
    }

    /// For values read back from storage, which only ever held checked ratings; clamps rather than traps.
    public init(stored stars: Int) {
        self.stars = min(max(stars, Self.range.lowerBound), Self.range.upperBound)
    }

    public static func < (a: Rating, b: Rating) -> Bool { a.stars < b.stars }

    /// 1★ and 2★: the reviews the care loop exists for.
    public var isUnhappy: Bool { stars <= 2 }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Int.self)
        try self.init(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(stars)
    }
}
