/// Where a review stands. Publication never depends on the rating: only content rules hold a review,
/// and a held review publishes itself after the store's deadline unless a person rejects it with a reason.
public enum ReviewStatus: String, Sendable, Codable, CaseIterable {
    case published
    case pending
    case rejected
}

/// How a review reached the store.
public enum ReviewSource: String, Sendable, Codable, CaseIterable {
    case api
    case widget
    case request
    case `import`
}

public enum StaffRole: String, Sendable, Codable, CaseIterable {
    case owner
    case agent
}
