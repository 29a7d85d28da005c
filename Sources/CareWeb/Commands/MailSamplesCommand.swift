import CareCore
import Foundation

/// `careloop mail samples --out DIR`: one mail of every kind CareLoop sends (care messages, a
/// person's reply, the resolution invitation, the review request and its reminders, a staff
/// notification; English and German), composed and signed with this installation's settings
/// (`CARELOOP_MAIL_*`, `CARELOOP_DKIM_*`), as `.eml` files. For checking DKIM, alignment and spam
/// scores before going live. Touches no database.
public enum MailSamplesCommand {
    public static func run(_ arguments: [String]) -> Int32 {
        guard arguments.count == 3, arguments[0] == "samples", arguments[1] == "--out" else {
            FileHandle.standardError.write(Data("usage: careloop mail samples --out DIR\n".utf8))
            return 64
        }
        let dir = arguments[2]
        do {
            let config = try CareConfig.fromEnvironment()
            let mail = try config.mailSettings()
            let links = CareLinks(publicURL: config.publicURL, secret: config.secret ?? Secrets.randomToken())
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for sample in MailSamples.all(mail: mail, links: links) {
                try sample.raw.write(toFile: "\(dir)/\(sample.name).eml", atomically: true, encoding: .utf8)
                print("\(dir)/\(sample.name).eml")
            }
            if let dkim = mail.dkim {
                print("Signed by \(dkim.dnsName) (\(dkim.algorithm.rawValue)); its record: \(dkim.dnsRecord)")
            } else {
                print("Not signed: set CARELOOP_DKIM_SELECTOR and CARELOOP_DKIM_KEY_FILE (careloop dkim keygen makes a key).")
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("careloop mail samples: \(error)\n".utf8))
            return 1
        }
    }
}
