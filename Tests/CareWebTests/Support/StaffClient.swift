import CareCore
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// A signed-in staff member talking to the dashboard over HTTP: keeps the session cookie and the
/// CSRF token the pages carry, as a browser would.
struct StaffClient {
    let server: TestServer
    let cookie: String
    let csrf: String

    static func signIn(_ server: TestServer, email: String, password: String) async throws -> StaffClient {
        let r = try await PreSession.start(server).post("/app/login", ["email": email, "password": password])
        guard r.status == .seeOther, let setCookie = r.headers.first(name: .setCookie),
            let pair = setCookie.split(separator: ";").first, pair.hasPrefix("careloop_session=")
        else { throw TestFailure("sign-in failed: \(r.status) \(r.text.prefix(300))") }
        let cookie = String(pair)
        let inbox = try await server.send(.GET, "/app/inbox", contentType: nil, headers: ["Cookie": cookie])
        guard let csrf = csrfToken(in: inbox.text) else { throw TestFailure("no CSRF token on the inbox page") }
        return StaffClient(server: server, cookie: cookie, csrf: csrf)
    }

    func get(_ path: String) async throws -> TestServer.Reply {
        try await server.send(.GET, path, contentType: nil, headers: ["Cookie": cookie])
    }

    /// Posts a form with the session's CSRF token (unless `csrf` says otherwise).
    func post(_ path: String, _ fields: [String: String] = [:], csrf token: String? = nil) async throws -> TestServer.Reply {
        var all = fields
        all["_csrf"] = token ?? csrf
        return try await server.send(
            .POST, path, raw: Data(form(all).utf8), contentType: "application/x-www-form-urlencoded",
            headers: ["Cookie": cookie])
    }

    static func csrfToken(in html: String) -> String? {
        guard let r = html.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        return String(html[r].dropFirst(#"name="_csrf" value=""#.count).dropLast())
    }
}

func form(_ fields: [String: String]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._*")
    return fields.sorted { $0.key < $1.key }.map { k, v in
        "\(k.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(v.addingPercentEncoding(withAllowedCharacters: allowed)!)"
    }.joined(separator: "&")
}

extension TestServer {
    /// A store with its owner signed in to the dashboard; the owner's password is "correct horse".
    func storeWithOwner(_ label: String = "shop") async throws -> (store: Store, key: String, owner: StaffClient) {
        let (store, key) = try await makeStore(label)
        return (store, key, try await StaffClient.signIn(self, email: "\(store.slug)@owner.test", password: "correct horse"))
    }
}

/// A browser before sign-in: the form cookie and token the sign-in page hands out, which every form
/// shown before a session (sign-in, forgot password, set password) must send back.
struct PreSession {
    let server: TestServer
    let cookie: String
    let csrf: String

    static func start(_ server: TestServer) async throws -> PreSession {
        let page = try await server.send(.GET, "/app/login", contentType: nil)
        guard let setCookie = page.headers.first(name: .setCookie), let pair = setCookie.split(separator: ";").first,
            pair.hasPrefix("careloop_form="), let csrf = StaffClient.csrfToken(in: page.text)
        else { throw TestFailure("the sign-in page gave no form token") }
        return PreSession(server: server, cookie: String(pair), csrf: csrf)
    }

    func post(
        _ path: String, _ fields: [String: String], csrf token: String? = nil, cookie sendCookie: Bool = true, headers: [String: String] = [:]
    ) async throws -> TestServer.Reply {
        var all = fields
        all["_csrf"] = token ?? csrf
        return try await server.send(
            .POST, path, raw: Data(form(all).utf8), contentType: "application/x-www-form-urlencoded",
            headers: (sendCookie ? ["Cookie": cookie] : [:]).merging(headers) { a, _ in a })
    }
}
