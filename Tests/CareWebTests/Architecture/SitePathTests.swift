import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// The dashboard's paths are written once, in `SitePath`: every route under /app is registered from
/// it, every link in Swift and in the templates is built from it, and notices are named by `Notice`.
final class SitePathTests: XCTestCase {
    static let root = NoDatabaseInWebTests.root

    func testEveryDashboardRouteIsASitePathAndEverySitePathIsRouted() async throws {
        let server = try await TestServer.start(.sqlite)
        let routed = Set(
            server.app.routes.all.map { $0.path.map(\.description) }.filter { $0.first == "app" }.map { Array($0.dropFirst()) })
        await server.stop()
        let described = Set(SitePath.all.map(\.parts))
        XCTAssertGreaterThan(routed.count, 60)
        XCTAssertEqual(routed.subtracting(described), [], "routes registered without a SitePath")
        XCTAssertEqual(described.subtracting(routed), [], "SitePaths that no route serves")
        XCTAssertEqual(SitePath.byName.count, SitePath.all.count, "two SitePaths share a name")
    }

    func testLinksAreBuiltFromThePathAndEncodeTheirValue() {
        let id = UUID()
        XCTAssertEqual(SitePath.conversationReply.href(id), "/app/conversations/\(id.uuidString)/reply")
        XCTAssertEqual(SitePath.inbox.href, "/app/inbox")
        XCTAssertEqual(SitePath.settings.href(notice: .saved, anchor: "email"), "/app/settings?notice=saved#email")
        // A value is one path segment, whatever it holds.
        XCTAssertEqual(SitePath.password.href("a/b?c#d"), "/app/password/a%2Fb%3Fc%23d")
        XCTAssertEqual(SitePath.password.href(".."), "/app/password/%2E%2E")
        XCTAssertEqual(SitePath.password.href("a.b~c_d-e"), "/app/password/a.b~c_d-e")
        XCTAssertEqual(SitePath.password.href("."), "/app/password/%2E")
        XCTAssertEqual(SitePath.password.href("..."), "/app/password/...", "three dots are a name, not a step")
        // Letters outside ASCII are bytes like any other: encoded, as UTF-8.
        XCTAssertEqual(SitePath.password.href("é €"), "/app/password/%C3%A9%20%E2%82%AC")
        XCTAssertEqual(SitePath.password.href(""), "/app/password/")
    }

    /// Every `#link(...)` in a template names a SitePath and gives it a value exactly when it takes one;
    /// no template spells a dashboard path itself.
    func testTemplatesLinkOnlyThroughSitePaths() throws {
        let views = Self.root.appendingPathComponent("Sources/CareWeb/Resources/Views")
        let link = try NSRegularExpression(pattern: #"#link\("([^"]+)"(, [^)]+)?\)"#)
        var used = 0
        var problems: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: views.path) where file.hasSuffix(".leaf") {
            let text = try String(contentsOf: views.appendingPathComponent(file), encoding: .utf8)
            if text.contains("/app/") || text.contains("\"/app\"") { problems.append("\(file) spells a /app path") }
            for m in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                used += 1
                let name = String(text[Range(m.range(at: 1), in: text)!])
                guard let path = SitePath.byName[name] else {
                    problems.append("\(file): no SitePath \(name)")
                    continue
                }
                if path.takesParameter != (m.range(at: 2).location != NSNotFound) { problems.append("\(file): \(name) with the wrong arguments") }
            }
        }
        XCTAssertGreaterThan(used, 80)
        XCTAssertEqual(problems, [])
    }

    func testSwiftBuildsDashboardLinksOnlyThroughSitePaths() throws {
        let web = Self.root.appendingPathComponent("Sources/CareWeb")
        let files = FileManager.default.enumerator(atPath: web.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        var found: [String] = []
        for file in files where !file.hasSuffix("SitePath.swift") {
            let text = try String(contentsOf: web.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("\"/app") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                found.append("\(file): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        XCTAssertEqual(found, [])
    }

    func testANoticeIsShownByItsNameOnlyAndEachHasText() async throws {
        for notice in Notice.allCases { XCTAssertFalse(notice.text.isEmpty) }
        XCTAssertEqual(Notice.onSettings.union(Notice.onConnections).union(Notice.onLogin), Set(Notice.allCases), "every notice is said somewhere")
        XCTAssertEqual(Set(Notice.allCases.map(\.rawValue)).count, Notice.allCases.count)
        let server = try await TestServer.start(.sqlite)
        do {
            let login = try await server.app.client.get(URI(string: server.baseURL + SitePath.login.href(notice: .passwordSet)))
            XCTAssertTrue(String(buffer: login.body ?? ByteBuffer()).contains(Notice.passwordSet.text))
            let forged = try await server.app.client.get(URI(string: server.baseURL + "/app/login?notice=%3Cb%3Eyour+account+is+closed"))
            let page = String(buffer: forged.body ?? ByteBuffer())
            XCTAssertEqual(forged.status, .ok)
            XCTAssertFalse(page.contains("your account is closed") || page.contains(Notice.passwordSet.text))
            // Another page's notice is not this page's to say.
            let elsewhere = try await server.app.client.get(URI(string: server.baseURL + SitePath.login.href(notice: .keyRevoked)))
            XCTAssertFalse(String(buffer: elsewhere.body ?? ByteBuffer()).contains(Notice.keyRevoked.text))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
