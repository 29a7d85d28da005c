import Foundation

/// The one way CareLoop writes a date: ISO 8601 in UTC with milliseconds (`2026-05-01T12:00:00.000Z`).
public enum ISODate {
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }
}
