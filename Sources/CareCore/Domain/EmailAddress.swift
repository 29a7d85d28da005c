import Foundation

/// A customer's email address in the one form the store keys customers by: trimmed and lower-cased.
/// The check is deliberately modest (one `@`, something either side, a dot in the domain, no spaces):
/// mail delivery is the real test, and refusing a real customer's address is worse than accepting an odd one.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String, field: String = "email") throws(CareError) {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !trimmed.isEmpty else { throw .missing(field) }
        guard trimmed.utf8.count <= 254 else { throw .invalid(field, "is longer than 254 characters") }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !trimmed.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," }),
            !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw .invalid(field, "is not an email address") }
        self.value = trimmed
    }

    public var description: String { value }

    /// What to call the customer when they gave no name: the part before the `@`.
    public var localPart: String { String(value.split(separator: "@")[0]) }
}
