import Foundation

/// Reading and writing trigger JSON. Every mistake is reported with the path of the node at fault
/// (`conditions.all[1].attribute`), so the person editing the rule can find it.
public enum TriggerJSON {
    public static func parse(_ data: Data) throws(CareError) -> TriggerDefinition {
        guard data.count <= TriggerLimits.definitionBytes else {
            throw .invalid("trigger", "is larger than \(TriggerLimits.definitionBytes / 1024) KB")
        }
        let root: JSONNode
        do { root = try JSONDecoder().decode(JSONNode.self, from: data) } catch {
            throw CareError.malformedJSON(message: "the trigger is not valid JSON")
        }
        return try parse(root)
    }

    public static func parse(_ root: JSONNode) throws(CareError) -> TriggerDefinition {
        guard let obj = root.object else { throw .invalid("trigger", "must be a JSON object") }
        try onlyKeys(obj, ["name", "event", "conditions", "actions", "once_per_subject", "after_minutes", "enabled"], at: "")
        let name = try Text.required(obj["name"]?.string, field: "name", max: 120)
        guard let eventName = obj["event"]?.string else { throw .missing("event") }
        guard let event = TriggerEvent(rawValue: eventName) else {
            throw .invalid("event", "unknown event '\(eventName)'; use one of \(TriggerEvent.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let conditions = try obj["conditions"].map { (c: JSONNode) throws(CareError) in try condition(c, at: "conditions") } ?? .always
        guard let rawActions = obj["actions"]?.array else { throw .missing("actions") }
        guard !rawActions.isEmpty else { throw .invalid("actions", "must list at least one action") }
        guard rawActions.count <= TriggerLimits.actionsPerTrigger else {
            throw .invalid("actions", "must list at most \(TriggerLimits.actionsPerTrigger) actions")
        }
        let size = conditions.size
        guard size.nodes <= TriggerLimits.conditionsPerTrigger else {
            throw .invalid("conditions", "must have at most \(TriggerLimits.conditionsPerTrigger) conditions in all")
        }
        guard conditions.patternCount <= TriggerLimits.patternsPerStore else {
            throw .invalid("conditions", "must have at most \(TriggerLimits.patternsPerStore) 'matches' conditions")
        }
        guard size.depth <= TriggerLimits.depth else {
            throw .invalid("conditions", "must nest at most \(TriggerLimits.depth) levels deep")
        }
        var actions: [TriggerAction] = []
        for (i, a) in rawActions.enumerated() { actions.append(try action(a, at: "actions[\(i)]")) }
        var once = true
        if let v = obj["once_per_subject"] {
            guard let b = v.bool else { throw .invalid("once_per_subject", "must be true or false") }
            once = b
        }
        var after: Int?
        if let v = obj["after_minutes"] {
            guard let n = v.wholeNumber, n >= 1, n <= 60 * 24 * 90 else {
                throw .invalid("after_minutes", "must be a whole number of minutes from 1 to 129600")
            }
            after = n
        }
        if event.isTimed && after == nil { throw .invalid("after_minutes", "is required for \(event.rawValue)") }
        if !event.isTimed && after != nil { throw .invalid("after_minutes", "only applies to time events") }
        let definition = TriggerDefinition(
            name: name, event: event, conditions: conditions, actions: actions, oncePerSubject: once, afterMinutes: after)
        // The size as stored, whichever way the definition came (API JSON, the form, an import).
        guard data(definition).count <= TriggerLimits.definitionBytes else {
            throw .invalid("trigger", "is larger than \(TriggerLimits.definitionBytes / 1024) KB")
        }
        return definition
    }

    static func condition(_ node: JSONNode, at path: String) throws(CareError) -> TriggerCondition {
        guard let obj = node.object else { throw .invalid(path, "must be an object") }
        if let list = obj["all"] ?? obj["any"] {
            let key = obj["all"] != nil ? "all" : "any"
            try onlyKeys(obj, [key], at: path)
            guard let items = list.array else { throw .invalid("\(path).\(key)", "must be a list of conditions") }
            var out: [TriggerCondition] = []
            for (i, item) in items.enumerated() { out.append(try condition(item, at: "\(path).\(key)[\(i)]")) }
            return key == "all" ? .all(out) : .any(out)
        }
        if let inner = obj["not"] {
            try onlyKeys(obj, ["not"], at: path)
            return .not(try condition(inner, at: "\(path).not"))
        }
        try onlyKeys(obj, ["attribute", "op", "value"], at: path)
        guard let name = obj["attribute"]?.string else { throw .missing("\(path).attribute") }
        guard let attribute = TriggerAttribute(rawValue: name) else {
            throw .invalid("\(path).attribute", "unknown attribute '\(name)'")
        }
        let kind = attribute.kind
        guard let opName = obj["op"]?.string else { throw .missing("\(path).op") }
        guard let op = TriggerOperator(rawValue: opName) else {
            throw .invalid(
                "\(path).op", "unknown operator '\(opName)'; use one of \(TriggerOperator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard TriggerAttribute.allows(op, on: kind) else {
            throw .invalid("\(path).op", "'\(op.rawValue)' does not apply to \(name) (a \(kind.rawValue))")
        }
        guard let raw = obj["value"] else { throw .missing("\(path).value") }
        let value = try Self.value(raw, at: "\(path).value")
        try check(value, for: op, kind: kind, attribute: name, at: "\(path).value")
        return .compare(attribute: attribute, op: op, value: value)
    }

    static func check(_ value: TriggerValue, for op: TriggerOperator, kind: TriggerAttribute.Kind, attribute: String, at path: String)
        throws(CareError)
    {
        let expected: TriggerAttribute.Kind = kind == .tags ? .string : kind
        switch op {
        case .in:
            guard case .list(let items) = value, !items.isEmpty, items.allSatisfy({ $0.kind == expected }) else {
                throw .invalid(path, "must be a non-empty list of \(expected.rawValue)s")
            }
        case .matches:
            guard case .string(let pattern) = value else { throw .invalid(path, "must be a regular expression string") }
            do { _ = try LinearPattern(pattern) } catch { throw .invalid(path, "is not a pattern CareLoop can match: \(error.message)") }
        default:
            guard value.kind == expected else { throw .invalid(path, "must be a \(expected.rawValue) for \(attribute)") }
        }
    }

    static func value(_ raw: JSONNode, at path: String) throws(CareError) -> TriggerValue {
        switch raw {
        case .bool(let b): return .bool(b)
        case .number(let n):
            guard n.isFinite else { throw .invalid(path, "must be a finite number") }
            return .number(n)
        case .string(let s): return .string(s)
        case .array(let l):
            var out: [TriggerValue] = []
            for (i, item) in l.enumerated() { out.append(try value(item, at: "\(path)[\(i)]")) }
            return .list(out)
        case .object, .null: throw .invalid(path, "must be a number, string, boolean or list")
        }
    }

    static func action(_ node: JSONNode, at path: String) throws(CareError) -> TriggerAction {
        guard let obj = node.object else { throw .invalid(path, "must be an object") }
        guard let typeName = obj["type"]?.string else { throw .missing("\(path).type") }
        guard let type = TriggerActionType(rawValue: typeName) else {
            throw .invalid("\(path).type", "unknown action '\(typeName)'")
        }
        func template(_ key: String = "template") throws(CareError) -> String {
            let t = try Text.required(obj[key]?.string, field: "\(path).\(key)", max: 5000)
            _ = try Template.validate(t, field: "\(path).\(key)")
            return t
        }
        // An optional text key: absent or null is nil; anything but a string is a mistake, not ignored.
        func optionalString(_ key: String, max: Int) throws(CareError) -> String? {
            switch obj[key] {
            case nil, .null?: return nil
            case .string(let s)?: return try Text.optional(s, field: "\(path).\(key)", max: max)
            default: throw .invalid("\(path).\(key)", "must be a string")
            }
        }
        func string(_ key: String, max: Int = 200) throws(CareError) -> String {
            try Text.required(obj[key]?.string, field: "\(path).\(key)", max: max)
        }
        switch type {
        case .openConversation:
            try onlyKeys(obj, ["type", "template", "subject"], at: path)
            let subject = try optionalString("subject", max: 200)
            if let subject { _ = try Template.validate(subject, field: "\(path).subject") }
            return .openConversation(template: try template(), subject: subject)
        case .sendMessage:
            try onlyKeys(obj, ["type", "template"], at: path)
            return .sendMessage(template: try template())
        case .addNote:
            try onlyKeys(obj, ["type", "template"], at: path)
            return .addNote(template: try template())
        case .assign:
            try onlyKeys(obj, ["type", "to"], at: path)
            let to = try string("to")
            if to != "round_robin" { _ = try EmailAddress(to, field: "\(path).to") }
            return .assign(to: to.lowercased())
        case .setPriority:
            try onlyKeys(obj, ["type", "priority"], at: path)
            let raw = try string("priority")
            guard let p = ConversationPriority(rawValue: raw) else {
                throw .invalid("\(path).priority", "use one of \(ConversationPriority.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .setPriority(p)
        case .addTag:
            try onlyKeys(obj, ["type", "tag"], at: path)
            return .addTag(try string("tag", max: 50).lowercased())
        case .setSLA:
            try onlyKeys(obj, ["type", "minutes"], at: path)
            guard let n = obj["minutes"]?.wholeNumber, n >= 1, n <= 60 * 24 * 30 else {
                throw .invalid("\(path).minutes", "must be a whole number of minutes from 1 to 43200")
            }
            return .setSLA(minutes: n)
        case .notifyStaff:
            try onlyKeys(obj, ["type", "template", "to"], at: path)
            let to = try optionalString("to", max: 254)
            if let to { _ = try EmailAddress(to, field: "\(path).to") }
            return .notifyStaff(template: try template(), to: to?.lowercased())
        case .sendWebhook:
            try onlyKeys(obj, ["type"], at: path)
            return .sendWebhook
        case .resolve:
            try onlyKeys(obj, ["type", "note"], at: path)
            return .resolve(note: try optionalString("note", max: 2000))
        }
    }

    static func onlyKeys(_ obj: [String: JSONNode], _ allowed: Set<String>, at path: String) throws(CareError) {
        if let extra = obj.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalid(path.isEmpty ? extra : "\(path).\(extra)", "is not a known key here")
        }
    }

    // MARK: writing

    public static func encode(_ d: TriggerDefinition) -> [String: Any] {
        var out: [String: Any] = [
            "name": d.name, "event": d.event.rawValue, "conditions": encode(d.conditions),
            "actions": d.actions.map(encode), "once_per_subject": d.oncePerSubject,
        ]
        if let after = d.afterMinutes { out["after_minutes"] = after }
        return out
    }

    public static func data(_ d: TriggerDefinition) -> Data {
        (try? JSONSerialization.data(withJSONObject: encode(d), options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    static func encode(_ c: TriggerCondition) -> [String: Any] {
        switch c {
        case .all(let cs): ["all": cs.map(encode)]
        case .any(let cs): ["any": cs.map(encode)]
        case .not(let inner): ["not": encode(inner)]
        case .compare(let a, let op, let v): ["attribute": a.rawValue, "op": op.rawValue, "value": encode(v)]
        }
    }

    static func encode(_ v: TriggerValue) -> Any {
        switch v {
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? Int(n) as Any : n as Any
        case .string(let s): s
        case .bool(let b): b
        case .list(let l): l.map(encode)
        case .null: NSNull()
        }
    }

    static func encode(_ a: TriggerAction) -> [String: Any] {
        var out: [String: Any] = ["type": a.type.rawValue]
        switch a {
        case .openConversation(let t, let s):
            out["template"] = t
            if let s { out["subject"] = s }
        case .sendMessage(let t), .addNote(let t): out["template"] = t
        case .assign(let to): out["to"] = to
        case .setPriority(let p): out["priority"] = p.rawValue
        case .addTag(let tag): out["tag"] = tag
        case .setSLA(let m): out["minutes"] = m
        case .notifyStaff(let t, let to):
            out["template"] = t
            if let to { out["to"] = to }
        case .sendWebhook: break
        case .resolve(let note): if let note { out["note"] = note }
        }
        return out
    }
}
