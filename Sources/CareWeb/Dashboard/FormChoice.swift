import CareCore
import Fluent
import Foundation
import Vapor

/// One option of a `<select>` on a dashboard page.
struct FormChoice: Encodable {
    let value: String
    let label: String
    let selected: Bool
}

/// The words typed into a dashboard search box: trimmed, at most `max` characters, no control
/// characters (SQLite's LIKE stops at a NUL, so "%\0" would match everything). nil when empty.
enum SearchWords {
    static func checked(_ raw: String?, max: Int) throws -> String? {
        let q = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { return nil }
        guard q.count <= max, q.unicodeScalars.count <= 4 * max else { throw CareError.invalid("q", "search for at most \(max) characters") }
        guard !q.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CareError.invalid("q", "search for words, without control characters")
        }
        return q
    }

    /// The same check for a value carried in a link: anything it would refuse is left out.
    static func kept(_ raw: String?, max: Int) -> String? { (try? checked(raw, max: max)) ?? nil }
}
