@testable import CareWeb
import Vapor
import XCTest

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
            } else if let a = node as? [Any] { a.forEach(walk) }
        }
        walk(doc)
        XCTAssertFalse(refs.isEmpty)
        for ref in refs {
            let name = ref.replacingOccurrences(of: "#/components/schemas/", with: "")
            XCTAssertNotNil(schemas[name], "unresolved \(ref)")
        }
    }
}
