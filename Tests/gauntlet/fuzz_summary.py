"""Reads Schemathesis NDJSON event logs and prints, per documented operation, how many requests
were sent and how many were answered 2xx, 4xx and 5xx. Exits 1 when a write operation (POST, PUT,
PATCH, DELETE) had no request accepted (2xx), or when the logs hold no request at all.

Usage: fuzz_summary.py DOCUMENT.json EVENTS.ndjson...
"""

import collections
import json
import re
import sys

document_path, event_paths = sys.argv[1], sys.argv[2:]
document = json.load(open(document_path))

# Every documented operation, so one that was never exercised shows up as 0.
templates = []
for path, item in document["paths"].items():
    for method in item:
        if method in ("get", "post", "put", "patch", "delete"):
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
            templates.append((method.upper(), path, re.compile(pattern)))


def operation(method, uri):
    path = re.sub(r"^[a-z]+://[^/]+", "", uri).split("?")[0]
    for m, template, rx in templates:
        if m == method and rx.match(path):
            return f"{m} {template}"
    return None


counts = collections.defaultdict(collections.Counter)
events = (json.loads(line) for path in event_paths for line in open(path, encoding="utf-8"))
for event in events:
    finished = event.get("ScenarioFinished")
    if not finished:
        continue
    for interaction in (finished.get("recorder") or {}).get("interactions", {}).values():
        request, response = interaction.get("request") or {}, interaction.get("response") or {}
        label = operation(request.get("method", ""), request.get("uri", ""))
        if label is None or not response:
            continue
        status = response.get("status_code", 0)
        counts[label]["sent"] += 1
        counts[label][f"{status // 100}xx"] += 1

labels = sorted({f"{m} {t}" for m, t, _ in templates}, key=lambda s: (s.split(" ", 1)[1], s))
width = max(len(s) for s in labels)
print(f"{'operation':{width}}  {'sent':>6}  {'2xx':>5}  {'4xx':>5}  {'5xx':>4}")
missing = []
for label in labels:
    c = counts[label]
    print(f"{label:{width}}  {c['sent']:6}  {c['2xx']:5}  {c['4xx']:5}  {c['5xx']:4}")
    if label.split(" ", 1)[0] in ("POST", "PUT", "PATCH", "DELETE") and c["2xx"] == 0:
        missing.append(label)

total = sum(c["sent"] for c in counts.values())
print(f"{total} requests; {sum(c['2xx'] for c in counts.values())} accepted (2xx); "
      f"{sum(c['5xx'] for c in counts.values())} server errors (5xx)")
if total == 0:
    print("fuzz: no request was recorded")
    sys.exit(1)
if missing:
    print("fuzz: no generated request was accepted by: " + ", ".join(missing))
    sys.exit(1)
