import CareCore
import Fluent
import Vapor

/// Triggers for people: a list with on/off switches, a form editor (no JSON needed, though JSON
/// import and export are there), and "test against the last 50 reviews" before saving. Owners only.
enum TriggersPageController {
    struct Listed: Encodable {
        let id: String
        let name: String
        let event: String
        let enabled: Bool
        let lastFired: String
        let firedRecently: String
    }

    struct ListData: Encodable {
        let triggers: [Listed]
        let error: String?
        let importText: String
    }

    static func list(_ req: Request) async throws -> Response {
        try await renderList(req, error: nil, importText: "")
    }

    static func renderList(_ req: Request, error: String?, importText: String, status: HTTPResponseStatus = .ok) async throws -> Response {
        let ctx = try req.staff
        let triggers = try await TriggerService.list(storeID: ctx.storeID, on: req.db)
        let now = req.care.storage.now()
        let activity = try await TriggerActivity.figures(storeID: ctx.storeID, now: now, on: req.db)
        let data = ListData(
            triggers: triggers.map { t in
                let f = activity[t.id!]
                return Listed(
                    id: t.id!.uuidString, name: t.name, event: TriggerEvent(rawValue: t.event).map(TriggerWords.event) ?? t.event,
                    enabled: t.enabled, lastFired: f?.lastFired.map { Ago.text($0, now: now) } ?? "never",
                    firedRecently: "\(f?.lastThirtyDays ?? 0) time\(f?.lastThirtyDays == 1 ? "" : "s")")
            },
            error: error, importText: importText)
        return try await DashboardPage.render(req, "app-triggers", title: "Triggers", section: "triggers", data, status: status)
    }

    typealias Option = FormChoice
    /// An action type with what its boxes mean, for the page's script to relabel the row.
    struct TypeOption: Encodable {
        let value: String
        let label: String
        let selected: Bool
        let textLabel: String
        let settingLabel: String
        let agent: Bool
        let priority: Bool
    }
    struct ConditionRowView: Encodable {
        let index: Int
        let number: Int
        let attributes: [Option]
        let ops: [Option]
        let value: String
        /// A blank row past the first blank one: the page's script folds these behind "+ Add condition".
        let spare: Bool
        let error: String?
    }
    struct ActionRowView: Encodable {
        let index: Int
        let number: Int
        let types: [TypeOption]
        let text: String
        let setting: String
        let agents: [Option]
        let priorities: [Option]
        let textLabel: String?
        let settingLabel: String?
        let showAgent: Bool
        let showPriority: Bool
        let spare: Bool
        let error: String?
    }
    struct PreviewRow: Encodable {
        let customer: String
        let stars: String?
        let text: String
        let fires: Bool
    }

    struct EditData: Encodable {
        /// Offered while typing a condition's value: the store's product names and ids, and tags in use.
        let valueSuggestions: [String]
        /// Offered while typing an action's setting: tags in use.
        let tagSuggestions: [String]
        let id: String?
        let action: String
        let name: String
        let events: [Option]
        let matchAll: Bool
        let afterMinutes: String
        let oncePerSubject: Bool
        let conditions: [ConditionRowView]
        let actions: [ActionRowView]
        let error: String?
        /// Every problem, when there is more than one.
        let errors: [String]
        let nestedJSON: String?
        let exportHref: String?
        let preview: [PreviewRow]?
        let previewFires: Int
        let placeholders: String
    }

    static func new(_ req: Request) async throws -> Response {
        var form = TriggerForm()
        form.event = TriggerEvent.reviewCreated.rawValue
        form.once_per_subject = "1"
        return try await renderEditor(req, id: nil, form: form)
    }

    static func edit(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "trigger")
        let trigger = try await TriggerService.find(id: id, storeID: ctx.storeID, on: req.db)
        guard let definition = try? TriggerJSON.parse(Data(trigger.definition.utf8)) else { throw CareError.notFound("trigger") }
        guard let form = TriggerForm(definition) else {
            return try await renderEditor(req, id: id, form: TriggerForm(), nestedJSON: pretty(trigger.definition))
        }
        return try await renderEditor(req, id: id, form: form)
    }

    static func renderEditor(
        _ req: Request, id: UUID?, form: TriggerForm, error: String? = nil, nestedJSON: String? = nil,
        preview: [TriggerPreview.Row]? = nil, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let ctx = try req.staff
        let staff = try await Team.byName(storeID: ctx.storeID, on: req.db)
        // Every problem at once; "Condition 2: …" and "Action 1: …" are shown beside that row as well as at the top.
        let error = error.map { $0.hasPrefix("trigger: ") ? String($0.dropFirst("trigger: ".count)) : $0 }
        let errors = error == nil || nestedJSON != nil ? [] : form.allErrors()
        let listed = errors.isEmpty ? error.map { [$0] } ?? [] : errors
        func rowError(_ word: String, _ number: Int) -> String? {
            listed.first { $0.hasPrefix("\(word) \(number),") || $0.hasPrefix("\(word) \(number):") }
        }
        // The rows in use, and one blank row when none is (the rest open with "+ Add").
        let usedConditions = max(1, form.conditionList.filter { !($0.attribute ?? "").isEmpty }.count)
        let usedActions = max(1, form.actionList.filter { !($0.type ?? "").isEmpty }.count)
        let tags = try await SavedInboxViews.tagsInUse(storeID: ctx.storeID, on: req.db)
        let products = try await ProductPicker.byName(storeID: ctx.storeID, on: req.db)
        let data = EditData(
            valueSuggestions: Array(Set(products.flatMap { [$0.name, $0.externalID] } + tags)).sorted(), tagSuggestions: tags,
            id: id?.uuidString, action: id.map { SitePath.trigger.href($0) } ?? SitePath.triggers.href,
            name: form.name ?? "",
            events: TriggerEvent.allCases.map { Option(value: $0.rawValue, label: TriggerWords.event($0), selected: $0.rawValue == form.event) },
            matchAll: form.match != "any", afterMinutes: form.after_minutes ?? "", oncePerSubject: form.once_per_subject == "1",
            conditions: form.conditionList.enumerated().map { i, row in
                ConditionRowView(
                    index: i, number: i + 1,
                    attributes: [Option(value: "", label: "(choose)", selected: (row.attribute ?? "").isEmpty)]
                        + TriggerAttribute.allCases.map {
                            Option(value: $0.rawValue, label: TriggerWords.attribute($0), selected: $0.rawValue == row.attribute)
                        },
                    ops: TriggerOperator.allCases.map {
                        Option(value: $0.rawValue, label: TriggerWords.op($0), selected: $0.rawValue == (row.op ?? "eq"))
                    },
                    value: row.value ?? "", spare: i >= usedConditions, error: rowError("Condition", i + 1))
            },
            actions: form.actionList.enumerated().map { i, row in
                ActionRowView(
                    index: i, number: i + 1,
                    types: [
                        TypeOption(
                            value: "", label: "(choose)", selected: (row.type ?? "").isEmpty, textLabel: "", settingLabel: "", agent: false,
                            priority: false)
                    ]
                        + TriggerActionType.allCases.map { t in
                            let uses = TriggerWords.uses(t)
                            return TypeOption(
                                value: t.rawValue, label: TriggerWords.action(t), selected: t.rawValue == row.type, textLabel: uses.text ?? "",
                                settingLabel: uses.setting ?? "", agent: uses.agent, priority: uses.priority)
                        },
                    text: row.text ?? "", setting: row.setting ?? "",
                    agents: [Option(value: "", label: "(choose someone)", selected: (row.agent ?? "").isEmpty)]
                        + [Option(value: "round_robin", label: "Whoever is next in turn", selected: row.agent == "round_robin")]
                        + staff.map { Option(value: $0.email, label: $0.name, selected: $0.email == row.agent) },
                    priorities: [Option(value: "", label: "(choose)", selected: (row.priority ?? "").isEmpty)]
                        + ConversationPriority.allCases.map {
                            Option(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0.rawValue == row.priority)
                        },
                    textLabel: TriggerWords.uses(row.type.flatMap(TriggerActionType.init(rawValue:))).text,
                    settingLabel: TriggerWords.uses(row.type.flatMap(TriggerActionType.init(rawValue:))).setting,
                    showAgent: TriggerWords.uses(row.type.flatMap(TriggerActionType.init(rawValue:))).agent,
                    showPriority: TriggerWords.uses(row.type.flatMap(TriggerActionType.init(rawValue:))).priority,
                    spare: i >= usedActions, error: rowError("Action", i + 1))
            },
            error: listed.count > 1 ? "\(listed.count) things to fix:" : listed.first, errors: listed.count > 1 ? listed : [],
            nestedJSON: nestedJSON, exportHref: id.map { SitePath.triggerExport.href($0) },
            preview: preview.map {
                $0.map { PreviewRow(customer: $0.customer, stars: $0.stars.map { "\($0)★" }, text: $0.text, fires: $0.wouldFire) }
            },
            previewFires: preview?.filter(\.wouldFire).count ?? 0,
            placeholders: Template.placeholders.sorted().map { "{{\($0)}}" }.joined(separator: " "))
        return try await DashboardPage.render(
            req, "app-trigger", title: form.name.flatMap { $0.isEmpty ? nil : $0 } ?? "New trigger",
            section: "triggers", data, status: status)
    }

    /// The posted form, refused before anything reads it further when it has more rows than the editor
    /// shows: a page of thousands of rows was a cheap way to make the server work.
    static func checkedForm(_ req: Request) async throws -> TriggerForm {
        let form = try req.content.decode(TriggerForm.self)
        func fits<T>(_ rows: [String: T]?, _ count: Int) -> Bool {
            (rows ?? [:]).keys.allSatisfy { Int($0).map { (0..<count).contains($0) } ?? false }
        }
        guard fits(form.conditions, TriggerForm.conditionRows) else {
            throw CareError.invalid("conditions", "at most \(TriggerForm.conditionRows) conditions, numbered from 0")
        }
        guard fits(form.actions, TriggerForm.actionRows) else {
            throw CareError.invalid("actions", "at most \(TriggerForm.actionRows) actions, numbered from 0")
        }
        return form
    }

    /// The form's definition, with "Assign to" naming somebody of this store's team (or whoever is next
    /// in turn): anyone else would leave the conversation silently unassigned when the trigger fires.
    static func definition(_ form: TriggerForm, _ req: Request) async throws -> TriggerDefinition {
        let storeID = try req.staff.storeID
        let team = try await Team.emails(storeID: storeID, on: req.db)
        for (i, row) in form.actionList.enumerated() where row.type == TriggerActionType.assign.rawValue {
            let who = (row.agent.flatMap { $0.isEmpty ? nil : $0 } ?? row.setting ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            guard who == "round_robin" || team.contains(who) else {
                throw CareError.invalid("trigger", "Action \(i + 1), who: choose someone of this store's team")
            }
        }
        return try form.definition()
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try await checkedForm(req)
        do {
            let t = try await TriggerService.create(
                try await definition(form, req), enabled: true, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
            return DashboardPage.back(req, to: SitePath.trigger.href(t.id!) + "?saved=1")
        } catch let e as CareError where e.kind == .invalid {
            return try await renderEditor(req, id: nil, form: form, error: e.message, status: .unprocessableEntity)
        }
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "trigger")
        _ = try await TriggerService.find(id: id, storeID: ctx.storeID, on: req.db)
        let form = try await checkedForm(req)
        do {
            _ = try await TriggerService.update(
                id: id, storeID: ctx.storeID, definition: try await definition(form, req), enabled: nil,
                storage: req.care.storage, on: req.db)
            return DashboardPage.back(req, to: SitePath.trigger.href(id) + "?saved=1")
        } catch let e as CareError where e.kind == .invalid {
            return try await renderEditor(req, id: id, form: form, error: e.message, status: .unprocessableEntity)
        }
    }

    /// Tests the form as it stands (saved or not) against the last 50 reviews or conversations.
    static func preview(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try await checkedForm(req)
        let id = req.queryText("id").flatMap(UUID.init(uuidString:))
        if let id { _ = try await TriggerService.find(id: id, storeID: ctx.storeID, on: req.db) }
        do {
            let rows = try await TriggerPreview.run(try await definition(form, req), storeID: ctx.storeID, now: req.care.storage.now(), on: req.db)
            return try await renderEditor(req, id: id, form: form, preview: rows)
        } catch let e as CareError where e.kind == .invalid {
            return try await renderEditor(req, id: id, form: form, error: e.message, status: .unprocessableEntity)
        }
    }

    struct EnabledForm: Content { let enabled: String? }

    static func setEnabled(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "trigger")
        let on = try req.content.decode(EnabledForm.self).enabled == "1"
        _ = try await TriggerService.update(id: id, storeID: ctx.storeID, definition: nil, enabled: on, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.triggers.href)
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await TriggerService.delete(id: try req.uuidParameter("id", what: "trigger"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.triggers.href)
    }

    struct ImportForm: Content { let json: String? }

    static func importJSON(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let text = try req.content.decode(ImportForm.self).json ?? ""
        do {
            let d = try TriggerJSON.parse(Data(text.utf8))
            let t = try await TriggerService.create(d, enabled: true, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
            return DashboardPage.back(req, to: SitePath.trigger.href(t.id!) + "?saved=1")
        } catch let e as CareError where e.kind == .invalid || e.kind == .malformed {
            return try await renderList(req, error: e.message, importText: String(text.prefix(20_000)), status: .unprocessableEntity)
        }
    }

    static func export(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "trigger")
        let t = try await TriggerService.find(id: id, storeID: ctx.storeID, on: req.db)
        let response = Response(status: .ok, body: .init(string: pretty(t.definition) + "\n"))
        response.headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        let file = t.name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"trigger-\(String(file).prefix(60)).json\"")
        return response
    }

    static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}

extension TriggersPageController {
    /// Replaces a trigger from JSON (for conditions nested deeper than the form shows).
    static func updateJSON(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "trigger")
        _ = try await TriggerService.find(id: id, storeID: ctx.storeID, on: req.db)
        let text = try req.content.decode(ImportForm.self).json ?? ""
        do {
            _ = try await TriggerService.update(
                id: id, storeID: ctx.storeID, definition: try TriggerJSON.parse(Data(text.utf8)), enabled: nil,
                storage: req.care.storage, on: req.db)
            return DashboardPage.back(req, to: SitePath.trigger.href(id) + "?saved=1")
        } catch let e as CareError where e.kind == .invalid || e.kind == .malformed {
            return try await renderEditor(req, id: id, form: TriggerForm(), error: e.message, nestedJSON: text, status: .unprocessableEntity)
        }
    }
}
