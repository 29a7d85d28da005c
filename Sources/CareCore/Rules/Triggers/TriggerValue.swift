import Foundation

/// A value in a condition or a fact: what JSON can say, no more.
public enum TriggerValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case number(Double)
    case string(String)
    case bool(Bool)
    case list([TriggerValue])
    case null

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let l = try? c.decode([TriggerValue].self) { self = .list(l) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "must be a number, string, boolean or list") }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .list(let l): try c.encode(l)
        case .null: try c.encodeNil()
        }
    }

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
