import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// The OpenAPI document and the router must agree: every `/api/v1` route is documented and every
/// documented operation exists.
final class OpenAPITests: XCTestCase {
    func testEveryRegisteredRouteIsDocumentedAndViceVersa() async throws {
        let server = try await TestServer.start(.sqlite)
        do {
            // act
            let r = try await server.send(.GET, "/openapi.json")
            // check
            XCTAssertEqual(r.status, .ok)
            let doc = try r.json
            XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
            let paths = try XCTUnwrap(doc["paths"] as? [String: [String: Any]])
            var registered = Set<String>()
            for route in server.app.routes.all {
                let parts = route.path.map { component -> String in
                    switch component {
                    case .parameter(let name): "{\(name)}"
                    default: component.description
                    }
                }
                let path = "/" + parts.joined(separator: "/")
                guard path.hasPrefix("/api/v1/") else { continue }
                let method = route.method.rawValue.lowercased()
                registered.insert("\(method) \(path)")
                XCTAssertNotNil(paths[path]?[method], "\(method.uppercased()) \(path) is not in openapi.json")
                if let op = paths[path]?[method] as? [String: Any] {
                    XCTAssertNotNil(op["responses"], "\(method) \(path) documents its responses")
                    XCTAssertNotNil(op["operationId"], "\(method) \(path) has an operationId")
                }
            }
            var documented = Set<String>()
            for (path, ops) in paths {
                for method in ops.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    documented.insert("\(method) \(path)")
                }
            }
            XCTAssertEqual(documented.subtracting(registered).sorted(), [], "documented but not served")
            XCTAssertGreaterThanOrEqual(registered.count, 9)
        } catch {
            XCTFail("\(error)")
        }
        await server.stop()
    }

    /// Every `$ref` in the document points at a schema that exists.
    func testReferencesResolve() throws {
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: OpenAPIController.document) as? [String: Any])
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        var refs: [String] = []
        func walk(_ node: Any) {
            if let d = node as? [String: Any] {
                if let ref = d["$ref"] as? String { refs.append(ref) }
                d.values.forEach(walk)
            } else if let a = node as? [Any] {
                a.forEach(walk)
            }
        }
        walk(doc)
        XCTAssertFalse(refs.isEmpty)
        for ref in refs {
            let name = ref.replacingOccurrences(of: "#/components/schemas/", with: "")
            XCTAssertNotNil(schemas[name], "unresolved \(ref)")
        }
    }

    /// The document's lists of events, actions, attributes, operators and webhook events are the
    /// code's own vocabularies: a new action or event added in code without the document fails here.
    func testVocabulariesAreTheCodes() throws {
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: OpenAPIController.document) as? [String: Any])
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func branches(_ name: String) -> [[String: Any]] {
            let schema = schemas[name] as? [String: Any] ?? [:]
            return (schema["oneOf"] as? [[String: Any]] ?? [schema]).compactMap { $0["properties"] as? [String: Any] }
        }
        func names(_ property: Any?) -> [String] {
            guard let p = property as? [String: Any] else { return [] }
            if let e = p["enum"] as? [String] { return e }
            if let c = p["const"] as? String { return [c] }
            return names(p["items"])
        }

        // check: actions and events
        XCTAssertEqual(Set(branches("Action").flatMap { names($0["type"]) }), Set(TriggerActionType.allCases.map(\.rawValue)))
        XCTAssertEqual(Set(branches("TriggerDefinition").flatMap { names($0["event"]) }), Set(TriggerEvent.allCases.map(\.rawValue)))
        XCTAssertEqual(Set(branches("Trigger").flatMap { names($0["event"]) }), Set(TriggerEvent.allCases.map(\.rawValue)))
        for name in ["Webhook", "WebhookBody"] {
            XCTAssertEqual(Set(branches(name).flatMap { names($0["events"]) }), Set(WebhookEvent.subscribable.map(\.rawValue)), name)
        }
        // attributes and operators: every one documented, and each documented pair one the parser takes
        let comparisons = branches("Comparison")
        XCTAssertEqual(Set(comparisons.flatMap { names($0["attribute"]) }), Set(TriggerAttribute.allCases.map(\.rawValue)))
        XCTAssertEqual(Set(comparisons.flatMap { names($0["op"]) }), Set(TriggerOperator.allCases.map(\.rawValue)))
        for branch in comparisons {
            for attribute in names(branch["attribute"]).compactMap(TriggerAttribute.init(rawValue:)) {
                for op in names(branch["op"]).compactMap(TriggerOperator.init(rawValue:)) {
                    XCTAssertTrue(TriggerAttribute.allows(op, on: attribute.kind), "\(op.rawValue) on \(attribute.rawValue)")
                }
            }
        }
    }
}
