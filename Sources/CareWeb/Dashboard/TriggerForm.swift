import CareCore
import Foundation
import Vapor

/// A trigger as the form editor shows it: a name, an event, conditions as rows joined by all/any,
/// and actions as rows. The form becomes the same readable JSON the API takes, and is validated by
/// the same parser, so the editor can never save what the API would refuse.
struct TriggerForm: Codable {
    struct ConditionRow: Codable {
        var attribute: String?
        var op: String?
        var value: String?
    }

    /// `text` is the message, template or note; `setting` is the subject, email, priority, tag or minutes.
    struct ActionRow: Codable {
        var type: String?
        var text: String?
        var setting: String?
        /// The typed pickers: an agent's email (or round_robin) for assign, a priority for set_priority.
        var agent: String?
        var priority: String?
    }

    static let conditionRows = 6
    static let actionRows = 5

    var name: String?
    var event: String?
    var match: String?
    var after_minutes: String?
    var once_per_subject: String?
    var conditions: [String: ConditionRow]?
    var actions: [String: ActionRow]?

    /// Rows in order, padded with blanks to the editor's size.
    var conditionList: [ConditionRow] { Self.ordered(conditions, count: Self.conditionRows, blank: ConditionRow()) }
    var actionList: [ActionRow] { Self.ordered(actions, count: Self.actionRows, blank: ActionRow()) }

    static func ordered<T>(_ rows: [String: T]?, count: Int, blank: T) -> [T] {
        let sorted = (rows ?? [:]).compactMap { k, v in Int(k).map { ($0, v) } }.sorted { $0.0 < $1.0 }.map(\.1)
        return Array(sorted.prefix(max(count, sorted.count))) + Array(repeating: blank, count: max(0, count - sorted.count))
    }

    // MARK: form → definition

    /// The trigger JSON the form says, for `TriggerJSON.parse`.
    func json() -> JSONNode {
        var root: [String: JSONNode] = ["name": .string(name ?? ""), "event": .string(event ?? "")]
        let compares: [JSONNode] = conditionList.compactMap { row in
            guard let attribute = row.attribute, !attribute.isEmpty else { return nil }
            return .object([
                "attribute": .string(attribute), "op": .string(row.op ?? "eq"),
                "value": Self.value(row.value ?? "", attribute: attribute, op: row.op ?? "eq"),
            ])
        }
        if !compares.isEmpty { root["conditions"] = .object([match == "any" ? "any" : "all": .array(compares)]) }
        root["actions"] = .array(actionList.compactMap(Self.action))
        if let after = after_minutes?.trimmingCharacters(in: .whitespaces), !after.isEmpty {
            root["after_minutes"] = Double(after).map(JSONNode.number) ?? .string(after)
        }
        root["once_per_subject"] = .bool(once_per_subject == "1")
        return .object(root)
    }

    /// A typed value from the text box: numbers for number attributes, true/false for yes/no ones,
    /// a comma-separated list for `in`.
    static func value(_ raw: String, attribute: String, op: String) -> JSONNode {
        let kind = TriggerAttribute(rawValue: attribute)?.kind
        func one(_ s: String) -> JSONNode {
            let t = s.trimmingCharacters(in: .whitespaces)
            switch kind {
            // "nan" and "inf" read as Doubles: kept as text, so the parser refuses them as not a number.
            case .number: return Double(t).flatMap { $0.isFinite ? JSONNode.number($0) : nil } ?? .string(t)
            case .bool:
                return ["true", "yes"].contains(t.lowercased()) ? .bool(true) : ["false", "no"].contains(t.lowercased()) ? .bool(false) : .string(t)
            default: return .string(t)
            }
        }
        return op == "in" ? .array(raw.split(separator: ",").map { one(String($0)) }) : one(raw)
    }

    static func action(_ row: ActionRow) -> JSONNode? {
        guard let name = row.type, !name.isEmpty else { return nil }
        let text = (row.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var setting = (row.setting ?? "").trimmingCharacters(in: .whitespaces)
        if name == TriggerActionType.assign.rawValue, let agent = row.agent, !agent.isEmpty { setting = agent }
        if name == TriggerActionType.setPriority.rawValue, let p = row.priority, !p.isEmpty { setting = p }
        var o: [String: JSONNode] = ["type": .string(name)]
        // An unknown name is passed on as it is: the parser refuses it with its own message.
        guard let type = TriggerActionType(rawValue: name) else { return .object(o) }
        switch type {
        case .openConversation:
            o["template"] = .string(text)
            if !setting.isEmpty { o["subject"] = .string(setting) }
        case .sendMessage, .addNote: o["template"] = .string(text)
        case .assign: o["to"] = .string(setting)
        case .setPriority: o["priority"] = .string(setting)
        case .addTag: o["tag"] = .string(setting)
        case .setSLA: o["minutes"] = Double(setting).map(JSONNode.number) ?? .string(setting)
        case .notifyStaff:
            o["template"] = .string(text)
            if !setting.isEmpty { o["to"] = .string(setting) }
        case .resolve: if !text.isEmpty { o["note"] = .string(text) }
        case .sendWebhook: break
        }
        return .object(o)
    }

    /// The definition, or the parser's error with its path put in the form's words ("Condition 2: …").
    func definition() throws -> TriggerDefinition {
        do {
            return try TriggerJSON.parse(json())
        } catch {
            throw CareError.invalid("trigger", Self.humanPath(error.message))
        }
    }

    /// Every problem at once, each in the form's words: the trigger's own fields, then each condition
    /// and action row checked on its own (with the form's event, so a row is judged as it would be),
    /// so one save shows them all rather than one per save.
    func allErrors() -> [String] {
        guard (try? TriggerJSON.parse(json())) == nil else { return [] }
        func problem(_ f: TriggerForm) -> String? {
            do {
                _ = try TriggerJSON.parse(f.json())
                return nil
            } catch {
                return Self.humanPath(error.message)
            }
        }
        var out: [String] = []
        var bare = self
        bare.conditions = nil
        bare.actions = ["0": ActionRow(type: TriggerActionType.sendWebhook.rawValue)]
        let whole = problem(bare)
        if let whole { out.append(whole) }
        // Rows are judged with a name and, when the form's event is refused, the first event.
        var base = bare
        if (name ?? "").trimmingCharacters(in: .whitespaces).isEmpty { base.name = "row" }
        if whole != nil, TriggerEvent(rawValue: event ?? "") == nil { base.event = TriggerEvent.allCases.first?.rawValue }
        if problem(base) != nil { base.after_minutes = nil }
        for (i, row) in conditionList.enumerated() where !(row.attribute ?? "").isEmpty {
            var one = base
            one.conditions = ["0": row]
            if let e = problem(one) { out.append(e.replacingOccurrences(of: "Condition 1", with: "Condition \(i + 1)")) }
        }
        for (i, row) in actionList.enumerated() where !(row.type ?? "").isEmpty {
            var one = base
            one.actions = ["0": row]
            if let e = problem(one) { out.append(e.replacingOccurrences(of: "Action 1", with: "Action \(i + 1)")) }
        }
        return out
    }

    static func humanPath(_ message: String) -> String {
        var out = message
        for (pattern, word) in [(#"conditions\.(all|any)\[(\d+)\]"#, "Condition"), (#"actions\[(\d+)\]"#, "Action")] {
            let regex = try! NSRegularExpression(pattern: pattern)
            while let m = regex.firstMatch(in: out, range: NSRange(out.startIndex..., in: out)),
                let range = Range(m.range, in: out), let number = Range(m.range(at: m.numberOfRanges - 1), in: out), let n = Int(out[number])
            {
                out.replaceSubrange(range, with: "\(word) \(n + 1)")
            }
        }
        // In the form's words: "Condition 1, value: must be a number for Rating".
        for (part, word) in [
            (".value:", ", value:"), (".op:", ", comparison:"), (".attribute:", ", what:"), (".template:", ", message:"), (".to:", ", who:"),
            (".minutes:", ", minutes:"), (".priority:", ", priority:"), (".tag:", ", tag:"),
        ] {
            out = out.replacingOccurrences(of: part, with: word)
        }
        // Attribute names only where a message names the attribute (placeholder lists keep theirs).
        for a in TriggerAttribute.allCases {
            for lead in [" for ", " to "] {
                out = out.replacingOccurrences(of: lead + a.rawValue, with: lead + TriggerWords.attribute(a))
            }
        }
        return out
    }

    // MARK: definition → form

    /// The form for a stored definition; nil when its conditions nest deeper than one all/any list
    /// (those are edited as JSON).
    init?(_ d: TriggerDefinition) {
        name = d.name
        event = d.event.rawValue
        after_minutes = d.afterMinutes.map(String.init)
        once_per_subject = d.oncePerSubject ? "1" : nil
        let list: [TriggerCondition]
        switch d.conditions {
        case .all(let cs):
            list = cs
            match = "all"
        case .any(let cs):
            list = cs
            match = "any"
        default: return nil
        }
        var rows: [String: ConditionRow] = [:]
        for (i, c) in list.enumerated() {
            guard case .compare(let attribute, let op, let value) = c else { return nil }
            rows[String(i)] = ConditionRow(attribute: attribute.rawValue, op: op.rawValue, value: Self.text(value))
        }
        conditions = rows
        var actionRows: [String: ActionRow] = [:]
        for (i, a) in d.actions.enumerated() { actionRows[String(i)] = Self.row(a) }
        actions = actionRows
    }

    init() {}

    static func text(_ v: TriggerValue) -> String {
        switch v {
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .list(let l): l.map(text).joined(separator: ", ")
        case .null: ""
        }
    }

    static func row(_ a: TriggerAction) -> ActionRow {
        switch a {
        case .openConversation(let t, let s): ActionRow(type: a.type.rawValue, text: t, setting: s)
        case .sendMessage(let t), .addNote(let t): ActionRow(type: a.type.rawValue, text: t, setting: nil)
        case .assign(let to): ActionRow(type: a.type.rawValue, text: nil, setting: to, agent: to)
        case .setPriority(let p): ActionRow(type: a.type.rawValue, text: nil, setting: p.rawValue, priority: p.rawValue)
        case .addTag(let tag): ActionRow(type: a.type.rawValue, text: nil, setting: tag)
        case .setSLA(let m): ActionRow(type: a.type.rawValue, text: nil, setting: String(m))
        case .notifyStaff(let t, let to): ActionRow(type: a.type.rawValue, text: t, setting: to)
        case .sendWebhook: ActionRow(type: a.type.rawValue, text: nil, setting: nil)
        case .resolve(let note): ActionRow(type: a.type.rawValue, text: note, setting: nil)
        }
    }
}
