import CareCore
import Foundation

/// `careloop dkim keygen --domain DOMAIN --selector SELECTOR [--algorithm rsa|ed25519] [--out FILE]`:
/// a new DKIM key (PEM, written to FILE with mode 0600, or printed) and the DNS TXT record to
/// publish for it. Touches no database.
public enum DKIMCommand {
    public static func run(_ arguments: [String]) -> Int32 {
        guard arguments.first == "keygen" else {
            say("usage: careloop dkim keygen --domain DOMAIN --selector SELECTOR [--algorithm rsa|ed25519] [--out FILE]")
            return 64
        }
        var options: [String: String] = [:]
        var i = 1
        while i + 1 < arguments.count, arguments[i].hasPrefix("--") {
            options[String(arguments[i].dropFirst(2))] = arguments[i + 1]
            i += 2
        }
        guard i == arguments.count, let domain = options["domain"], let selector = options["selector"],
            let algorithm = DKIMSigner.Algorithm(rawValue: (options["algorithm"] ?? "rsa") + "-sha256")
        else {
            say("usage: careloop dkim keygen --domain DOMAIN --selector SELECTOR [--algorithm rsa|ed25519] [--out FILE]")
            return 64
        }
        do {
            let pem = try DKIMSigner.generate(algorithm)
            let signer = try DKIMSigner(domain: domain, selector: selector, pem: pem)
            if let out = options["out"] {
                guard FileManager.default.createFile(atPath: out, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                    say("dkim: cannot write \(out)")
                    return 73
                }
                print(
                    "Wrote the private key to \(out). Set CARELOOP_DKIM_KEY_FILE=\(out), CARELOOP_DKIM_SELECTOR=\(selector), CARELOOP_DKIM_DOMAIN=\(signer.domain)."
                )
            } else {
                print(pem)
            }
            print("Publish this DNS record:")
            print(zoneLine(signer))
            return 0
        } catch {
            say("dkim: \(error)")
            return 1
        }
    }

    /// The record as a zone-file line, its value cut into strings of at most 255 characters (an RSA
    /// key's record is longer than one TXT string may be).
    static func zoneLine(_ signer: DKIMSigner) -> String {
        var chunks: [String] = []
        var rest = Substring(signer.dnsRecord)
        while !rest.isEmpty {
            chunks.append("\"\(rest.prefix(255))\"")
            rest = rest.dropFirst(255)
        }
        return "\(signer.dnsName). IN TXT ( \(chunks.joined(separator: " ")) )"
    }

    static func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
