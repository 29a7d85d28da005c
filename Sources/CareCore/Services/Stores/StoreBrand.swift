import FluentKit
import Foundation
import SQLKit

/// How the store looks to its customers on their page and in care emails: its colour and logo.
public enum StoreBrand {
    public struct Look: Sendable, Equatable {
        /// `#rrggbb`, nil for CareLoop's own blue.
        public var colour: String?
        public var hasLogo = false

        public init(colour: String? = nil, hasLogo: Bool = false) {
            self.colour = colour
            self.hasLogo = hasLogo
        }

        /// The colour used: the store's, or the default.
        public var accent: String { colour ?? StoreBrand.defaultColour }
        /// Black or white, whichever reads better on the accent (WCAG contrast of at least 4.5:1 where either can).
        public var onAccent: String { StoreBrand.contrast(StoreBrand.luminance(accent), 1) >= 4.5 ? "#ffffff" : "#000000" }
    }

    public static let defaultColour = "#1f5fbf"
    public static let maxLogoBytes = 512 * 1_024

    public static func load(storeID: UUID, on db: any Database) async throws -> Look {
        guard
            let row = try await db.sql.raw(
                "SELECT colour, CASE WHEN logo IS NULL THEN 0 ELSE 1 END AS has_logo FROM store_brands WHERE store_id = \(bind: storeID)"
            )
            .first()
        else { return Look() }
        return Look(colour: try row.decode(column: "colour", as: String?.self), hasLogo: try row.decode(column: "has_logo", as: Int.self) == 1)
    }

    /// `#rrggbb` (any case), or empty for the default; anything else is refused.
    public static func colour(_ raw: String?) throws -> String? {
        let text = (raw ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if text.isEmpty { return nil }
        guard text.utf8.count == 7, text.first == "#", text.dropFirst().allSatisfy({ $0.isHexDigit && $0.isASCII }) else {
            throw CareError.invalid("colour", "a colour is written #rrggbb, like #1f5fbf")
        }
        return text
    }

    /// Sets the colour, and the logo when one is given (`removeLogo` drops the stored one).
    public static func save(
        storeID: UUID, colour raw: String?, logo: [UInt8]?, removeLogo: Bool, storage: CareStorage, on db: any Database
    ) async throws {
        let colour = try colour(raw)
        let photo: Photo? = try logo.flatMap { logo in
            guard !logo.isEmpty else { return nil } // the form's empty file field
            guard logo.count <= maxLogoBytes else { throw CareError.invalid("logo", "a logo may be at most \(maxLogoBytes / 1_024) KB") }
            return try Photo.scrub(logo)
        }
        let now = storage.now()
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                INSERT INTO store_brands (store_id, colour, updated_at) VALUES (\(bind: storeID), \(bind: colour), \(bind: now))
                ON CONFLICT (store_id) DO UPDATE SET colour = excluded.colour, updated_at = excluded.updated_at
                """
            ).run()
            if let photo {
                try await tx.raw(
                    """
                    UPDATE store_brands SET logo = \(bind: Data(photo.bytes)), logo_type = \(bind: photo.kind.rawValue),
                    logo_width = \(bind: photo.width), logo_height = \(bind: photo.height) WHERE store_id = \(bind: storeID)
                    """
                ).run()
            } else if removeLogo {
                try await tx.raw(
                    "UPDATE store_brands SET logo = NULL, logo_type = NULL, logo_width = NULL, logo_height = NULL WHERE store_id = \(bind: storeID)"
                ).run()
            }
        }
    }

    public static func logo(storeID: UUID, on db: any Database) async throws -> (String, Data)? {
        guard
            let row = try await db.sql.raw("SELECT logo_type, logo FROM store_brands WHERE store_id = \(bind: storeID) AND logo IS NOT NULL")
                .first()
        else { return nil }
        return (try row.decode(column: "logo_type", as: String.self), try row.decode(column: "logo", as: Data.self))
    }

    static func luminance(_ hex: String) -> Double {
        let digits = Array(hex.utf8.dropFirst())
        func channel(_ i: Int) -> Double {
            let v = Double(Int(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) ?? 0) / 255
            return v <= 0.039_28 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        guard digits.count == 6 else { return 0 }
        return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    static func contrast(_ a: Double, _ b: Double) -> Double { (max(a, b) + 0.05) / (min(a, b) + 0.05) }
}
