import Foundation
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// A customer shows the broken item: photos sent with a reply on their page, scrubbed, bounded, seen
/// by the store's staff and by nobody else. And the page in the store's colour and logo.
final class CustomerPhotoTests: XCTestCase {
    /// A 1★ review's conversation: its id and the customer's page token.
    func unhappyCustomer(_ server: TestServer, key: String, email: String) async throws -> (id: String, token: String) {
        _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: email, rating: 1, body: "Arrived cracked"))
        let id = try unwrapped(try await server.conversations(key: key).first?.id)
        let url = try unwrapped(try await server.conversation(id, key: key).pageUrl)
        return (id, String(try XCTUnwrap(URL(string: url)?.path).dropFirst("/c/".count)))
    }

    func reply(_ server: TestServer, token: String, body: String, photos: [(String, String, Data)]) async throws -> TestServer.Reply {
        var form = Multipart()
        form.field("body", body)
        for (name, type, bytes) in photos { form.file("photos[]", filename: name, type: type, bytes) }
        return try await server.send(.POST, "/c/\(token)", raw: form.finished(), contentType: form.contentType)
    }

    func photoLinks(_ html: String, prefix: String) -> [String] {
        html.components(separatedBy: "<img src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }.filter { $0.hasPrefix(prefix) }
    }

    func testPhotosSentWithAReplyAreScrubbedShownToStaffAndToNobodyElse() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key, owner) = try await server.storeWithOwner()
            let (_, otherKey, otherOwner) = try await server.storeWithOwner("other")
            let (id, token) = try await unhappyCustomer(server, key: key, email: "p-\(server.backend)@example.com")
            let (_, otherToken) = try await unhappyCustomer(server, key: otherKey, email: "q-\(server.backend)@example.com")
            let jpeg = try fixtureData("photos/phone.jpg")
            let png = try fixtureData("photos/note.png")

            // act: the customer replies with two photos (and an empty file field, as a browser sends)
            let sent = try await reply(
                server, token: token, body: "Here it is",
                photos: [("kettle.jpg", "image/jpeg", jpeg), ("label.png", "image/png", png), ("", "application/octet-stream", Data())])

            // check: stored with the message, shown to staff, scrubbed
            XCTAssertEqual(sent.status, .seeOther, sent.text)
            let page = try await owner.get("/app/conversations/\(id)")
            let staffLinks = photoLinks(page.text, prefix: "/app/photos/")
            XCTAssertEqual(staffLinks.count, 2, page.text)
            let first = try await owner.get(staffLinks[0])
            XCTAssertEqual(first.status, .ok)
            XCTAssertEqual(first.headers.first(name: .contentType), "image/jpeg")
            XCTAssertEqual(first.headers.first(name: "X-Content-Type-Options"), "nosniff")
            XCTAssertEqual(Array(first.body.prefix(2)), [0xFF, 0xD8])
            XCTAssertNil(first.body.range(of: Data("SecretCam".utf8)), "the camera's name is gone")
            XCTAssertNil(first.body.range(of: Data("Elm Street".utf8)), "the comment is gone")
            let second = try await owner.get(staffLinks[1])
            XCTAssertEqual(second.headers.first(name: .contentType), "image/png")
            XCTAssertNil(second.body.range(of: Data("Elm Street".utf8)))
            // the customer sees their own photos on their page
            let customerPage = try await server.send(.GET, "/c/\(token)", contentType: nil)
            let customerLinks = photoLinks(customerPage.text, prefix: "/c/")
            XCTAssertEqual(customerLinks.count, 2)
            let mine = try await server.send(.GET, customerLinks[0], contentType: nil)
            XCTAssertEqual(mine.status, .ok)
            XCTAssertEqual(mine.body, first.body)

            // check: nobody else reaches them: another store's owner, another conversation's link, no session
            let photoID = String(try XCTUnwrap(staffLinks[0].split(separator: "/").last))
            let otherStaff = try await otherOwner.get("/app/photos/\(photoID)")
            XCTAssertEqual(otherStaff.status, .notFound)
            let otherLink = try await server.send(.GET, "/c/\(otherToken)/photos/\(photoID)", contentType: nil)
            XCTAssertEqual(otherLink.status, .notFound)
            let anonymous = try await server.send(.GET, "/app/photos/\(photoID)", contentType: nil)
            XCTAssertNotEqual(anonymous.status, .ok)
            let junk = try await owner.get("/app/photos/not-a-uuid")
            XCTAssertEqual(junk.status.code / 100, 4)
        }
    }

    func testWhatIsNotAPhotoOrTooManyIsRefusedAndNothingIsStored() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key, _) = try await server.storeWithOwner()
            let (id, token) = try await unhappyCustomer(server, key: key, email: "r-\(server.backend)@example.com")
            let png = try fixtureData("photos/note.png")
            func messages() async throws -> Int {
                ((try await server.send(.GET, "/api/v1/conversations/\(id)", key: key).json["messages"] as? [Any]) ?? []).count
            }
            let before = try await messages()

            // act / check: a page, a GIF, four photos, one too large: each a 422 page, and the message is not added
            let html = Data("<html><script>alert(1)</script></html>".utf8)
            let gif = Data("GIF89a".utf8) + Data(repeating: 0, count: 40)
            let big = png + Data(repeating: 0, count: MessagePhotos.maxBytes)
            for (what, photos) in [
                ("html named .jpg", [("x.jpg", "image/jpeg", html)]), ("gif", [("x.gif", "image/gif", gif)]),
                ("four", Array(repeating: ("x.png", "image/png", png), count: 4)), ("too large", [("x.png", "image/png", big)]),
            ] {
                let r = try await reply(server, token: token, body: "look", photos: photos)
                XCTAssertEqual(r.status, .unprocessableEntity, what)
                XCTAssertTrue(r.headers.first(name: .contentType)?.hasPrefix("text/html") == true, what)
            }
            let afterRefused = try await messages()
            XCTAssertEqual(afterRefused, before)
            // a conversation holds at most 20: the reply that would pass it is refused whole
            for _ in 0..<(MessagePhotos.maxPerConversation / 3) {
                let ok = try await reply(server, token: token, body: "more", photos: Array(repeating: ("x.png", "image/png", png), count: 3))
                XCTAssertEqual(ok.status, .seeOther, ok.text)
            }
            let over = try await reply(server, token: token, body: "and more", photos: Array(repeating: ("x.png", "image/png", png), count: 3))
            XCTAssertEqual(over.status, .unprocessableEntity)
            let afterCap = try await messages()
            XCTAssertEqual(afterCap, before + MessagePhotos.maxPerConversation / 3)
            // a form of thousands of tiny parts is refused before any decoder reads it (the decoder's
            // cost grows faster than the parts: 25 MB of them held a core for minutes)
            var many = Multipart()
            many.field("body", "x")
            for _ in 0..<50_000 { many.field("z[]", "") }
            let started = Date()
            let crowded = try await server.send(.POST, "/c/\(token)", raw: many.finished(), contentType: many.contentType)
            XCTAssertEqual(crowded.status, .unprocessableEntity)
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, "refused at once, not decoded")
            // multipart anywhere files are not taken is refused as such
            let api = try await server.send(.POST, "/api/v1/reviews", key: key, raw: many.finished(), contentType: many.contentType)
            XCTAssertEqual(api.status, .unsupportedMediaType)
            let review = try await server.send(.POST, "/c/\(token)/review", raw: many.finished(), contentType: many.contentType)
            XCTAssertEqual(review.status, .unsupportedMediaType)
            // a stranger's large body is never read: the link is checked first
            // (The answer comes before the body is sent; a busy client may find the connection closed
            // before it reads the answer: that is the body refused too.)
            let stranger = try await answerOrClosed {
                try await reply(
                    server, token: "not-a-token", body: "x", photos: [("x.png", "image/png", Data(repeating: 1, count: 20 * 1_024 * 1_024))])
            }
            XCTAssertTrue(stranger == nil || stranger == .notFound, "\(String(describing: stranger))")
            XCTAssertEqual(server.app.care.uploads.inUse, 0, "every upload slot was given back")
            // a body past the route's limit is refused before it is read whole
            let huge = try await answerOrClosed {
                try await reply(server, token: token, body: "x", photos: [("x.png", "image/png", Data(repeating: 1, count: 26 * 1_024 * 1_024))])
            }
            XCTAssertTrue(huge == nil || huge == .payloadTooLarge, "\(String(describing: huge))")
            let afterHuge = try await messages()
            XCTAssertEqual(afterHuge, afterCap, "nothing of the refused bodies was stored")
        }
    }

    func testUploadSlotsBoundAConversationAStoreAndTheNode() {
        // setup
        let slots = UploadSlots(perConversation: 2, perStore: 3, total: 4)
        let (a, b) = (UUID(), UUID())
        let (a1, a2, b1) = (UUID(), UUID(), UUID())
        // act / check: a conversation takes two, its store three, the node four
        let t1 = slots.take(store: a, conversation: a1)
        XCTAssertNotNil(t1)
        XCTAssertNotNil(slots.take(store: a, conversation: a1))
        XCTAssertNil(slots.take(store: a, conversation: a1), "the conversation's two are taken")
        XCTAssertNotNil(slots.take(store: a, conversation: a2))
        XCTAssertNil(slots.take(store: a, conversation: UUID()), "the store's three are taken")
        XCTAssertNotNil(slots.take(store: b, conversation: b1), "another store still gets one")
        XCTAssertNil(slots.take(store: UUID(), conversation: UUID()), "the node's four are taken")
        slots.release(t1!)
        XCTAssertNotNil(slots.take(store: a, conversation: a1), "a slot given back is taken again")
        XCTAssertEqual(slots.inUse, 4)
    }

    func testThePageWearsTheStoresColourAndLogoAndSaysWhereThingsStand() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner()
            let (id, token) = try await unhappyCustomer(server, key: key, email: "s-\(server.backend)@example.com")
            let plain = try await server.send(.GET, "/c/\(token)", contentType: nil)
            XCTAssertTrue(plain.text.contains("--accent: \(StoreBrand.defaultColour)"))
            XCTAssertTrue(plain.text.contains("We&#39;re on it") || plain.text.contains("We're on it"), plain.text)
            XCTAssertTrue(plain.text.contains("<strong>\(store.name)</strong>"))

            // act: the owner sets a yellow and a logo
            var form = Multipart()
            form.field("_csrf", owner.csrf)
            form.field("colour", "#FFCC00")
            form.file("logo", filename: "logo.png", type: "image/png", try fixtureData("photos/note.png"))
            let saved = try await server.send(
                .POST, "/app/settings/brand", raw: form.finished(), contentType: form.contentType, headers: ["Cookie": owner.cookie])

            // check: the page wears them, with dark text on the light colour
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let branded = try await server.send(.GET, "/c/\(token)", contentType: nil)
            XCTAssertTrue(branded.text.contains("--accent: #ffcc00; --on-accent: #000000"), branded.text)
            XCTAssertTrue(branded.text.contains("<img src=\"/c/\(token)/logo\""))
            let logo = try await server.send(.GET, "/c/\(token)/logo", contentType: nil)
            XCTAssertEqual(logo.headers.first(name: .contentType), "image/png")
            XCTAssertNil(logo.body.range(of: Data("Elm Street".utf8)))
            // the care email's button wears the colour too
            let look = try await StoreBrand.load(storeID: store.requireID(), on: server.app.db)
            XCTAssertTrue(MessageFormat.html("Hi", link: "https://x.test/c/t", store: "S", look: look).contains("background:#ffcc00;color:#000000"))
            // resolved says so
            _ = try await owner.post("/app/conversations/\(id)/resolve", [:])
            let resolved = try await server.send(.GET, "/c/\(token)", contentType: nil)
            XCTAssertTrue(resolved.text.contains("<strong>Resolved</strong>"))

            // bad input: a colour that is not #rrggbb, a logo that is not an image, a form without its token
            for bad in ["red", "#ffcc00;}body{display:none", "#12345", "#ggggggg"] {
                var f = Multipart()
                f.field("_csrf", owner.csrf)
                f.field("colour", bad)
                let r = try await server.send(
                    .POST, "/app/settings/brand", raw: f.finished(), contentType: f.contentType, headers: ["Cookie": owner.cookie])
                XCTAssertEqual(r.status, .unprocessableEntity, bad)
            }
            var notImage = Multipart()
            notImage.field("_csrf", owner.csrf)
            notImage.file("logo", filename: "logo.svg", type: "image/svg+xml", Data("<svg onload=alert(1)/>".utf8))
            let svg = try await server.send(
                .POST, "/app/settings/brand", raw: notImage.finished(), contentType: notImage.contentType, headers: ["Cookie": owner.cookie])
            XCTAssertEqual(svg.status, .unprocessableEntity)
            var noToken = Multipart()
            noToken.field("colour", "#000000")
            let forged = try await server.send(
                .POST, "/app/settings/brand", raw: noToken.finished(), contentType: noToken.contentType, headers: ["Cookie": owner.cookie])
            XCTAssertEqual(forged.status, .forbidden)
            let still = try await server.send(.GET, "/c/\(token)", contentType: nil)
            XCTAssertTrue(still.text.contains("--accent: #ffcc00"), "nothing refused was saved")
        }
    }
}

/// The status of a request whose body the server refuses before reading it, or nil when the client
/// found the connection closed before it read the answer (on a busy machine it may).
func answerOrClosed(_ send: () async throws -> TestServer.Reply) async throws -> HTTPStatus? {
    do { return try await send().status } catch let e as HTTPClientError where e == .remoteConnectionClosed { return nil }
}
