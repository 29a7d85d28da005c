import Foundation

/// A value in a condition or a fact: what JSON can say, no more.
public enum TriggerValue: Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    case string(String)
    case bool(Bool)
    case list([TriggerValue])
    case null

    public var description: String {
        switch self {
        case .number(let n): n == n.rounded() ? String(Int(n)) : String(n)
        case .string(let s): "\"\(s)\""
        case .bool(let b): String(b)
        case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .null: "null"
        }
    }

    var kind: TriggerAttribute.Kind? {
        switch self {
        case .number: .number
        case .string: .string
        case .bool: .bool
        case .list: .tags
        case .null: nil
        }
    }
}
