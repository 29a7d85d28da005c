#!/usr/bin/env python3
"""A real HTTP webhook receiver for CareLoop's tests. Every POST is written to DIR/NNNN.json: the
path, the headers, the body, the status answered, and whether the Standard Webhooks signature
checks out against the secret in --secret-file (read at each request, so a test can write it once
the endpoint exists). The check is done here, with Python's hmac, independently of CareLoop's code.

  webhook_receiver.py --port P --dir DIR [--secret-file F] [--fail-first N] [--status CODE]

--fail-first N answers 500 to the first N requests; --status answers CODE to every request after those.
--trickle S sends the status line and headers, then one byte of the body every S seconds (a receiver
that never finishes its answer); --answer TEXT sends TEXT as the body (what an internal service says)."""
import argparse, base64, hashlib, hmac, itertools, json, os, signal, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

signal.signal(signal.SIGTERM, signal.SIG_DFL)
parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--dir", required=True)
parser.add_argument("--secret-file")
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--status", type=int, default=204)
parser.add_argument("--trickle", type=float, default=0)
parser.add_argument("--answer", default="")
args = parser.parse_args()
os.makedirs(args.dir, exist_ok=True)
counter = itertools.count(1)


def signature_valid(headers, body):
    if not args.secret_file or not os.path.exists(args.secret_file):
        return None
    secret = open(args.secret_file).read().strip()
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    signed = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split(" ") if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = next(counter)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = 500 if n <= args.fail_first else args.status
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"path": self.path, "headers": headers, "body": body.decode("utf-8", "replace"), "status": status,
                  "signature_valid": signature_valid(headers, body), "received_at": time.time()}
        tmp = os.path.join(args.dir, f".{n:04d}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(args.dir, f"{n:04d}.json"))
        self.send_response(status)
        if args.trickle:
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(args.trickle)
            except OSError:
                pass
            return
        answer = args.answer.encode()
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *a):
        pass


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
print("ready", flush=True)
server.serve_forever()
