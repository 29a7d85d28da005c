import Crypto
import Foundation
import XCTest

@testable import CareCore

/// CareLoop's DKIM canonicalization and signatures against known answers computed with dkimpy
/// (`Tests/fixtures/dkim/vectors.json`, made by `Tests/support/mailcheck.py --write-vectors`) and
/// RFC 8463's own example. The gauntlet verifies every kind of CareLoop mail with dkimpy itself.
final class DKIMTests: XCTestCase {
    struct Vectors: Decodable {
        struct BodyHash: Decodable {
            let name: String
            let message: String
            let body: String
            let canonical_body_relaxed: String
            let bh_relaxed: String
            let canonical_headers_relaxed: [String]
        }
        struct Signature: Decodable {
            let name: String
            let message: String
            let ed25519_seed: String?
            let header_hash_input: [String]
        }
        let body_hash: [BodyHash]
        let signatures: [Signature]
    }

    func vectors() throws -> Vectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/dkim/vectors.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }

    /// The header lines of a raw message, each with its folds, as a signer sees them.
    func headerLines(_ message: String) -> [String] {
        let head = message.components(separatedBy: "\r\n\r\n").first ?? ""
        var lines: [String] = []
        for line in head.components(separatedBy: "\r\n") {
            if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1] += "\r\n" + line
            } else {
                lines.append(line)
            }
        }
        return lines
    }

    func testRelaxedBodyAndHeadersMatchDkimpy() throws {
        for v in try vectors().body_hash {
            XCTAssertEqual(DKIMSigner.relaxedBody(v.body), v.canonical_body_relaxed, v.name)
            XCTAssertEqual(Data(SHA256.hash(data: Data(DKIMSigner.relaxedBody(v.body).utf8))).base64EncodedString(), v.bh_relaxed, v.name)
            let relaxed = headerLines(v.message).map { DKIMSigner.relaxedHeader($0) + "\r\n" }
            XCTAssertEqual(relaxed, v.canonical_headers_relaxed, v.name)
        }
    }

    func testEd25519SignsTheHashOfTheCanonicalHeadersAsRFC8463Does() throws {
        // RFC 8463 appendix A: the same seed and input give the same signature (Ed25519 is deterministic).
        for v in try vectors().signatures {
            guard let seed = v.ed25519_seed.flatMap({ Data(base64Encoded: $0) }), let input = v.header_hash_input.last else { continue }
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            let ours = try key.signature(for: Data(SHA256.hash(data: Data(input.utf8)))).base64EncodedString()
            let published = try XCTUnwrap(signatureValue(v.message, algorithm: "ed25519-sha256"), v.name)
            XCTAssertEqual(ours, published, v.name)
        }
    }

    /// The b= of the message's first signature of that algorithm, unfolded.
    func signatureValue(_ message: String, algorithm: String) -> String? {
        for line in headerLines(message) where line.lowercased().hasPrefix("dkim-signature:") && line.contains("a=\(algorithm)") {
            let unfolded = line.replacingOccurrences(of: "\r\n", with: "").replacingOccurrences(of: " ", with: "").replacingOccurrences(
                of: "\t", with: "")
            guard let b = unfolded.components(separatedBy: ";").first(where: { $0.hasPrefix("b=") }) else { continue }
            return String(b.dropFirst(2))
        }
        return nil
    }

    func testASignedMailCarriesOneSignatureOverItsHeadersThatItsPublicKeyVerifies() throws {
        // setup: an Ed25519 key made by CareLoop, and a mail with a long subject, non-ASCII text and no final newline
        let pem = try DKIMSigner.generate(.ed25519)
        let signer = try DKIMSigner(domain: "Shop.Example", selector: "s1", pem: pem)
        var m = OutgoingMail(
            fromName: "Grüne Küche", fromAddress: "care@shop.example", to: "ann@example.com", toName: "Ann", replyTo: "reply+x@shop.example",
            subject: String(repeating: "Über Ihre Bestellung ", count: 8), text: "Hallo Ann,\nalles gut?", html: nil,
            messageID: "m1@shop.example", inReplyTo: "a@b.test", references: ["a@b.test"], date: Date(timeIntervalSince1970: 1_800_000_000))
        m.automatic = true
        // act
        let raw = MailComposer.compose(m, signer: signer)
        // check: the signature is the first header, names the headers present, and verifies
        XCTAssertTrue(
            raw.replacingOccurrences(of: "\r\n ", with: " ").hasPrefix(
                "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=shop.example; s=s1;"),
            raw)
        let (head, body) = (String(raw[..<raw.range(of: "\r\n\r\n")!.lowerBound]), String(raw[raw.range(of: "\r\n\r\n")!.upperBound...]))
        let lines = headerLines(head + "\r\n\r\n")
        let signature = lines[0].replacingOccurrences(of: "\r\n", with: "")
        XCTAssertTrue(
            signature.contains("h=from:to:subject:date:message-id:in-reply-to:references:reply-to:mime-version:content-type:auto-submitted"),
            signature)
        let bh = Data(SHA256.hash(data: Data(DKIMSigner.relaxedBody(body).utf8))).base64EncodedString()
        XCTAssertTrue(signature.contains("bh=\(bh)"))
        let b = try XCTUnwrap(signatureValue(head + "\r\n\r\n", algorithm: "ed25519-sha256"))
        let names = [
            "from", "to", "subject", "date", "message-id", "in-reply-to", "references", "reply-to", "mime-version", "content-type", "auto-submitted",
        ]
        var input = names.map { n in DKIMSigner.relaxedHeader(lines.last { DKIMSigner.headerName($0) == n }!) + "\r\n" }.joined()
        let withoutB = lines[0].components(separatedBy: "b=").dropLast().joined(separator: "b=") + "b="
        input += DKIMSigner.relaxedHeader(withoutB)
        let seed = try XCTUnwrap(DKIMSigner.ed25519Seed(pem: pem))
        let publicKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey
        XCTAssertTrue(publicKey.isValidSignature(Data(base64Encoded: b)!, for: Data(SHA256.hash(data: Data(input.utf8)))))
        XCTAssertTrue(signer.dnsRecord.hasPrefix("v=DKIM1; k=ed25519; p="))
        XCTAssertEqual(signer.dnsName, "s1._domainkey.shop.example")
    }

    func testKeysAreCheckedWhenConfigured() throws {
        let rsa = try DKIMSigner(domain: "shop.example", selector: "rsa1", pem: try DKIMSigner.generate(.rsa))
        XCTAssertEqual(rsa.algorithm, .rsa)
        XCTAssertTrue(rsa.dnsRecord.hasPrefix("v=DKIM1; k=rsa; p=MIIBIjANBg"), rsa.dnsRecord)
        XCTAssertThrowsError(try DKIMSigner(domain: "shop.example", selector: "s", pem: "not a key"))
        XCTAssertThrowsError(try DKIMSigner(domain: "shop example", selector: "s", pem: try DKIMSigner.generate(.ed25519)))
        XCTAssertThrowsError(try DKIMSigner(domain: "shop.example", selector: "s;x=1", pem: try DKIMSigner.generate(.ed25519)))
    }
}
