/// "Good is a warning": a 3★ review, or a short generic one ("good", "ok", "fine", "it's okay") at any
/// happy-ish rating, usually means the customer won't be back. Those deserve a probing question:
/// what would have made it great? 1★ and 2★ are unhappy, not lukewarm: they have their own trigger.
public enum Lukewarm {
    public static func isLukewarm(rating: Int, title: String?, body: String?) -> Bool {
        if rating <= 2 { return false }
        if rating == 3 { return true }
        let text = [title, body].compactMap { $0 }.joined(separator: " ")
        let words = Sentiment.words(text)
        guard !words.isEmpty else { return false } // stars only: nothing said, nothing to read into
        // Short, and made only of generic words ("good", "it's ok", "fine thanks").
        return words.count <= 4 && words.allSatisfy { Lexicon.generic.contains($0) }
            && !(words.count == 1 && words[0] == "great" && rating == 5)
    }
}
