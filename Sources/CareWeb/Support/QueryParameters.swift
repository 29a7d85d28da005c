import CareCore
import Vapor

/// Query and path parameters, read one way everywhere. Query values are read straight from the URL:
/// Vapor's form decoder, run for each value asked for, cost more than the whole database read on a
/// page of the public review list.
extension Request {
    /// The text of the last `name=value` pair in the query (the last wins, as it did with Vapor's
    /// decoder: the dashboard's paging links append `page=N` to the query they were given), with `+`
    /// and `%XX` decoded; nil when the name is absent or its value is not well-formed percent-encoded
    /// UTF-8. `name` alone is "".
    func queryText(_ name: String) -> String? {
        guard let query = url.query, !query.isEmpty else { return nil }
        var found: String?? = .none
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name else { continue }
            found = .some(parts.count == 2 ? Self.formDecoded(parts[1]) : "")
        }
        return found ?? nil
    }

    /// `application/x-www-form-urlencoded` text decoded: `+` is a space, `%XX` a byte (Foundation's
    /// `removingPercentEncoding`, nil for a broken escape or bytes that are not UTF-8).
    static func formDecoded(_ bytes: Substring.UTF8View) -> String? {
        let text = String(Substring(bytes))
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return text }
        return text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A query parameter that must be a whole number when present.
    func intQuery(_ name: String) throws -> Int? {
        guard let raw = queryText(name), !raw.isEmpty else { return nil }
        guard let n = Int(raw) else { throw CareError.invalid(name, "must be a whole number") }
        return n
    }

    /// A query parameter that must be one of an enum's values when present.
    func enumQuery<E: RawRepresentable & CaseIterable>(_ name: String, as type: E.Type) throws -> E? where E.RawValue == String {
        guard let raw = queryText(name), !raw.isEmpty else { return nil }
        guard let value = E(rawValue: raw) else {
            throw CareError.invalid(name, "must be one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    /// A path parameter that must be a UUID; anything else is simply not found.
    func uuidParameter(_ name: String, what: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else { throw CareError.notFound(what) }
        return id
    }
}
