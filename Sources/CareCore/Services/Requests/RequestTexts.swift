import Foundation

/// The words of request emails and forms, per language. Placeholders are filled by the caller.
public struct RequestTexts: Sendable {
    public let subject: String // {store}
    public let reminderSubject: String // {store}
    public let greeting: String // {name}
    public let greetingNoName: String
    public let intro: String // {store}, {order}
    public let starsHint: String
    public let starLabel: String // {n}
    public let formLink: String
    public let unsubscribe: String
    public let formTitle: String // {store}
    public let formIntro: String
    public let rating: String
    public let title: String
    public let body: String
    public let send: String
    public let alreadyReviewed: String
    public let thanks: String
    public let alwaysPublished: String
    public let unsubscribeTitle: String
    public let unsubscribeButton: String
    public let unsubscribed: String // {store}
    public let helpLink: String
    public let helpTitle: String // {store}
    public let helpIntro: String
    public let helpSend: String

    public static func of(_ language: RequestLanguage) -> RequestTexts {
        switch language {
        case .en: english
        case .de: german
        }
    }

    static let english = RequestTexts(
        subject: "How was your order from {store}?",
        reminderSubject: "A quick reminder: how was your order from {store}?",
        greeting: "Hi {name},", greetingNoName: "Hello,",
        intro: "thank you for your order {order} from {store}. How do you like what you bought?",
        starsHint: "Click a star to open a short form: nothing is posted until you send it.",
        starLabel: "{n} of 5 stars", formLink: "Write your review", unsubscribe: "No more review requests from this shop",
        formTitle: "Your review for {store}", formIntro: "Tell other buyers what you think. Every review is published, good or bad.",
        rating: "Rating", title: "Title (optional)", body: "Your review (optional)", send: "Publish my review",
        alreadyReviewed: "You reviewed this product. Thank you!", thanks: "Thank you! Your review is saved.",
        alwaysPublished: "Reviews are published as written: the shop cannot change or hide your rating.",
        unsubscribeTitle: "Stop review requests", unsubscribeButton: "Send me no more review requests",
        unsubscribed: "Done: {store} will send you no more review requests. Answers to messages you write to the shop still reach you.",
        helpLink: "Need help with your order? Talk to us", helpTitle: "Talk to a person at {store}",
        helpIntro: "Tell us what is wrong and a real person will answer you, here and by email. You can still write a review whenever you like.",
        helpSend: "Send")

    static let german = RequestTexts(
        subject: "Wie war Ihre Bestellung bei {store}?",
        reminderSubject: "Kurze Erinnerung: Wie war Ihre Bestellung bei {store}?",
        greeting: "Hallo {name},", greetingNoName: "Hallo,",
        intro: "vielen Dank für Ihre Bestellung {order} bei {store}. Wie gefällt Ihnen Ihr Einkauf?",
        starsHint: "Ein Klick auf einen Stern öffnet ein kurzes Formular: Veröffentlicht wird erst, wenn Sie es absenden.",
        starLabel: "{n} von 5 Sternen", formLink: "Bewertung schreiben", unsubscribe: "Keine Bewertungsanfragen mehr von diesem Shop",
        formTitle: "Ihre Bewertung für {store}",
        formIntro: "Sagen Sie anderen Käufern, was Sie denken. Jede Bewertung wird veröffentlicht, ob gut oder schlecht.",
        rating: "Bewertung", title: "Titel (optional)", body: "Ihre Bewertung (optional)", send: "Bewertung veröffentlichen",
        alreadyReviewed: "Sie haben dieses Produkt bewertet. Vielen Dank!", thanks: "Vielen Dank! Ihre Bewertung ist gespeichert.",
        alwaysPublished: "Bewertungen erscheinen so, wie Sie sie schreiben: Der Shop kann Ihre Bewertung weder ändern noch verbergen.",
        unsubscribeTitle: "Bewertungsanfragen abbestellen", unsubscribeButton: "Keine Bewertungsanfragen mehr senden",
        unsubscribed:
            "Erledigt: {store} sendet Ihnen keine Bewertungsanfragen mehr. Antworten auf Ihre Nachrichten an den Shop erhalten Sie weiterhin.",
        helpLink: "Probleme mit Ihrer Bestellung? Schreiben Sie uns", helpTitle: "Schreiben Sie einem Menschen bei {store}",
        helpIntro:
            "Sagen Sie uns, was nicht stimmt, und ein Mensch antwortet Ihnen, hier und per E-Mail. Eine Bewertung können Sie trotzdem jederzeit schreiben.",
        helpSend: "Senden")

    /// `text` with each `{key}` replaced.
    /// The placeholders a store may use in its own texts.
    public static let placeholders: Set<String> = ["store", "order", "name", "product"]

    /// `{word}`s in `text` that are not placeholders (a typo would be mailed as it is).
    public static func unknownPlaceholders(_ text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            let word = String(after[..<close])
            if !word.isEmpty, word.count <= 30, word.allSatisfy({ $0.isLetter || $0 == "_" }), !placeholders.contains(word) { found.append(word) }
            rest = after
        }
        return found
    }

    public static func fill(_ text: String, _ values: [String: String]) -> String {
        // One pass: a value is never read again for placeholders (a store called "Shop {order}" stays so).
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = values[String(after[..<close])] {
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "{"
                rest = after
            }
        }
        return out + rest
    }
}
