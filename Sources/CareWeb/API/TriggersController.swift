import CareCore
import Vapor

/// A store's triggers: list, create, read, change (definition and/or enabled), delete.
enum TriggersController: APIResource {
    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let triggers = try await TriggerService.list(storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(["triggers": triggers.map(TriggerView.init)])
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let (definition, enabled) = try parse(req, definitionRequired: true)
        let t = try await TriggerService.create(definition!, enabled: enabled ?? true, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(TriggerView(trigger: t), status: .created)
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "trigger")
        return try JSONBody.response(TriggerView(trigger: try await TriggerService.find(id: id, storeID: ctx.storeID, on: req.db)))
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "trigger")
        let (definition, enabled) = try parse(req, definitionRequired: false)
        guard definition != nil || enabled != nil else {
            throw CareError.invalid("trigger", "send \"enabled\", a whole trigger definition, or both")
        }
        let t = try await TriggerService.update(
            id: id, storeID: ctx.storeID, definition: definition, enabled: enabled,
            storage: req.care.storage, on: req.db)
        return try JSONBody.response(TriggerView(trigger: t))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "trigger")
        try await TriggerService.delete(id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return Response(status: .noContent)
    }

    /// The body is a trigger definition (as in the product notes) with an optional "enabled". For a
    /// PATCH, a body holding only "enabled" switches the trigger on or off.
    private static func parse(_ req: Request, definitionRequired: Bool) throws -> (TriggerDefinition?, Bool?) {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw CareError.emptyBody(message: "the request needs a JSON body")
        }
        let data = Data(buffer: buffer)
        guard let root = try? JSONDecoder().decode(JSONNode.self, from: data) else {
            throw CareError.malformedJSON(message: "the body is not valid JSON (or not valid UTF-8)")
        }
        guard case .object(let obj) = root else { throw CareError.malformedJSON(message: "the body must be a JSON object") }
        var enabled: Bool?
        if let e = obj["enabled"] {
            guard case .bool(let b) = e else { throw CareError.invalid("enabled", "must be true or false") }
            enabled = b
        }
        let onlyEnabled = obj.keys.allSatisfy { $0 == "enabled" }
        if !definitionRequired && onlyEnabled { return (nil, enabled) }
        return (try TriggerJSON.parse(root), enabled)
    }
}
