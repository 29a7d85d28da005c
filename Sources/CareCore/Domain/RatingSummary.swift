/// The aggregate a product page shows. It counts every published review, whatever its stars:
/// leaving out low ratings here would be suppression by arithmetic.
public struct RatingSummary: Sendable, Equatable, Codable {
    /// How many published reviews have 1, 2, 3, 4, 5 stars (index 0 is 1★).
    public private(set) var stars: [Int]

    public init(stars: [Int] = [0, 0, 0, 0, 0]) {
        precondition(stars.count == 5, "a summary has one count per star")
        self.stars = stars
    }

    public init(ratings: some Sequence<Rating>) {
        self.init()
        for r in ratings { add(r) }
    }

    public var count: Int { stars.reduce(0, +) }
    public var ratingSum: Int { stars.enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element } }

    /// Mean of the stars, rounded to two decimals; 0 when there is nothing to average.
    public var average: Double {
        let n = count
        guard n > 0 else { return 0 }
        return (Double(ratingSum) / Double(n) * 100).rounded() / 100
    }

    public func count(of rating: Rating) -> Int { stars[rating.stars - 1] }

    public mutating func add(_ rating: Rating) { stars[rating.stars - 1] += 1 }

    public mutating func remove(_ rating: Rating) {
        precondition(stars[rating.stars - 1] > 0, "removing a rating the summary never counted")
        stars[rating.stars - 1] -= 1
    }

    /// `{"1": n, ..., "5": n}`, the shape the public API publishes.
    public var distribution: [String: Int] {
        Dictionary(uniqueKeysWithValues: stars.enumerated().map { (String($0.offset + 1), $0.element) })
    }
}
