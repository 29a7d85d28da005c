import CareCore

/// The customer's page in the customer's language (English and German).
struct CustomerPageText: Encodable {
    let lang: String
    let intro: String
    let you: String
    let yourReply: String
    let photosLabel: String
    let photosNote: String
    let yourPhoto: String
    let send: String
    let reviewOf: String
    let reviewUpdated: String
    let reviewOptional: String
    let rating: String
    let starsOf: String
    let title: String
    let review: String
    let update: String

    static func of(_ language: RequestLanguage, store: String, maxPhotos: Int, maxMB: Int) -> CustomerPageText {
        switch language {
        case .de:
            CustomerPageText(
                lang: "de", intro: "Ihr Gespräch mit \(store). Jede Nachricht liest ein Mensch.", you: "Sie", yourReply: "Ihre Antwort",
                photosLabel: "Fotos, wenn sie helfen (bis zu \(maxPhotos), JPEG oder PNG, je \(maxMB) MB)",
                photosNote: "Nur das Bild wird aufbewahrt: Ort, Zeit und Kameradaten werden entfernt.", yourPhoto: "Ihr Foto",
                send: "Antwort senden", reviewOf: "Ihre Bewertung von", reviewUpdated: "Ihre Bewertung ist geändert. Danke.",
                reviewOptional:
                    "Nur wenn Sie möchten: Ihre Bewertung bleibt genau so, wie sie ist, solange Sie sie hier nicht ändern, und nichts, was der Shop anbietet, hängt davon ab.",
                rating: "Bewertung", starsOf: "von 5 Sternen", title: "Titel", review: "Bewertung", update: "Bewertung ändern")
        case .en:
            CustomerPageText(
                lang: "en", intro: "Your conversation with \(store). A real person reads every message.", you: "You", yourReply: "Your reply",
                photosLabel: "Photos, if they help (up to \(maxPhotos), JPEG or PNG, \(maxMB) MB each)",
                photosNote: "Only the picture is kept: where and when it was taken and the camera's details are removed.", yourPhoto: "Your photo",
                send: "Send my reply", reviewOf: "Your review of", reviewUpdated: "Your review is updated. Thank you.",
                reviewOptional:
                    "Only if you wish: your review stays exactly as it is unless you change it here, and nothing the shop offers depends on it.",
                rating: "Rating", starsOf: "of 5 stars", title: "Title", review: "Review", update: "Update my review")
        }
    }

    /// The state box: what it is called and what it means.
    static func state(_ status: ConversationStatus, store: String, language: RequestLanguage) -> (String, String) {
        switch (status, language) {
        case (.open, .en): ("We're on it", "A person at \(store) has your message and will answer here and by email.")
        case (.waiting, .en): ("We've replied", "Read the answer below. If anything is still wrong, reply and the same person picks it up.")
        case (.resolved, .en): ("Resolved", "\(store) marked this as sorted out. If it is not, reply below and it opens again.")
        case (.open, .de): ("Wir kümmern uns", "Ein Mensch bei \(store) hat Ihre Nachricht und antwortet hier und per E-Mail.")
        case (.waiting, .de):
            (
                "Wir haben geantwortet",
                "Lesen Sie die Antwort unten. Falls noch etwas nicht stimmt, antworten Sie, und dieselbe Person kümmert sich darum."
            )
        case (.resolved, .de): ("Gelöst", "\(store) hat dies als erledigt markiert. Falls nicht, antworten Sie unten, und es wird wieder geöffnet.")
        }
    }
}
