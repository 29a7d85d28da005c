import Foundation

/// One value as SQLite stores it: its five storage classes.
enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case float(Double)
    case text(String)
    case blob([UInt8])
    case null
}

/// Swift values to SQLite values and back, in the formats the files already hold: dates as REAL
/// seconds since 1970, UUIDs as their upper-case text, booleans as 0/1, anything structured as
/// JSON text. (Files written by earlier versions, through the Fluent SQLite driver, read back.)
enum SQLiteCoding {
    static func encode(_ value: any Encodable) throws -> SQLiteValue {
        switch value {
        case let s as String: return .text(s)
        case let u as UUID: return .text(u.uuidString)
        case let d as Date: return .float(d.timeIntervalSince1970)
        case let b as Bool: return .integer(b ? 1 : 0)
        case let n as Int: return .integer(Int64(n))
        case let x as Double: return .float(x)
        case let x as Float: return .float(Double(x))
        case let n as any BinaryInteger:
            guard let exact = Int64(exactly: n) else {
                throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(n) does not fit SQLite's 64-bit integer"))
            }
            return .integer(exact)
        case let d as Data: return .blob([UInt8](d))
        case let bytes as [UInt8]: return .blob(bytes)
        case let optional as any OptionalEncodable:
            guard let wrapped = optional.wrappedEncodable else { return .null }
            return try encode(wrapped)
        case let raw as any RawRepresentable:
            // An enum: its raw value, as its synthesized Codable conformance writes it.
            guard let rawValue = raw.rawValue as? any Encodable else {
                throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "raw value is not encodable"))
            }
            return try encode(rawValue)
        default:
            return .text(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: SQLiteValue) throws -> T {
        if let direct = try decodeDirect(type, from: value) { return direct }
        // The optional columns every row has, known by identity: no conformance look-up, no cast.
        switch ObjectIdentifier(T.self) {
        case optionalString: return unsafeBitCast(try optional(String.self, value), to: T.self)
        case optionalUUID: return unsafeBitCast(try optional(UUID.self, value), to: T.self)
        case optionalDate: return unsafeBitCast(try optional(Date.self, value), to: T.self)
        case optionalInt: return unsafeBitCast(try optional(Int.self, value), to: T.self)
        default: break
        }
        if let optional = T.self as? any OptionalDecodable.Type {
            return try optional.decodeOptional(from: value) as! T
        }
        if let raw = T.self as? any RawRepresentable.Type {
            return try decodeRaw(raw, from: value) as! T
        }
        let bytes: [UInt8]
        switch value {
        case .text(let s): bytes = Array(s.utf8)
        case .blob(let b): bytes = b
        default: throw mismatch(T.self, value)
        }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    private static let optionalString = ObjectIdentifier(String?.self)
    private static let optionalUUID = ObjectIdentifier(UUID?.self)
    private static let optionalDate = ObjectIdentifier(Date?.self)
    private static let optionalInt = ObjectIdentifier(Int?.self)

    private static func optional<W>(_ type: W.Type, _ value: SQLiteValue) throws -> W? {
        if case .null = value { return nil }
        guard let wrapped = try decodeDirect(W.self, from: value) else { throw mismatch(W.self, value) }
        return wrapped
    }

    private static func decodeRaw<R: RawRepresentable>(_ type: R.Type, from value: SQLiteValue) throws -> R {
        guard let rawType = R.RawValue.self as? any Decodable.Type,
            let rawValue = try decode(rawType, from: value) as? R.RawValue,
            let result = R(rawValue: rawValue)
        else { throw mismatch(R.self, value) }
        return result
    }

    /// The types every row is made of, converted without the Codable machinery.
    private static func decodeDirect<T>(_ type: T.Type, from value: SQLiteValue) throws -> T? {
        if T.self == String.self {
            switch value {
            case .text(let s): return unsafeBitCast(s, to: T.self)
            case .integer(let n): return (String(n) as! T)
            case .float(let x): return (String(x) as! T)
            default: throw mismatch(T.self, value)
            }
        }
        if T.self == UUID.self {
            guard case .text(let s) = value, let uuid = UUIDText.parse(s) else { throw mismatch(T.self, value) }
            return unsafeBitCast(uuid, to: T.self)
        }
        if T.self == Date.self {
            let seconds: Double
            switch value {
            case .float(let x): seconds = x
            case .integer(let n): seconds = Double(n)
            case .text(let s):
                guard let date = parseDate(s) else { throw mismatch(T.self, value) }
                return (date as! T)
            default: throw mismatch(T.self, value)
            }
            // Microseconds, as the Fluent driver did, so a date read back equals the one written.
            let sinceReference = seconds - Date.timeIntervalBetween1970AndReferenceDate
            return unsafeBitCast(Date(timeIntervalSinceReferenceDate: (sinceReference * 1e6).rounded() / 1e6), to: T.self)
        }
        if T.self == Int.self {
            guard case .integer(let n) = value, let int = Int(exactly: n) else { throw mismatch(T.self, value) }
            return unsafeBitCast(int, to: T.self)
        }
        // Before the integer cast: a failed conformance look-up per row cost more than the row.
        if T.self == Bool.self {
            guard case .integer(let n) = value, n == 0 || n == 1 else { throw mismatch(T.self, value) }
            return ((n == 1) as! T)
        }
        if let integer = T.self as? any FixedWidthInteger.Type {
            guard case .integer(let n) = value, let exact = exactly(integer, n) else { throw mismatch(T.self, value) }
            return (exact as! T)
        }
        if T.self == Float.self {
            switch value {
            case .float(let x): return (Float(x) as! T)
            case .integer(let n): return (Float(n) as! T)
            default: throw mismatch(T.self, value)
            }
        }
        if T.self == Double.self {
            switch value {
            case .float(let x): return (x as! T)
            case .integer(let n): return (Double(n) as! T)
            default: throw mismatch(T.self, value)
            }
        }
        if T.self == Data.self {
            guard case .blob(let b) = value else { throw mismatch(T.self, value) }
            return (Data(b) as! T)
        }
        return nil
    }

    private static func exactly<I: FixedWidthInteger>(_ type: I.Type, _ n: Int64) -> I? { I(exactly: n) }

    /// Dates written as text by SQL itself (`CURRENT_TIMESTAMP`: "2026-11-24 06:40:00", UTC) or as ISO 8601.
    private static func parseDate(_ text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    static func mismatch<T>(_ type: T.Type, _ value: SQLiteValue) -> DecodingError {
        .typeMismatch(T.self, .init(codingPath: [], debugDescription: "SQLite value \(value) is not a \(T.self)"))
    }
}

/// Optionals, seen through one protocol each way: nil is NULL.
protocol OptionalEncodable {
    var wrappedEncodable: (any Encodable)? { get }
}

protocol OptionalDecodable {
    static func decodeOptional(from value: SQLiteValue) throws -> Self
}

extension Optional: OptionalEncodable where Wrapped: Encodable {
    var wrappedEncodable: (any Encodable)? { self }
}

extension Optional: OptionalDecodable where Wrapped: Decodable {
    static func decodeOptional(from value: SQLiteValue) throws -> Self {
        if value == .null { return nil }
        return try SQLiteCoding.decode(Wrapped.self, from: value)
    }
}
