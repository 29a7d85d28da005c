import Vapor

/// Serves the OpenAPI 3.1 description of `/api/v1`, kept in `Resources/openapi.json`.
enum OpenAPIController {
    static let document: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { fatalError("openapi.json is missing from the CareWeb bundle") }
        return data
    }()

    static func document(_ req: Request) async throws -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(data: document))
    }
}
