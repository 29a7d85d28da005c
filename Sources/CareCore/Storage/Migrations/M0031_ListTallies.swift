import FluentKit
import SQLKit

/// How many conversations and reviews a store has in each status (and, for reviews, each rating),
/// kept by the database itself: triggers on `conversations` and `reviews` change a tally in the same
/// statement as the row, whatever code (or cascade) wrote it, so the lists' totals and the inbox's
/// tabs read a few rows instead of counting a store's every conversation on every page.
public struct M0031_ListTallies: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("conversation_tallies")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("n", .int, .required)
            .unique(on: "store_id", "status")
            .create()
        try await db.schema("review_tallies")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("rating", .int, .required)
            .field("n", .int, .required)
            .unique(on: "store_id", "status", "rating")
            .create()
        let sql = db.sql
        // The product pickers, by name.
        try await sql.create(index: "products_by_store_name").on("products").column("store_id").column("name").run()
        if sql.dialect.name == "postgresql" {
            // The triggers and the counts they start from in one transaction, with writers held off:
            // a row written by another node meanwhile is either counted or seen by a trigger, never lost.
            try await db.transaction { tx in
                let sql = tx.sql
                try await sql.raw("LOCK TABLE conversations, reviews IN SHARE ROW EXCLUSIVE MODE").run()
                for statement in Self.postgres { try await sql.raw(SQLQueryString(statement)).run() }
                try await Self.countExisting(on: sql)
            }
        } else {
            // SQLite has one writer, and migrations run before this process serves.
            for statement in Self.sqlite { try await sql.raw(SQLQueryString(statement)).run() }
            try await Self.countExisting(on: sql)
        }
    }

    static func countExisting(on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "INSERT INTO conversation_tallies (store_id, status, n) SELECT store_id, status, COUNT(*) FROM conversations GROUP BY store_id, status"
        ).run()
        try await sql.raw(
            "INSERT INTO review_tallies (store_id, status, rating, n) SELECT store_id, status, rating, COUNT(*) FROM reviews GROUP BY store_id, status, rating"
        ).run()
    }

    public func revert(on db: any Database) async throws {
        let sql = db.sql
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER IF EXISTS conversation_tally ON conversations").run()
            try await sql.raw("DROP TRIGGER IF EXISTS review_tally ON reviews").run()
            try await sql.raw("DROP FUNCTION IF EXISTS careloop_conversation_tally()").run()
            try await sql.raw("DROP FUNCTION IF EXISTS careloop_review_tally()").run()
        } else {
            for name in [
                "conversation_tally_insert", "conversation_tally_update", "conversation_tally_delete", "review_tally_insert", "review_tally_update",
                "review_tally_delete",
            ] {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: name)").run()
            }
        }
        try await sql.drop(index: "products_by_store_name").run()
        try await db.schema("review_tallies").delete()
        try await db.schema("conversation_tallies").delete()
    }

    // A tally row is created by its first row and never removed (a zero costs nothing).
    static let sqlite = [
        """
        CREATE TRIGGER conversation_tally_insert AFTER INSERT ON conversations BEGIN
          INSERT INTO conversation_tallies (store_id, status, n) VALUES (NEW.store_id, NEW.status, 1)
            ON CONFLICT (store_id, status) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER conversation_tally_update AFTER UPDATE OF status, store_id ON conversations
        WHEN OLD.status IS NOT NEW.status OR OLD.store_id IS NOT NEW.store_id BEGIN
          UPDATE conversation_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status;
          INSERT INTO conversation_tallies (store_id, status, n) VALUES (NEW.store_id, NEW.status, 1)
            ON CONFLICT (store_id, status) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER conversation_tally_delete AFTER DELETE ON conversations BEGIN
          UPDATE conversation_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status;
        END
        """,
        """
        CREATE TRIGGER review_tally_insert AFTER INSERT ON reviews BEGIN
          INSERT INTO review_tallies (store_id, status, rating, n) VALUES (NEW.store_id, NEW.status, NEW.rating, 1)
            ON CONFLICT (store_id, status, rating) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER review_tally_update AFTER UPDATE OF status, rating, store_id ON reviews
        WHEN OLD.status IS NOT NEW.status OR OLD.rating IS NOT NEW.rating OR OLD.store_id IS NOT NEW.store_id BEGIN
          UPDATE review_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status AND rating = OLD.rating;
          INSERT INTO review_tallies (store_id, status, rating, n) VALUES (NEW.store_id, NEW.status, NEW.rating, 1)
            ON CONFLICT (store_id, status, rating) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER review_tally_delete AFTER DELETE ON reviews BEGIN
          UPDATE review_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status AND rating = OLD.rating;
        END
        """,
    ]

    // PostgreSQL: the two rows one change moves between are locked in one order (the smaller key
    // first). A transaction changing several rows can still meet another in opposite orders; then
    // PostgreSQL ends one, and `CareStorage` runs it again (`gaveWay`).
    static let postgres = [
        """
        CREATE FUNCTION careloop_conversation_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.store_id = NEW.store_id THEN RETURN NULL; END IF;
          IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.store_id::text, OLD.status) < (NEW.store_id::text, NEW.status)) THEN
            UPDATE conversation_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status;
            IF TG_OP = 'DELETE' THEN RETURN NULL; END IF;
            INSERT INTO conversation_tallies (store_id, status, n) VALUES (NEW.store_id, NEW.status, 1)
              ON CONFLICT (store_id, status) DO UPDATE SET n = conversation_tallies.n + 1;
          ELSE
            INSERT INTO conversation_tallies (store_id, status, n) VALUES (NEW.store_id, NEW.status, 1)
              ON CONFLICT (store_id, status) DO UPDATE SET n = conversation_tallies.n + 1;
            IF TG_OP = 'UPDATE' THEN
              UPDATE conversation_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status;
            END IF;
          END IF;
          RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER conversation_tally AFTER INSERT OR DELETE OR UPDATE OF status, store_id ON conversations
        FOR EACH ROW EXECUTE FUNCTION careloop_conversation_tally()
        """,
        """
        CREATE FUNCTION careloop_review_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.rating = NEW.rating AND OLD.store_id = NEW.store_id THEN RETURN NULL; END IF;
          IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
              AND (OLD.store_id::text, OLD.status, OLD.rating) < (NEW.store_id::text, NEW.status, NEW.rating)) THEN
            UPDATE review_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status AND rating = OLD.rating;
            IF TG_OP = 'DELETE' THEN RETURN NULL; END IF;
            INSERT INTO review_tallies (store_id, status, rating, n) VALUES (NEW.store_id, NEW.status, NEW.rating, 1)
              ON CONFLICT (store_id, status, rating) DO UPDATE SET n = review_tallies.n + 1;
          ELSE
            INSERT INTO review_tallies (store_id, status, rating, n) VALUES (NEW.store_id, NEW.status, NEW.rating, 1)
              ON CONFLICT (store_id, status, rating) DO UPDATE SET n = review_tallies.n + 1;
            IF TG_OP = 'UPDATE' THEN
              UPDATE review_tallies SET n = n - 1 WHERE store_id = OLD.store_id AND status = OLD.status AND rating = OLD.rating;
            END IF;
          END IF;
          RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER review_tally AFTER INSERT OR DELETE OR UPDATE OF status, rating, store_id ON reviews
        FOR EACH ROW EXECUTE FUNCTION careloop_review_tally()
        """,
    ]
}
