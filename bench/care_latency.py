#!/usr/bin/env python3
"""Posts 1★ reviews at a steady rate and reads, from the SMTP sink's records, when each care email
was accepted. Prints p50/p99 of (SMTP accepted) - (201 received), per review.

  care_latency.py --url http://127.0.0.1:PORT --key KEY --sink-dir DIR --rate 50 --seconds 30"""
import argparse, glob, http.client, json, os, statistics, threading, time, urllib.parse, uuid

p = argparse.ArgumentParser()
p.add_argument("--url", required=True)
p.add_argument("--key", required=True)
p.add_argument("--sink-dir", required=True)
p.add_argument("--rate", type=float, default=50)
p.add_argument("--seconds", type=float, default=30)
a = p.parse_args()
u = urllib.parse.urlparse(a.url)
tag = uuid.uuid4().hex[:8]
acked = {}            # email -> time the 201 arrived
lock = threading.Lock()
errors = []

def worker(slots):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for i, due in slots:
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        email = f"c{i}-{tag}@example.com"
        body = json.dumps({"product": {"external_id": f"p{i % 20}", "name": f"Product {i % 20}"},
                           "customer": {"email": email, "name": "Bench Customer"}, "rating": 1,
                           "body": f"Broke on day {i}."})
        try:
            conn.request("POST", "/api/v1/reviews", body, {"Content-Type": "application/json", "Authorization": f"Bearer {a.key}"})
            r = conn.getresponse(); r.read()
            t = time.time()
            if r.status == 201:
                with lock: acked[email] = t
            else:
                errors.append(r.status)
        except Exception as e:  # keep going; report at the end
            errors.append(str(e)); conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

n = int(a.rate * a.seconds)
start = time.time() + 0.5
slots = [(i, start + i / a.rate) for i in range(n)]
threads = [threading.Thread(target=worker, args=(slots[k::8],)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()

# Wait for the emails (at most 30 s after the last review).
deadline = time.time() + 30
received = {}
while time.time() < deadline:
    for f in glob.glob(os.path.join(a.sink_dir, "*.json")):
        rec = json.load(open(f))
        for rcpt in rec["rcpt_tos"]:
            if rcpt.endswith(f"-{tag}@example.com"):
                received.setdefault(rcpt, rec["received_at"])
    if len(received) >= len(acked):
        break
    time.sleep(0.2)

lat = sorted((received[e] - acked[e]) * 1000 for e in acked if e in received)
def pct(q): return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
print(f"reviews posted: {n} at {a.rate:g}/s for {a.seconds:g} s; 201s: {len(acked)}; errors: {len(errors)}")
print(f"care emails accepted by SMTP: {len(received)}; missing: {len(acked) - len([e for e in acked if e in received])}")
print(f"201 -> SMTP accepted: p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, max {lat[-1] if lat else float('nan'):.1f} ms (target p99 < 500 ms)")
