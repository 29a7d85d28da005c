/// The message a customer gets when their conversation about a review is resolved, if the store
/// invites review updates. It says plainly that updating is optional and changes nothing else:
/// recovery offered in the conversation never depends on the review (FTC 16 CFR 465.4).
public enum ReviewUpdateInvitation {
    public static func text(customerName: String?, storeName: String, link: String) -> String {
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
}
