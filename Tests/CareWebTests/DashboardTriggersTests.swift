import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The trigger form editor and the insights page, over HTTP: a form becomes the same JSON the API
/// takes, mistakes come back in the form's words, the preview tests without saving, and CSV
/// downloads carry the data behind each chart.
final class DashboardTriggersTests: XCTestCase {
    func testTheFormEditorSavesWhatTheAPIReadsAndRefusesMistakes() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner()
            let fields: [String: String] = [
                "name": "Kettle or mug, low: call them", "event": "review.created", "match": "all", "once_per_subject": "1",
                "conditions[0][attribute]": "review.rating", "conditions[0][op]": "lte", "conditions[0][value]": "2",
                "conditions[1][attribute]": "product.external_id", "conditions[1][op]": "in", "conditions[1][value]": "kettle, mug",
                "actions[0][type]": "add_tag", "actions[0][setting]": "needs-call",
                "actions[1][type]": "set_priority", "actions[1][setting]": "urgent",
                "actions[2][type]": "", "actions[2][text]": "ignored: no type",
            ]
            // act
            let saved = try await owner.post("/app/triggers", fields)
            // check: saved, and the API reads back exactly the rule the form described
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let location = try XCTUnwrap(saved.headers.first(name: .location))
            let id = try XCTUnwrap(location.split(separator: "/").last?.split(separator: "?").first).description
            let api = try await server.send(.GET, "/api/v1/triggers/\(id)", key: key).json
            let definition = try XCTUnwrap(api["definition"] as? [String: Any])
            XCTAssertEqual(definition["name"] as? String, "Kettle or mug, low: call them")
            let all = try XCTUnwrap((definition["conditions"] as? [String: Any])?["all"] as? [[String: Any]])
            XCTAssertEqual(all.count, 2)
            XCTAssertEqual(all[0]["value"] as? Int, 2)
            XCTAssertEqual(all[1]["value"] as? [String], ["kettle", "mug"])
            XCTAssertEqual((definition["actions"] as? [[String: Any]])?.map { $0["type"] as? String }, ["add_tag", "set_priority"])
            // it works: a 1★ kettle review gets the tag and priority
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle", email: "k1@example.com", rating: 1))
            let c = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            XCTAssertEqual(c?.tags, ["needs-call"])
            XCTAssertEqual(c?.priority, .urgent)
            // the editor shows it again as rows
            let page = try await owner.get("/app/triggers/\(id)")
            XCTAssertTrue(page.text.contains("value=\"kettle, mug\""), page.text)

            // mistakes come back in the form's words, and nothing is saved
            var bad = fields
            bad["conditions[0][value]"] = "two"
            let notNumber = try await owner.post("/app/triggers", bad)
            XCTAssertEqual(notNumber.status, .unprocessableEntity)
            XCTAssertTrue(
                notNumber.text.contains(#"<p class="error field-error" id="c0-error">Condition 1, value: must be a number for Rating</p>"#),
                notNumber.text)
            XCTAssertTrue(notNumber.text.contains("value=\"two\""), "the form keeps what was typed")
            for notFinite in ["nan", "inf", "1, nan"] {
                // (a NaN once slipped through as a number and saved an empty definition)
                bad["conditions[0][op]"] = notFinite.contains(",") ? "in" : "lte"
                bad["conditions[0][value]"] = notFinite
                let refused = try await owner.post("/app/triggers", bad)
                XCTAssertEqual(refused.status, .unprocessableEntity, notFinite)
            }
            bad = fields
            bad["actions[0][type]"] = "send_message"
            bad["actions[0][text]"] = "Hi {{customer.nickname}}"
            let placeholder = try await owner.post("/app/triggers", bad)
            XCTAssertEqual(placeholder.status, .unprocessableEntity)
            XCTAssertTrue(placeholder.text.contains(#"id="a0-error">Action 1, message: unknown placeholder {{customer.nickname}}"#), placeholder.text)
            let count = try await Trigger.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, 3, "two defaults and the one saved")

            // on/off, export, import
            let got1 = try await owner.post("/app/triggers/\(id)/enabled", ["enabled": "0"]).status
            XCTAssertEqual(got1, .seeOther)
            let off = try await server.send(.GET, "/api/v1/triggers/\(id)", key: key).json["enabled"] as? Bool
            XCTAssertEqual(off, false)
            let exported = try await owner.get("/app/triggers/\(id)/export")
            XCTAssertTrue(exported.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            let json = exported.text.replacingOccurrences(of: "Kettle or mug, low: call them", with: "Imported copy")
            let got2 = try await owner.post("/app/triggers/import", ["json": json]).status
            XCTAssertEqual(got2, .seeOther)
            let broken = try await owner.post("/app/triggers/import", ["json": "{\"name\": \"x\""])
            XCTAssertEqual(broken.status, .unprocessableEntity)
            XCTAssertTrue(broken.text.contains("the trigger is not valid JSON"))
            let names = try await Trigger.query(on: server.app.db).filter(\.$storeID == store.id!).all().map(\.name)
            XCTAssertTrue(names.contains("Imported copy"))
        }
    }

    func testPreviewTestsTheFormAgainstRecentReviewsWithoutSaving() async throws {
        try await onEachBackend { server in
            // setup: three reviews
            let (store, key, owner) = try await server.storeWithOwner()
            for (i, stars) in [1, 5, 2].enumerated() {
                _ = try await server.send(
                    .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "p\(i)@example.com", name: "P\(i)", rating: stars))
            }
            let before = try await Trigger.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            // the editor offers the store's products by name and id while a value is typed
            let editor = try await owner.get("/app/triggers/new")
            XCTAssertTrue(editor.text.contains(#"<option value="Thing"><option value="sku-1">"#), editor.text)
            XCTAssertTrue(editor.text.contains(#"list="value-suggestions""#))
            // act
            let preview = try await owner.post(
                "/app/triggers/preview",
                [
                    "name": "Unhappy", "event": "review.created", "match": "all",
                    "conditions[0][attribute]": "review.rating", "conditions[0][op]": "lte", "conditions[0][value]": "2",
                    "actions[0][type]": "add_tag", "actions[0][setting]": "x",
                ])
            // check
            XCTAssertEqual(preview.status, .ok)
            XCTAssertTrue(preview.text.contains("Would have fired for 2 of the last 50"), preview.text)
            let after = try await Trigger.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(after, before, "a preview saves nothing")
        }
    }

    func testInsightsAndTheirCSVAndWhoMayEditTriggers() async throws {
        try await onEachBackend { server in
            // setup: reviews of two products, one named like a spreadsheet formula
            let (store, key, owner) = try await server.storeWithOwner()
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "f", productName: "=HYPERLINK(\"x\")", email: "a@example.com", rating: 1))
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "f", productName: "=HYPERLINK(\"x\")", email: "b@example.com", rating: 2))
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "g", productName: "Good mug", email: "c@example.com", rating: 5))
            // act
            let page = try await owner.get("/app/insights")
            let weekly = try await owner.get("/app/insights/weekly.csv")
            let distribution = try await owner.get("/app/insights/distribution.csv")
            let complaints = try await owner.get("/app/insights/complaints.csv")
            // check
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("<svg"), "charts are server-drawn SVG")
            XCTAssertEqual(weekly.headers.first(name: .contentType), "text/csv; charset=utf-8")
            XCTAssertTrue(weekly.text.hasPrefix("week_starting,reviews,average_rating\r\n"))
            XCTAssertTrue(weekly.text.hasSuffix(",3,2.67\r\n"), weekly.text)
            XCTAssertEqual(distribution.text, "stars,published_reviews\r\n1,1\r\n2,1\r\n3,0\r\n4,0\r\n5,1\r\n")
            XCTAssertTrue(complaints.text.contains("\"'=HYPERLINK(\"\"x\"\")\",f,2"), complaints.text)
            let got3 = try await owner.get("/app/insights/secrets.csv").status
            XCTAssertEqual(got3, .notFound)
            // agents see insights but not triggers
            _ = try await Team.add(
                storeSlug: store.slug, email: "ag-\(store.slug)@shop.test", name: nil, password: "agent password", role: .agent,
                hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let agent = try await StaffClient.signIn(server, email: "ag-\(store.slug)@shop.test", password: "agent password")
            let got4 = try await agent.get("/app/insights").status
            XCTAssertEqual(got4, .ok)
            let got5 = try await agent.get("/app/triggers").status
            XCTAssertEqual(got5, .forbidden)
            let got6 = try await agent.post("/app/triggers/import", ["json": "{}"]).status
            XCTAssertEqual(got6, .forbidden)
        }
    }
}
