import Foundation

/// Any JSON value, with booleans and numbers kept apart (Foundation's untyped parser can't tell
/// `true` from `1` on every platform).
public enum JSONNode: Sendable, Equatable, Codable {
    case object([String: JSONNode])
    case array([JSONNode])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONNode].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONNode].self))
        }
    }

    var object: [String: JSONNode]? { if case .object(let o) = self { o } else { nil } }
    var array: [JSONNode]? { if case .array(let a) = self { a } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var wholeNumber: Int? {
        if case .number(let n) = self, n == n.rounded(), abs(n) < 1e9 { Int(n) } else { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .object(let o): try c.encode(o)
        case .array(let a): try c.encode(a)
        case .string(let s): try c.encode(s)
        case .number(let n): if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        }
    }
}
