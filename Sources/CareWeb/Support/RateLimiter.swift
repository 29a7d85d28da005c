import Foundation

/// Token buckets per client address: `burst` requests at once, refilled at `perMinute`.
/// In memory and per process: a node-local brake on abuse, not an accounting system.
public actor RateLimiter {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }
    private var buckets: [String: Bucket] = [:]
    private let burst: Double
    private let perSecond: Double
    private let now: @Sendable () -> Date

    public init(burst: Int, perMinute: Int, now: @escaping @Sendable () -> Date = { Date() }) {
        self.burst = Double(burst)
        self.perSecond = Double(perMinute) / 60
        self.now = now
    }

    /// Takes a token for `key`; false when the bucket is empty. Also says how long until the next token.
    public func take(_ key: String) -> (allowed: Bool, retryAfter: Int) {
        let t = now()
        var bucket = buckets[key] ?? Bucket(tokens: burst, updated: t)
        bucket.tokens = min(burst, bucket.tokens + t.timeIntervalSince(bucket.updated) * perSecond)
        bucket.updated = t
        defer {
            buckets[key] = bucket
            if buckets.count > 50_000 { prune(at: t) }
        }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return (true, 0)
        }
        return (false, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
    }

    /// Drops buckets that have refilled completely: they hold no state worth keeping.
    private func prune(at t: Date) {
        buckets = buckets.filter { $0.value.tokens + t.timeIntervalSince($0.value.updated) * perSecond < burst }
    }
}
