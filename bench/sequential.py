#!/usr/bin/env python3
"""bench/sequential.py HOST PORT PATH N [HEADER ...] — sends N GET requests one after another on one
kept-alive connection and fails unless every one is a 2xx. bench/lists runs it while `perf stat`
counts the server's instructions, so the count divided by N is what one request costs the server:
the same figure run after run, whatever else the machine does (valgrind's callgrind, which counts
exactly, crashes on the Swift 6.3 runtime)."""
import http.client
import sys

host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
headers = dict(h.split(": ", 1) for h in sys.argv[5:] if ": " in h and not h.endswith(": "))
conn = http.client.HTTPConnection(host, port, timeout=30)
for i in range(n):
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if not 200 <= response.status < 300:
        sys.exit(f"request {i + 1} of {path}: {response.status}")
