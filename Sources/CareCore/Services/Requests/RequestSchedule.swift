import Foundation

/// Clock arithmetic for requests, in the store's time zone: quiet hours and local days.
public enum RequestSchedule {
    static func calendar(_ zone: TimeZone) -> Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        return c
    }

    /// Whether `date` falls in the quiet hours (from `start` up to `end`, across midnight when
    /// start > end; none when they are equal).
    public static func isQuiet(_ date: Date, _ s: RequestSettings) -> Bool {
        let hour = calendar(s.zone).component(.hour, from: date)
        let (start, end) = (s.quietStartHour, s.quietEndHour)
        if start == end { return false }
        return start < end ? (start..<end).contains(hour) : (hour >= start || hour < end)
    }

    /// The first moment at or after `date` outside the quiet hours.
    public static func nextAllowed(_ date: Date, _ s: RequestSettings) -> Date {
        guard isQuiet(date, s) else { return date }
        return nextLocal(hour: s.quietEndHour, after: date, s)
    }

    /// When the next local day's sending starts (the end of its quiet hours, or midnight without).
    public static func nextDayStart(_ date: Date, _ s: RequestSettings) -> Date {
        let cal = calendar(s.zone)
        let tomorrow = cal.startOfDay(for: date).addingTimeInterval(36 * 3600) // safely inside the next day
        let midnight = cal.startOfDay(for: tomorrow)
        return nextAllowed(midnight, s)
    }

    static func nextLocal(hour: Int, after date: Date, _ s: RequestSettings) -> Date {
        let cal = calendar(s.zone)
        return cal.nextDate(after: date, matching: DateComponents(hour: hour, minute: 0, second: 0), matchingPolicy: .nextTime)
            ?? date.addingTimeInterval(3600)
    }

    /// `2026-11-24`: the store's local day, for the daily cap.
    public static func localDay(_ date: Date, in zone: TimeZone) -> String {
        let c = calendar(zone).dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
