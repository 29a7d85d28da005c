import Foundation

/// A tree of conditions: `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or a comparison
/// `{"attribute": "review.rating", "op": "lte", "value": 2}`. An empty `all` is always true.
public indirect enum TriggerCondition: Sendable, Equatable {
    case all([TriggerCondition])
    case any([TriggerCondition])
    case not(TriggerCondition)
    case compare(attribute: TriggerAttribute, op: TriggerOperator, value: TriggerValue)

    public static let always = TriggerCondition.all([])

    /// Whether the facts satisfy the condition. Missing facts are `null`, which satisfies no
    /// comparison except `ne`.
    public func matches(_ facts: TriggerFacts) -> Bool {
        switch self {
        case .all(let cs): return cs.allSatisfy { $0.matches(facts) }
        case .any(let cs): return cs.contains { $0.matches(facts) }
        case .not(let c): return !c.matches(facts)
        case .compare(let attribute, let op, let value):
            return Self.compare(facts[attribute] ?? .null, op, value)
        }
    }

    static func compare(_ fact: TriggerValue, _ op: TriggerOperator, _ value: TriggerValue) -> Bool {
        switch (op, fact, value) {
        case (.eq, _, _): return equal(fact, value)
        case (.ne, _, _): return !equal(fact, value)
        case (.lt, .number(let a), .number(let b)): return a < b
        case (.lte, .number(let a), .number(let b)): return a <= b
        case (.gt, .number(let a), .number(let b)): return a > b
        case (.gte, .number(let a), .number(let b)): return a >= b
        case (.in, _, .list(let options)): return options.contains { equal(fact, $0) }
        case (.contains, .string(let a), .string(let b)): return a.range(of: b, options: [.caseInsensitive, .diacriticInsensitive]) != nil
        case (.contains, .list(let tags), _): return tags.contains { equal($0, value) }
        case (.matches, .string(let a), .string(let pattern)):
            // Linear time whatever the pattern: rules run inside every store's write path.
            return TriggerCache.pattern(pattern)?.matches(in: a) ?? false
        default: return false
        }
    }

    static func equal(_ a: TriggerValue, _ b: TriggerValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x.caseInsensitiveCompare(y) == .orderedSame
        default: return a == b
        }
    }
}

/// The facts about one event's subject: attribute name → value.
public typealias TriggerFacts = [TriggerAttribute: TriggerValue]
