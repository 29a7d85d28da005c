#!/usr/bin/env bash
# Fuzz: Schemathesis over the served /openapi.json with a real API key, every check.
#
# Starts `careloop serve` ($CARELOOP_BIN, by default this checkout's debug build) on SQLite in a
# temporary directory on a free port, makes a store and the data the run aims at (fuzz_setup.py),
# runs Schemathesis with a fixed seed and a bounded number of examples, prints a per-operation
# summary, and fails when any check failed or when a write operation had no request accepted (2xx).
# The server is always stopped.
#
# Everything runs in a network namespace of its own (unshare --net) with only loopback: the fuzzer
# makes webhook endpoints with whatever URLs it generates (CARELOOP_ALLOW_PRIVATE_WEBHOOKS=1 lets it
# use any host), and the server's deliveries to them must reach nothing outside this machine.
#
# Settings (environment):
#   CARELOOP_BIN         the binary (default: .build/debug/careloop in this checkout)
#   FUZZ_SEED            Schemathesis seed (default 20261123)
#   FUZZ_MAX_EXAMPLES    test cases per operation and phase (default 40)
#   FUZZ_SCHEMA          the document to test: default the served /openapi.json; a file path tests
#                        an edited document against the running binary without rebuilding it
#   FUZZ_KEEP            a directory to copy the reports and the server log to
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${CARELOOP_BIN:-$REPO/.build/debug/careloop}"
SEED="${FUZZ_SEED:-20261123}"
EXAMPLES="${FUZZ_MAX_EXAMPLES:-40}"
SCHEMATHESIS_VERSION=4.32.5

if [[ -z "${FUZZ_IN_NETNS:-}" ]]; then
    [[ -x "$BIN" ]] || { echo "fuzz: no careloop binary at $BIN (set CARELOOP_BIN)" >&2; exit 2; }
    # The same Schemathesis every time: a fixed seed means the same cases only with the same version.
    if ! python3 -c "import sys, schemathesis; sys.exit(schemathesis.SCHEMATHESIS_VERSION != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
        python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
    fi
    if ! command -v ip >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
    fi
    if ! unshare --net true 2>/dev/null; then
        echo "fuzz: cannot make a network namespace (unshare --net needs root or CAP_SYS_ADMIN)" >&2
        exit 2
    fi
    export FUZZ_IN_NETNS=1
    exec unshare --net -- bash "$0" "$@"
fi

# --- inside the namespace: loopback only --------------------------------------------------------
ip link set lo up

WORK="$(mktemp -d /tmp/careloop-fuzz.XXXXXX)"
PIDS=()
ST_PID=
cleanup() {
    local status=$?
    [[ -z "$ST_PID" ]] || kill "$ST_PID" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "${FUZZ_KEEP:-}" ]]; then
        mkdir -p "$FUZZ_KEEP"
        cp -r "$WORK/report" "$WORK/server.log" "$WORK/schemathesis.log" "$FUZZ_KEEP/" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cd "$WORK"
export CARELOOP_DATABASE_URL="sqlite://$WORK/fuzz.sqlite"
export CARELOOP_PUBLIC_REVIEWS_BURST=100000 CARELOOP_PUBLIC_REVIEWS_PER_MINUTE=100000
export CARELOOP_ALLOW_PRIVATE_WEBHOOKS=1
unset CARELOOP_SMTP_URL
# Known here, so fuzz_setup.py can sign a return path and make a bounce (a suppression to clear).
export CARELOOP_SECRET="fuzz-secret-of-at-least-thirty-two-characters" CARELOOP_MAIL_DOMAIN=fuzz.test

SLUG=fuzz
"$BIN" create-store --name "Fuzz Store" --slug "$SLUG" --owner-email owner@fuzz.test \
    --owner-password 'fuzz owner password' > store.json 2> create-store.log \
    || { cat create-store.log >&2; echo "fuzz: create-store failed" >&2; exit 2; }
KEY="$(python3 -c 'import json; print(json.load(open("store.json"))["api_key"])')"

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --hostname 127.0.0.1 --port "$PORT" > server.log 2>&1 &
PIDS+=($!)

# A webhook receiver that answers 410 Gone: its deliveries are dead-lettered at once.
RECEIVER_PORT="$(free_port)"
python3 - "$RECEIVER_PORT" > receiver.log 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Gone(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(410)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Gone).serve_forever()
PY
PIDS+=($!)

for _ in $(seq 1 120); do
    if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
        tail -20 server.log >&2; echo "fuzz: the server exited" >&2; exit 2
    fi
    sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null || { tail -20 server.log >&2; echo "fuzz: the server did not start" >&2; exit 2; }

python3 "$HERE/fuzz_setup.py" "$BASE" "$KEY" "$SLUG" "http://127.0.0.1:$RECEIVER_PORT/hook" > setup.env
# shellcheck disable=SC1091
source setup.env
export FUZZ_API_KEY="$KEY" FUZZ_HOOKS="$HERE/fuzz_hooks.py"

SCHEMA="${FUZZ_SCHEMA:-$BASE/openapi.json}"
[[ "$SCHEMA" == http* ]] || SCHEMA="$(cd "$(dirname "$SCHEMA")" && pwd)/$(basename "$SCHEMA")"
curl -fsS "$BASE/openapi.json" -o served-openapi.json
DOCUMENT="$SCHEMA"; [[ "$SCHEMA" == http* ]] && DOCUMENT="$WORK/served-openapi.json"

echo "fuzz: schemathesis $SCHEMATHESIS_VERSION, seed $SEED, $EXAMPLES examples per operation, $SCHEMA against $BASE"
# Two runs: the examples, coverage and fuzzing phases aim at the ids made above; the stateful phase
# follows links from what it creates itself (a fixed id there would break its sequences).
st_status=0
run_schemathesis() {
    local name="$1" config="$2" phases="$3" started=$SECONDS status=0
    schemathesis --config-file "$HERE/$config" run "$SCHEMA" \
        --url "$BASE" \
        --phases "$phases" \
        --checks all \
        --seed "$SEED" \
        --max-examples "$EXAMPLES" \
        --no-color \
        --report ndjson,junit \
        --report-dir "$WORK/report" \
        --report-ndjson-path "$WORK/report/$name.ndjson" \
        --report-junit-path "$WORK/report/$name.xml" \
        > "$name.log" 2>&1 &
    # In the background and waited for, so that a TERM (the CI's timeout) stops it and the server at once.
    ST_PID=$!
    wait "$ST_PID" || status=$?
    ST_PID=
    cat "$name.log" >> schemathesis.log
    cat "$name.log"
    echo
    echo "fuzz: $name run finished in $((SECONDS - started)) s (exit $status)"
    [[ $status -eq 0 ]] || st_status=$status
}
: > schemathesis.log
run_schemathesis generated schemathesis.toml examples,coverage,fuzzing
run_schemathesis stateful schemathesis-stateful.toml stateful

summary_status=0
python3 "$HERE/fuzz_summary.py" "$DOCUMENT" "$WORK/report/generated.ndjson" "$WORK/report/stateful.ndjson" || summary_status=$?

if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
    echo "fuzz: the server died during the run:" >&2
    tail -20 server.log >&2
    exit 1
fi
if grep -q "Fatal error\|Traceback" server.log; then
    echo "fuzz: the server log holds a crash:" >&2
    grep -n -A5 "Fatal error\|Traceback" server.log | head -40 >&2
    exit 1
fi
if [[ $st_status -ne 0 || $summary_status -ne 0 ]]; then
    echo "fuzz: FAILED (schemathesis exit $st_status, summary exit $summary_status)"
    exit 1
fi
echo "fuzz: passed"
