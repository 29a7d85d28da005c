import CareCore
import Foundation
import Vapor

/// `careloop export reviews --store SLUG --format csv|jsonl [--output FILE]`: every review of the
/// store, to stdout or a file. The CSV is CareLoop's import layout; cells a spreadsheet would run as
/// formulas start with `'` (the import takes it off again).
struct ExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "kind", help: "reviews")
        var kind: String
        @Option(name: "store", help: "the store's slug") var store: String?
        @Option(name: "format", help: "csv (default) or jsonl") var format: String?
        @Option(name: "output", help: "a file to write (default: standard output)") var output: String?
    }

    var help: String { "export reviews --store SLUG [--format csv|jsonl] [--output FILE]: every review of a store." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard signature.kind == "reviews" else { throw ConfigError("export knows: reviews") }
        guard let slug = signature.store else { throw ConfigError("export needs --store SLUG") }
        guard let store = try await StoreService.store(slug: slug, on: app.db), let storeID = store.id else {
            throw ConfigError("no store '\(slug)'")
        }
        guard let format = ReviewExport.Format(rawValue: signature.format ?? "csv") else { throw ConfigError("--format is csv or jsonl") }
        let out = try signature.output.map(OutputFile.open) ?? FileHandle.standardOutput
        let count: Int
        do {
            count = try await ReviewExport.run(storeID: storeID, format: format, on: app.db) { try out.write(contentsOf: Data($0.utf8)) }
            if signature.output != nil { try out.close() }
        } catch {
            // A full disk or a closed pipe: said, not a crash.
            throw ConfigError("the export stopped: \(error.localizedDescription)")
        }
        printError("exported \(count) reviews of \(slug)\n")
    }
}
