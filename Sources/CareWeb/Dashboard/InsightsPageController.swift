import CareCore
import Fluent
import Vapor

/// Insights: is care working? Charts are SVG drawn by the template from numbers computed here (no
/// charting script), and each has its data table beside it and a CSV download.
enum InsightsPageController {
    struct Bar: Encodable {
        let x: Double
        let y: Double
        let width: Double
        let height: Double
        let label: String
        let value: String
        /// Where the value and the label are written, for charts that write them (`valueX` for
        /// bars that lie down: the value at the bar's end).
        var valueX: Double = 0
        var centerX: Double = 0
        var valueY: Double = 0
        var labelY: Double = 0
    }

    struct Tick: Encodable {
        let y: Double
        let label: String
    }

    /// A mark on the count scale under a chart of lying bars.
    struct XTick: Encodable {
        let x: Double
        let label: String
    }

    /// 0, half and the largest count, where they fall on a scale of `width` starting at `left`.
    static func scale(max: Double, left: Double, width: Double) -> [XTick] {
        [0.0, 0.5, 1.0].map { f in XTick(x: left + f * width, label: "\(Int((max * f).rounded()))") }
    }

    struct AgentRow: Encodable {
        let name: String
        let handled: Int
        let answered: Int
        let medianFirstReply: String
    }

    struct Row: Encodable {
        let label: String
        let value: String
        let extra: String
    }
    struct Point: Encodable {
        let x: Double
        let y: Double
        let label: String
    }

    struct FunnelRow: Encodable {
        let week: String
        let sent: Int
        let opened: String
        let reviewed: String
        let unsubscribed: Int
        /// Permanent bounces of request mail, and their share of the requests sent: the figure
        /// mailbox providers judge a sender by (keep it well under 2 %).
        let bounced: String
    }

    struct Data: Encodable {
        let period: InsightsPeriodPage.Context
        let funnel: [FunnelRow]
        let weekBars: [Bar]
        let weekTicks: [Tick]
        let hasWeeks: Bool
        let hasDistribution: Bool
        let hasFunnel: Bool
        let agents: [AgentRow]
        let hasAgents: Bool
        let averageLine: String
        let averagePoints: [Point]
        let weekRows: [Row]
        let distributionBars: [Bar]
        let distributionTicks: [XTick]
        let complaintTicks: [XTick]
        let distributionRows: [Row]
        let complaintBars: [Bar]
        let complaintRows: [Row]
        let hasComplaints: Bool
        let reachedInSLA: String
        let targets: String
        let targetsDetail: String
        let medianFirstResponse: String
        let medianResolution: String
        let recovery: String
    }

    /// The drawing area of every chart, in SVG units (the SVG scales to its box).
    static let chartWidth = 600.0, chartHeight = 200.0

    static func funnelRows(storeID: UUID, req: Request) async throws -> [FunnelRow] {
        try await RequestFunnel.weekly(storeID: storeID, now: req.care.storage.now(), on: req.db).map { w in
            let share = { (n: Int) in w.sent == 0 ? "\(n)" : "\(n) (\(Int((Double(n) / Double(w.sent) * 100).rounded())) %)" }
            return FunnelRow(
                week: Shown.day(w.start), sent: w.sent, opened: share(w.opened), reviewed: share(w.reviewed), unsubscribed: w.unsubscribed,
                bounced: w.sent == 0 ? "\(w.bounced)" : "\(w.bounced) (\(String(format: "%.1f", Double(w.bounced) / Double(w.sent) * 100)) %)")
        }
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let r = try await Insights.report(storeID: ctx.storeID, now: req.care.storage.now(), on: req.db)
        let funnel = try await funnelRows(storeID: ctx.storeID, req: req)
        // The plot leaves room for the count scale on the left and the week labels below.
        let left = 36.0
        let bottom = chartHeight - 24
        let top = 16.0
        let plot = bottom - top
        let maxWeek = Double(max(1, r.weeks.map(\.count).max() ?? 1))
        let slot = (chartWidth - left) / Double(r.weeks.count)
        let weekBars = r.weeks.enumerated().map { i, w in
            let h = Double(w.count) / maxWeek * plot
            var bar = Bar(
                x: left + Double(i) * slot + 4, y: bottom - h, width: slot - 8, height: h, label: String(Shown.day(w.start).dropFirst(5)),
                value: w.count > 0 ? "\(w.count)" : "")
            bar.centerX = left + Double(i) * slot + slot / 2
            bar.valueY = bottom - h - 3
            bar.labelY = chartHeight - 6
            return bar
        }
        let agents = try await Insights.agents(storeID: ctx.storeID, on: req.db)
        let weekTicks = [0.0, 0.5, 1.0].map { f in Tick(y: bottom - f * plot, label: "\(Int((maxWeek * f).rounded()))") }
        // The average rating on the same chart, 0–5★ over the plot's height.
        let averagePoints = r.weeks.enumerated().compactMap { i, w in
            w.average.map { Point(x: left + Double(i) * slot + slot / 2, y: bottom - $0 / 5 * plot, label: String(format: "%.2f★", $0)) }
        }
        let points = averagePoints.map { String(format: "%.1f,%.1f", $0.x, $0.y) }.joined(separator: " ")
        let totalPublished = r.distribution.reduce(0, +)
        let maxStars = Double(max(1, r.distribution.max() ?? 1))
        let distributionBars = (1...5).reversed().enumerated().map { row, stars in
            let n = r.distribution[stars - 1]
            var bar = Bar(
                x: 40, y: Double(row) * 38 + 5, width: Double(n) / maxStars * (chartWidth - 120), height: 28, label: "\(stars)★", value: "\(n)")
            bar.valueX = bar.x + bar.width + 4
            return bar
        }
        let maxComplaints = Double(max(1, r.topComplaints.map(\.complaints).max() ?? 1))
        let complaintBars = r.topComplaints.enumerated().map { i, p in
            var bar = Bar(
                x: 220, y: Double(i) * 20 + 2, width: Double(p.complaints) / maxComplaints * (chartWidth - 260), height: 16, label: p.name,
                value: "\(p.complaints)")
            bar.valueX = bar.x + bar.width + 4
            return bar
        }
        let data = Data(
            period: try await InsightsPeriodPage.context(req, storeID: ctx.storeID),
            funnel: funnel,
            weekBars: weekBars, weekTicks: weekTicks, hasWeeks: r.weeks.contains { $0.count > 0 }, hasDistribution: totalPublished > 0,
            hasFunnel: funnel.contains { $0.sent > 0 },
            agents: agents.map {
                AgentRow(
                    name: $0.name, handled: $0.handled, answered: $0.answered, medianFirstReply: $0.medianFirstReply.map(TimeLeft.span) ?? "—")
            },
            hasAgents: !agents.isEmpty,
            averageLine: points, averagePoints: averagePoints,
            weekRows: r.weeks.map {
                Row(label: Shown.day($0.start), value: "\($0.count)", extra: $0.average.map { String(format: "%.2f", $0) } ?? "—")
            },
            distributionBars: distributionBars,
            distributionTicks: scale(max: maxStars, left: 40, width: chartWidth - 120),
            complaintTicks: scale(max: maxComplaints, left: 220, width: chartWidth - 260),
            distributionRows: (1...5).reversed().map { s in
                Row(
                    label: "\(s)★", value: "\(r.distribution[s - 1])",
                    extra: totalPublished == 0 ? "—" : String(format: "%.0f %%", Double(r.distribution[s - 1]) / Double(totalPublished) * 100))
            },
            complaintBars: complaintBars,
            complaintRows: r.topComplaints.map { Row(label: $0.name, value: "\($0.complaints)", extra: $0.externalID) },
            hasComplaints: !r.topComplaints.isEmpty,
            reachedInSLA: r.unhappyWithSLA == 0
                ? "—" : "\(r.unhappyReachedInSLA) of \(r.unhappyWithSLA) (\(percent(r.unhappyReachedInSLA, r.unhappyWithSLA)))",
            targets: r.replyTargets.met + r.replyTargets.breached == 0
                ? "—"
                : "\(r.replyTargets.met) met · \(r.replyTargets.breached) breached (\(percent(r.replyTargets.met, r.replyTargets.met + r.replyTargets.breached)) met)",
            targetsDetail:
                "First replies: \(r.replyTargets.firstMet) met, \(r.replyTargets.firstBreached) breached. Next replies: \(r.replyTargets.nextMet) met, \(r.replyTargets.nextBreached) breached. Overdue now: \(r.replyTargets.overdueNow).",
            medianFirstResponse: r.medianFirstResponse.map(TimeLeft.span) ?? "—",
            medianResolution: r.medianResolution.map(TimeLeft.span) ?? "—",
            recovery: r.recovery.caredFor == 0
                ? "—" : "\(r.recovery.recovered) of \(r.recovery.caredFor) (\(percent(r.recovery.recovered, r.recovery.caredFor)))")
        return try await DashboardPage.render(req, "app-insights", title: "Insights", section: "insights", data)
    }

    static func percent(_ a: Int, _ b: Int) -> String { String(format: "%.0f %%", Double(a) / Double(max(1, b)) * 100) }

    /// `weekly.csv`, `distribution.csv`, `complaints.csv`: the data behind each chart.
    static func csv(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        guard let chart = req.parameters.get("chart"), ["weekly.csv", "distribution.csv", "complaints.csv"].contains(chart) else {
            throw CareError.notFound("chart")
        }
        let r = try await Insights.report(storeID: ctx.storeID, now: req.care.storage.now(), on: req.db)
        let rows: [[String]]
        switch chart {
        case "weekly.csv":
            rows =
                [["week_starting", "reviews", "average_rating"]]
                + r.weeks.map { [Shown.day($0.start), "\($0.count)", $0.average.map { String(format: "%.2f", $0) } ?? ""] }
        case "distribution.csv":
            rows = [["stars", "published_reviews"]] + (1...5).map { ["\($0)", "\(r.distribution[$0 - 1])"] }
        case "complaints.csv":
            rows =
                [["product", "external_id", "published_1_or_2_star_reviews"]] + r.topComplaints.map { [$0.name, $0.externalID, "\($0.complaints)"] }
        default:
            throw CareError.notFound("chart")
        }
        let response = Response(
            status: .ok, body: .init(string: rows.map { $0.map(CSV.cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"))
        response.headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(chart)\"")
        return response
    }
}

enum CSV {
    /// Quotes when needed, and defuses cells a spreadsheet would run as a formula.
    static func cell(_ s: String) -> String {
        var v = s
        if let first = v.first, "=+-@\t\r".contains(first) { v = "'" + v }
        guard v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
