/// A customer's lifetime value: the sum of their orders' totals.
///
/// Summed as floating point, so no number of orders can overflow the database's integer sum (SQLite
/// raises an error on overflow, which turned a customer's pages into errors); each total is at most
/// 10¹² minor units, and a double holds whole sums exactly up to 9·10¹⁵.
enum LifetimeValue {
    static func sumSQL(_ column: String) -> String {
        "COALESCE(SUM(CAST(\(column) AS DOUBLE PRECISION)), 0.0)"
    }

    static func cents(_ sum: Double) -> Int {
        guard sum.isFinite else { return 0 }
        return Int(min(max(sum, 0), 9e15).rounded())
    }
}
