/// The message a customer gets when their conversation about a review is resolved, if the store
/// invites review updates. It says plainly that updating is optional and changes nothing else:
/// recovery offered in the conversation never depends on the review (FTC 16 CFR 465.4).
public enum ReviewUpdateInvitation {
    public static func text(customerName: String?, storeName: String, link: String, language: RequestLanguage = .en) -> String {
        if language == .de { return german(customerName: customerName, storeName: storeName, link: link) }
        let hello = customerName.flatMap { $0.split(separator: " ").first.map { "Hi \($0)," } } ?? "Hello,"
        return """
            \(hello)

            We've marked this conversation as resolved. Thank you for telling us what went wrong.

            If you'd like to, you can update your review here: \(link)
            It's entirely up to you. Your review stays as it is unless you change it, and nothing we have \
            offered or agreed depends on it.

            If anything is still not right, just reply and we'll pick it up again.

            — \(storeName)
            """
    }

    static func german(customerName: String?, storeName: String, link: String) -> String {
        let hello = customerName.flatMap { $0.split(separator: " ").first.map { "Hallo \($0)," } } ?? "Hallo,"
        return """
            \(hello)

            wir haben dieses Gespräch als gelöst markiert. Danke, dass Sie uns gesagt haben, was schiefgelaufen ist.

            Wenn Sie möchten, können Sie Ihre Bewertung hier ändern: \(link)
            Das liegt ganz bei Ihnen. Ihre Bewertung bleibt, wie sie ist, solange Sie sie nicht ändern, und nichts, \
            was wir angeboten oder vereinbart haben, hängt davon ab.

            Falls noch etwas nicht stimmt, antworten Sie einfach, und wir kümmern uns weiter darum.

            — \(storeName)
            """
    }
}
