import Foundation

/// Dates as review platforms export them, read without Foundation's formatters (a 100 000-row file
/// has 100 000 of them): `2024-05-02`, `2024-05-02T10:24:48Z`, `2024-05-02 10:24:48 UTC`,
/// `2024-05-02T10:24:48.123+02:00`, `2024-05-02 10:24:48 -0700`, and `5/2/2024 [10:24[:48]]`
/// (slashes read month first, as US-made exports write them). No zone means UTC.
public enum ImportDate {
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var s = trimmed.utf8[...]
        guard !s.isEmpty else { return nil }

        func number(maxDigits: Int) -> Int? {
            var value = 0
            var count = 0
            while let c = s.first, c >= 48, c <= 57, count < maxDigits {
                value = value * 10 + Int(c - 48)
                count += 1
                s = s.dropFirst()
            }
            return count == 0 ? nil : value
        }
        func take(_ c: UInt8) -> Bool {
            guard s.first == c else { return false }
            s = s.dropFirst()
            return true
        }

        var year = 0
        var month = 0
        var day = 0
        guard let first = number(maxDigits: 4) else { return nil }
        if take(UInt8(ascii: "-")) {
            year = first
            guard let m = number(maxDigits: 2), take(UInt8(ascii: "-")), let d = number(maxDigits: 2) else { return nil }
            month = m
            day = d
        } else if take(UInt8(ascii: "/")) {
            month = first
            guard let d = number(maxDigits: 2), take(UInt8(ascii: "/")), let y = number(maxDigits: 4) else { return nil }
            day = d
            year = y
        } else {
            return nil
        }
        guard (1900...2199).contains(year), (1...12).contains(month), (1...daysIn(month, year)).contains(day) else { return nil }

        var seconds = 0
        var fraction = 0.0
        var offset = 0
        if take(UInt8(ascii: "T")) || take(UInt8(ascii: " ")) {
            guard let h = number(maxDigits: 2), take(UInt8(ascii: ":")), let mi = number(maxDigits: 2), h < 24, mi < 60 else { return nil }
            seconds = h * 3600 + mi * 60
            if take(UInt8(ascii: ":")) {
                guard let sec = number(maxDigits: 2), sec < 61 else { return nil }
                seconds += min(sec, 59)
                if take(UInt8(ascii: ".")) {
                    var scale = 0.1
                    while let c = s.first, c >= 48, c <= 57 {
                        fraction += Double(c - 48) * scale
                        scale /= 10
                        s = s.dropFirst()
                    }
                }
            }
            _ = take(UInt8(ascii: " "))
            if take(UInt8(ascii: "Z")) {
            } else if let zone = String(s), ["UTC", "GMT"].contains(zone.uppercased()) {
                s = s.dropFirst(3)
            } else if let sign = s.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                s = s.dropFirst()
                guard let oh = number(maxDigits: 2), oh <= 14 else { return nil }
                _ = take(UInt8(ascii: ":"))
                let om = number(maxDigits: 2) ?? 0
                guard om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        guard s.isEmpty else { return nil }
        let days = daysSince1970(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + seconds - offset) + fraction)
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar: whole 400-year eras from
    /// year 0 (counted from March, so the leap day ends the year), then the day within the era.
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400 // years here are positive
        let yearOfEra = y - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
