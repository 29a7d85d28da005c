import CareCore
import Foundation
import Vapor

/// Insights → "This period against the one before": a range of days (the last 7, 30, 90 or 365, or
/// chosen dates) beside the same number of days just before it.
enum InsightsPeriodPage {
    typealias Choice = FormChoice

    struct Line: Encodable {
        let label: String
        let now: String
        let before: String
        let change: String
        /// `up`, `down` or `same`, for the change's colour (whether up is good depends on the line).
        let direction: String
    }

    struct Context: Encodable {
        let choices: [Choice]
        let from: String
        let to: String
        let title: String
        let lines: [Line]
    }

    static let presets = [7, 30, 90, 365]

    /// The days shown: `days` (a preset), or `from` and `to` (both days included).
    static func range(_ req: Request, today: Int) throws -> (first: Int, end: Int) {
        let fromText = req.queryText("from") ?? ""
        let toText = req.queryText("to") ?? ""
        if !fromText.isEmpty || !toText.isEmpty {
            guard let from = try ReviewsPageController.day(fromText, field: "from"), let to = try ReviewsPageController.day(toText, field: "to")
            else {
                throw CareError.invalid("from", "give both dates, such as 2026-05-01 and 2026-05-31")
            }
            let first = RatingSummaryCounter.day(from)
            let end = RatingSummaryCounter.day(to) + 1
            guard end > first else { throw CareError.invalid("to", "the last day comes on or after the first") }
            guard end - first <= InsightsPeriod.maxDays else {
                throw CareError.invalid("to", "choose at most \(InsightsPeriod.maxDays) days")
            }
            return (first, end)
        }
        let days = try req.intQuery("days") ?? 30
        guard presets.contains(days) else { throw CareError.invalid("days", "choose 7, 30, 90 or 365 days") }
        return (today + 1 - days, today + 1)
    }

    static func context(_ req: Request, storeID: UUID) async throws -> Context {
        let today = RatingSummaryCounter.day(req.care.storage.now())
        let (first, end) = try range(req, today: today)
        let length = end - first
        let now = try await InsightsPeriod.figures(storeID: storeID, firstDay: first, endDay: end, on: req.db)
        let before = try await InsightsPeriod.figures(storeID: storeID, firstDay: first - length, endDay: first, on: req.db)
        let custom = !(req.queryText("from") ?? "").isEmpty
        let day = { (d: Int) in Shown.day(Date(timeIntervalSince1970: Double(d) * 86_400)) }
        return Context(
            choices: presets.map { Choice(value: "\($0)", label: "Last \($0) days", selected: !custom && $0 == length) },
            from: custom ? day(first) : "", to: custom ? day(end - 1) : "",
            title: "\(day(first)) to \(day(end - 1)) (\(days(length))), against the \(days(length)) before",
            lines: [
                count("Reviews published", now.published, before.published),
                Line(
                    label: "Average rating", now: now.average.map { String(format: "%.2f★", $0) } ?? "—",
                    before: before.average.map { String(format: "%.2f★", $0) } ?? "—",
                    change: difference(now.average, before.average, format: "%+.2f★"), direction: direction(now.average, before.average)),
                count("Conversations opened", now.conversations, before.conversations),
                Line(
                    label: "Reply targets met", now: share(now), before: share(before),
                    change: difference(now.metShare.map { $0 * 100 }, before.metShare.map { $0 * 100 }, format: "%+.0f points"),
                    direction: direction(now.metShare, before.metShare)),
            ])
    }

    static func days(_ n: Int) -> String { n == 1 ? "1 day" : "\(n) days" }

    static func count(_ label: String, _ now: Int, _ before: Int) -> Line {
        let change =
            before == 0
            ? (now == 0 ? "no change" : "new")
            : String(format: "%+.0f %%", (Double(now) - Double(before)) / Double(before) * 100)
        return Line(
            label: label, now: Shown.count(now), before: Shown.count(before), change: change,
            direction: direction(Double(now), Double(before)))
    }

    static func share(_ f: InsightsPeriod.Figures) -> String {
        guard let s = f.metShare else { return "—" }
        return String(format: "%.0f %%", s * 100) + " (\(f.targetsMet) of \(f.targetsMet + f.targetsBreached))"
    }

    static func difference(_ now: Double?, _ before: Double?, format: String) -> String {
        guard let now, let before else { return "—" }
        return abs(now - before) < 0.005 ? "no change" : String(format: format, now - before)
    }

    static func direction(_ now: Double?, _ before: Double?) -> String {
        guard let now, let before, abs(now - before) >= 0.005 else { return "same" }
        return now > before ? "up" : "down"
    }
}
