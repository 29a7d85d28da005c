import Foundation

/// A small, explainable sentiment score for review text, from -1 (angry) to +1 (delighted).
///
/// Word weights come from a hand-written lexicon of the words shoppers use. Three things matter
/// more than the lexicon's size, and are handled: negation ("not good" is negative, "not bad" mildly
/// positive), intensifiers ("really", "very"), and contrast: in "good but it broke after a week" the
/// clause after "but" is what the customer means, so it weighs more.
public enum Sentiment {
    public static func score(_ text: String) -> Double {
        let clauses = contrastClauses(text)
        var total = 0.0
        var weightSum = 0.0
        for (i, clause) in clauses.enumerated() {
            let s = clauseScore(clause)
            guard s.hits > 0 else { continue }
            // Later clauses (after "but", "however") count double.
            let weight = i == 0 ? 1.0 : 2.0
            total += weight * s.score
            weightSum += weight
        }
        guard weightSum > 0 else { return 0 }
        return max(-1, min(1, total / weightSum))
    }

    static func words(_ text: String) -> [String] {
        text.lowercased()
            .replacingOccurrences(of: "n't", with: " not")
            .replacingOccurrences(of: "’", with: "'")
            .split(whereSeparator: { !($0.isLetter || $0 == "'") })
            .map(String.init)
    }

    static func contrastClauses(_ text: String) -> [[String]] {
        var clauses: [[String]] = [[]]
        for word in words(text) {
            if Lexicon.contrast.contains(word) {
                clauses.append([])
            } else {
                clauses[clauses.count - 1].append(word)
            }
        }
        return clauses.filter { !$0.isEmpty }
    }

    static func clauseScore(_ words: [String]) -> (score: Double, hits: Int) {
        var sum = 0.0
        var hits = 0
        for (i, word) in words.enumerated() {
            guard var value = Lexicon.weights[word] else { continue }
            let before = words[max(0, i - 3)..<i]
            if before.contains(where: { Lexicon.intensifiers.contains($0) }) { value *= 1.5 }
            if before.contains(where: { Lexicon.negations.contains($0) }) {
                // "not good" is bad; "not bad" is only mildly good.
                value = value > 0 ? -value * 0.8 : -value * 0.4
            }
            sum += value
            hits += 1
        }
        guard hits > 0 else { return (0, 0) }
        // Average per hit, squashed so that one strong word does not read as certainty.
        let mean = sum / Double(hits)
        return (mean / 3.0, hits)
    }
}

/// The word lists behind `Sentiment` and `Lukewarm`. Written for CareLoop; weights from -4 to +4.
enum Lexicon {
    static let weights: [String: Double] = {
        var w: [String: Double] = [:]
        let positive: [(Double, [String])] = [
            (
                4,
                ["love", "loved", "loves", "amazing", "excellent", "perfect", "outstanding", "superb", "fantastic", "wonderful", "brilliant", "best"]
            ),
            (3, ["great", "awesome", "beautiful", "delighted", "happy", "impressed", "recommend", "recommended", "gorgeous", "lovely"]),
            (
                2,
                [
                    "good", "nice", "solid", "sturdy", "comfortable", "fast", "quick", "helpful", "friendly", "pleased", "work", "works", "worked",
                    "reliable", "easy", "well",
                ]
            ),
            (1, ["fine", "ok", "okay", "decent", "alright", "fair", "reasonable", "adequate", "satisfied"]),
        ]
        let negative: [(Double, [String])] = [
            (-4, ["terrible", "awful", "horrible", "worst", "useless", "disgusting", "scam", "garbage", "hate", "hated", "dangerous"]),
            (
                -3,
                [
                    "broken", "broke", "defective", "faulty", "bad", "poor", "disappointed", "disappointing", "rude", "refund", "waste", "fake",
                    "unusable", "junk", "crap", "ruined",
                ]
            ),
            (
                -2,
                [
                    "late", "slow", "leak", "leaks", "leaked", "leaking", "cracked", "chipped", "damaged", "missing", "wrong", "cheap", "flimsy",
                    "return", "returned", "problem", "problems", "issue", "issues", "stopped", "never", "unhappy", "annoying",
                ]
            ),
            (-1, ["meh", "average", "mediocre", "small", "expensive", "overpriced", "smell", "noisy", "loud"]),
        ]
        for (weight, list) in positive + negative { for word in list { w[word] = weight } }
        return w
    }()

    static let negations: Set<String> = [
        "not", "no", "never", "hardly", "barely", "without", "nothing", "nor", "cannot", "cant", "wont", "didnt", "doesnt", "isnt", "wasnt",
    ]
    static let intensifiers: Set<String> = ["very", "really", "so", "extremely", "super", "totally", "absolutely", "incredibly", "too"]
    static let contrast: Set<String> = ["but", "however", "although", "though", "yet", "except", "unfortunately"]

    /// Words that, alone or nearly alone, say "it was fine" and nothing more.
    static let generic: Set<String> = [
        "good", "ok", "okay", "fine", "nice", "decent", "alright", "average", "meh", "acceptable",
        "satisfactory", "so", "not", "bad", "as", "expected", "described", "it", "is", "was", "its",
        "it's", "product", "item", "thanks", "thank", "you", "pretty", "quite", "all", "right", "great",
    ]
}
