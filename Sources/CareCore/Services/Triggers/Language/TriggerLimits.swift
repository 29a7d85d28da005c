import Foundation
import SQLKit

/// How much rule a store may have. Triggers run inside the write transaction of every review and
/// reply, and one installation serves many stores, so each store's rules have a bounded cost:
/// a bounded number of triggers, each of bounded size, and a bounded number of pattern conditions
/// (the costliest kind: each one reads the whole text).
public enum TriggerLimits {
    public static let triggersPerStore = 100
    public static let definitionBytes = 16 * 1024
    public static let conditionsPerTrigger = 50
    public static let depth = 6
    public static let actionsPerTrigger = 10
    public static let patternsPerStore = 10

    /// Refuses a definition that would take the store over its limits (run in the write's transaction).
    static func check(adding d: TriggerDefinition, storeID: UUID, replacing id: UUID?, on sql: any SQLDatabase) async throws {
        let others = try await sql.raw("SELECT id, definition FROM triggers WHERE store_id = \(bind: storeID)").all()
            .filter { (try? $0.decode(column: "id", as: UUID.self)) != id }
        if id == nil, others.count >= triggersPerStore {
            throw CareError.tooManyTriggers(message: "a store can have at most \(triggersPerStore) triggers")
        }
        var patterns = d.conditions.patternCount
        for row in others {
            patterns += TriggerCache.definition(try row.decode(column: "definition", as: String.self))?.conditions.patternCount ?? 0
        }
        if patterns > patternsPerStore {
            throw CareError.tooManyPatterns(message: "a store's triggers can have at most \(patternsPerStore) 'matches' conditions in all")
        }
    }
}

extension TriggerCondition {
    /// Conditions in the tree (comparisons and groups), its depth, and its `matches` comparisons.
    var size: (nodes: Int, depth: Int) {
        switch self {
        case .all(let cs), .any(let cs):
            let inner = cs.map(\.size)
            return (1 + inner.reduce(0) { $0 + $1.nodes }, 1 + (inner.map(\.depth).max() ?? 0))
        case .not(let c):
            let inner = c.size
            return (1 + inner.nodes, 1 + inner.depth)
        case .compare:
            return (1, 1)
        }
    }

    var patternCount: Int {
        switch self {
        case .all(let cs), .any(let cs): cs.reduce(0) { $0 + $1.patternCount }
        case .not(let c): c.patternCount
        case .compare(_, let op, _): op == .matches ? 1 : 0
        }
    }
}
