#!/usr/bin/env python3
"""The first care touch under load: p50/p99 from a 1★ review's 201 to Postfix's smtp-sink accepting
its care mail (a sink that is not itself the limit: it announces PIPELINING and writes each message
to its own file). Each binary is measured in turn, side by side, on a fresh SQLite database.

  care_latency.py --bins "old=/path/a new=/path/b" [--scenarios single:200,multi:500:20,bulk:20:5000] [--seconds 30]

Scenarios:
  single:RATE             one store, RATE 1★ reviews a second
  multi:RATE:STORES       RATE a second spread over STORES stores
  bulk:RATE:REQUESTS      one store with REQUESTS review-request mails being delivered while RATE 1★
                          reviews a second come in (the care mail must not wait behind them)
"""
import argparse, email.utils, http.client, json, os, shutil, statistics, subprocess, sys, tempfile, threading, time, urllib.parse, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "gauntlet"))
from postfix import SmtpSink  # noqa: E402
from harness import Dashboard, free_port  # noqa: E402


def api(port, method, path, key, body=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data else None)


class Server:
    def __init__(self, binary, work, sink_port, stores):
        self.binary, self.work = binary, work
        self.env = dict(os.environ, CARELOOP_DATABASE_URL=f"sqlite://{work}/careloop.sqlite", CARELOOP_MAIL_DOMAIN="mail.test",
                        CARELOOP_SMTP_URL=f"smtp://127.0.0.1:{sink_port}?starttls=never", CARELOOP_REQUEST_SWEEP_SECONDS="1",
                        CARELOOP_MAX_CONNECTIONS_PER_ADDRESS="0")
        self.keys = []
        for i in range(stores):
            out = subprocess.run([binary, "create-store", "--name", f"Store {i}", "--slug", f"store-{i}", "--owner-email",
                                  f"o{i}@bench.test", "--owner-password", "bench password"], env=self.env, cwd=work,
                                 capture_output=True, text=True, check=True)
            self.keys.append(json.loads(out.stdout)["api_key"])
        self.port = free_port()
        self.log = open(os.path.join(work, "server.log"), "wb")
        self.proc = subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)], env=self.env, cwd=work,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"{binary} did not start")

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def post_reviews(port, keys, rate, seconds, tag):
    """1★ reviews at a steady rate over the stores; returns {email: time the 201 came} and errors."""
    acked, errors, lock = {}, [], threading.Lock()
    n = int(rate * seconds)
    start = time.time() + 0.3
    def worker(slots):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i, due in slots:
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            email_address = f"c{i}-{tag}@customers.test"
            body = json.dumps({"product": {"external_id": f"p{i % 20}", "name": f"Product {i % 20}"}, "rating": 1,
                               "customer": {"email": email_address, "name": "Bench Customer"}, "body": f"Broke on day {i}."})
            try:
                conn.request("POST", "/api/v1/reviews", body, {"Content-Type": "application/json",
                                                               "Authorization": f"Bearer {keys[i % len(keys)]}"})
                r = conn.getresponse()
                r.read()
                t = time.time()
                if r.status == 201:
                    with lock:
                        acked[email_address] = t
                else:
                    errors.append(r.status)
            except Exception as e:  # keep going; reported at the end
                errors.append(type(e).__name__)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    slots = [(i, start + i / rate) for i in range(n)]
    threads = [threading.Thread(target=worker, args=(slots[k::12],)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acked, errors


def seed_requests(server, count):
    """`count` fulfilled orders whose review requests are due at once (no delay, no quiet hours)."""
    board = Dashboard(server.port, "o0@bench.test", "bench password")
    board.post("/app/settings/requests", {"delay_days": "0", "first_reminder": "", "second_reminder": "", "daily_cap": "100000",
                                          "quiet_start_hour": "0", "quiet_end_hour": "0", "time_zone": "UTC", "language": "en"})
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    def worker(ids):
        for i in ids:
            api(server.port, "POST", "/api/v1/orders", server.keys[0], {
                "external_id": f"bulk-{i}", "customer": {"email": f"buyer{i}@customers.test"}, "placed_at": when,
                "fulfilled_at": when, "items": [{"product": {"external_id": "mug", "name": "Mug"}, "quantity": 1}]})
    threads = [threading.Thread(target=worker, args=(range(k, count, 8),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(name, binary, scenario, seconds):
    kind, *numbers = scenario.split(":")
    rate = float(numbers[0])
    stores = int(numbers[1]) if kind == "multi" else 1
    work = tempfile.mkdtemp(prefix="careloop-latency-")
    os.chmod(work, 0o755)
    sink = SmtpSink(os.path.join(work, "sink")).start()
    server = Server(binary, work, sink.port, stores)
    try:
        bulk_before = 0
        if kind == "bulk":
            seed_requests(server, int(numbers[1]))
            # Wait until the sweep has queued them and they are going out.
            deadline = time.time() + 60
            while time.time() < deadline and len(os.listdir(sink.dump_dir)) < 20:
                time.sleep(0.2)
            bulk_before = len(os.listdir(sink.dump_dir))
        tag = uuid.uuid4().hex[:8]
        cpu0 = server.cpu_seconds()
        started = time.time()
        acked, errors = post_reviews(server.port, server.keys, rate, seconds, tag)
        # Every care mail, or 60 s after the last review.
        deadline = time.time() + 60
        while time.time() < deadline:
            mails = {}
            for r in sink.records():
                to = email.utils.parseaddr(r.get("to") or "")[1]
                mails[to] = r["accepted_time"]
            if all(e in mails for e in acked):
                break
            time.sleep(0.5)
        cpu = server.cpu_seconds() - cpu0
        got = {e: mails[e] for e in acked if e in mails}
        lat = sorted((got[e] - acked[e]) * 1000 for e in got)
        bulk_during = sum(1 for r in sink.records()
                          if email.utils.parseaddr(r.get("to") or "")[1].startswith("buyer") and r["accepted_time"] > started) \
            if kind == "bulk" else 0
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
        print(f"{name:>6} {scenario:<16} reviews {len(acked)}/{int(rate * seconds)} (errors {len(errors)}), care mails {len(got)}, "
              f"201→accepted p50 {pct(0.5):.1f} ms p99 {pct(0.99):.1f} ms max {lat[-1] if lat else float('nan'):.1f} ms; "
              f"server CPU {cpu / max(1, len(acked)) * 1000:.2f} ms a review" + (" (with the request mails)" if kind == "bulk" else "")
              + (f"; request mails delivered meanwhile {bulk_during} (before {bulk_before})" if kind == "bulk" else ""), flush=True)
    finally:
        server.stop()
        sink.stop()
        shutil.rmtree(work, ignore_errors=True)


# smtp-sink's dump starts with its own headers, then the message's: the message's To is what we need.
_records = SmtpSink.records
def _with_to(self):
    out = _records(self)
    for r in out:
        try:
            with open(r["path"], "rb") as f:
                head = f.read(4096).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
            for line in head.splitlines():
                if line.lower().startswith("to:"):
                    r["to"] = line[3:].strip()
        except OSError:
            pass
    return out
SmtpSink.records = _with_to


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--bins", required=True, help='"name=/path/careloop ..."')
    p.add_argument("--scenarios", default="single:200,multi:500:20,bulk:20:5000")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--rounds", type=int, default=1)
    a = p.parse_args()
    bins = [b.split("=", 1) for b in a.bins.split()]
    print(f"== care latency: {os.cpu_count()} cores, SQLite, Postfix smtp-sink; {a.seconds:g} s a run ==", flush=True)
    for scenario in a.scenarios.split(","):
        for _ in range(a.rounds):
            for name, binary in bins:
                run(name, binary, scenario, a.seconds)
