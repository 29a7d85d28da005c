import Foundation

/// The new part of a customer's reply: what they wrote above the quoted history and signature.
/// Knows the shapes Gmail, Apple Mail and Outlook quote in, and CareLoop's own reply marker.
public enum ReplyText {
    public static func extract(_ text: String) -> String {
        var kept: [String] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        for (i, line) in lines.enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.contains(MessageFormat.replyMarker) { break }
            // Gmail / Apple Mail: "On Tue, 3 Mar 2026 at 10:00, Shop <care@x> wrote:" (may wrap onto the next line)
            if t.hasPrefix("On ")
                && (t.hasSuffix("wrote:") || (i + 1 < lines.count && lines[i + 1].trimmingCharacters(in: .whitespaces).hasSuffix("wrote:")))
            {
                break
            }
            if t.hasPrefix("Le ") && t.hasSuffix("a écrit :") { break }
            // German: "Am 7. Dez. 2026 um 10:00 schrieb Shop <care@x>:" (Gmail puts the name after
            // "schrieb"; Apple Mail before it), may wrap onto the next line.
            if t.hasPrefix("Am ")
                && (germanAttribution(t) || (i + 1 < lines.count && germanAttribution(t + " " + lines[i + 1].trimmingCharacters(in: .whitespaces))))
            {
                break
            }
            // Outlook
            if t.hasPrefix("-----Original Message-----") || t.hasPrefix("________________________________") { break }
            if t.hasPrefix("From:") && i + 1 < lines.count && (lines[i + 1].hasPrefix("Sent:") || lines[i + 1].hasPrefix("Date:")) { break }
            // Signatures: "-- " and the phone clients' sign-offs
            if line == "-- " || line == "--" { break }
            if t.hasPrefix("Sent from my ") || t.hasPrefix("Get Outlook for ") { break }
            if t.hasPrefix(">") { continue }
            kept.append(line)
        }
        return kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func germanAttribution(_ t: String) -> Bool {
        t.hasSuffix(":") && (t.hasSuffix("schrieb:") || t.contains(" schrieb "))
    }
}
