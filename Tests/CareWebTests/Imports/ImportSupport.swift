import CareCore
import Fluent
import Foundation
import NIOConcurrencyHelpers
import XCTest

@testable import CareWeb

/// The import files under `Tests/fixtures/imports`, as the platforms export them.
func importFixture(_ name: String) throws -> FileHandle {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/imports/\(name)").path
    return try XCTUnwrap(FileHandle(forReadingAtPath: path), path)
}

/// The rows an import skipped, by line.
final class SkipList: @unchecked Sendable {
    private let rows = NIOLockedValueBox<[Int: String]>([:])
    var byLine: [Int: String] { rows.withLockedValue { $0 } }
    func add(_ line: Int, _ reason: String) { rows.withLockedValue { $0[line] = reason } }
}

extension TestServer {
    func importReviews(_ file: String, format: ReviewImportFormat, into store: Store, dryRun: Bool = false) async throws -> (
        ReviewImport.Summary, [Int: String]
    ) {
        let handle = try importFixture(file)
        defer { try? handle.close() }
        let skipped = SkipList()
        let summary = try await ReviewImport.run(
            CSVReader(handle: handle), store: store, options: .init(format: format, dryRun: dryRun), storage: app.care.storage, on: app.db,
            skip: skipped.add)
        return (summary, skipped.byLine)
    }

    func importOrders(_ file: String, into store: Store) async throws -> (OrderImport.Summary, [Int: String]) {
        let handle = try importFixture(file)
        defer { try? handle.close() }
        let skipped = SkipList()
        let summary = try await OrderImport.run(
            CSVReader(handle: handle), storeID: store.id!, storage: app.care.storage, on: app.db, skip: skipped.add)
        return (summary, skipped.byLine)
    }

    /// The store's imported reviews, by title (or body when untitled).
    func importedReviews(_ store: Store) async throws -> [String: Review] {
        let all = try await Review.query(on: app.db).filter(\.$storeID == store.id!).filter(\.$source == .import).all()
        return Dictionary(all.map { ($0.title ?? $0.body ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    func productSummary(_ store: Store, _ externalID: String) async throws -> RatingSummary {
        let found = try await Product.query(on: app.db).filter(\.$storeID == store.id!).filter(\.$externalID == externalID).first()
        let product = try XCTUnwrap(found)
        return try await RatingSummaryCounter.summary(for: product.id!, on: app.db)
    }
}

func utc(_ text: String) -> Date { ImportDate.parse(text)! }
