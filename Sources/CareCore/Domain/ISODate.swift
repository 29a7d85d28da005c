import Foundation

/// The one way CareLoop writes a date: ISO 8601 in UTC with milliseconds (`2026-05-01T12:00:00.000Z`).
public enum ISODate {
    /// Written by hand from the calendar arithmetic (civil date from days since 1970): every list
    /// row carries a few dates, and Foundation's format style cost a tenth of a list request's time.
    public static func format(_ date: Date) -> String {
        // The same arithmetic as Foundation's: whole seconds since 2001, then the fraction's milliseconds, truncated.
        let sinceReference = date.timeIntervalSinceReferenceDate
        let wholeSeconds = sinceReference.rounded(.down)
        // 1900–2199 only (where CareLoop's dates live); outside it Foundation's calendar (Julian before
        // 1582) and its rounding of far dates differ, and it takes Foundation's way.
        guard wholeSeconds.isFinite, wholeSeconds >= -3_187_296_000, wholeSeconds < 6_279_811_200 else { return foundationFormat(date) }
        let fractionMillis = Int64(((sinceReference - wholeSeconds) * 1000).rounded(.down))
        let total = (Int64(wholeSeconds) + 978_307_200) * 1000 + min(fractionMillis, 999)
        let (days, msOfDay) = floorDivide(total, 86_400_000)
        let (year, month, day) = civil(days)
        let ms = Int(msOfDay)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ n: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = n
            while divisor > 0 {
                out.append(UInt8(48 + rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        out.append(45)
        digits(month, 2)
        out.append(45)
        digits(day, 2)
        out.append(84)
        digits(ms / 3_600_000, 2)
        out.append(58)
        digits(ms / 60_000 % 60, 2)
        out.append(58)
        digits(ms / 1000 % 60, 2)
        out.append(46)
        digits(ms % 1000, 3)
        out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    static func foundationFormat(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Year, month, day of the day `days` after 1970-01-01 (proleptic Gregorian).
    private static func civil(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
