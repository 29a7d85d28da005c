#!/usr/bin/env bash
# The raw SQLite single-row commit rate: N inserts, each its own transaction, of a row shaped like a
# review, with the pragmas CareLoop uses (WAL, synchronous=FULL). Prints "RAW commits=N seconds=S".
set -euo pipefail
file="$1"; n="${2:-3000}"
rm -f "$file" "$file-wal" "$file-shm"
sql="$(mktemp)"
{
  echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
  echo "CREATE TABLE reviews(id BLOB PRIMARY KEY, store_id BLOB, product_id BLOB, rating INT, title TEXT, body TEXT, created_at REAL);"
  for i in $(seq 1 "$n"); do
    echo "INSERT INTO reviews VALUES (randomblob(16), randomblob(16), randomblob(16), $(( i % 5 + 1 )), 'Bench review', 'Review $i: it does what it says.', julianday('now'));"
  done
} > "$sql"
start=$(date +%s.%N)
sqlite3 "$file" < "$sql" >/dev/null
end=$(date +%s.%N)
rm -f "$sql"
echo "RAW commits=$n seconds=$(echo "$end - $start" | bc -l)"
