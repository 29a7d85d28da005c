#!/usr/bin/env python3
"""Soak: mixed load on one `careloop serve` (SQLite, a real SMTP server) for SOAK_SECONDS (default
300), sampling the process's resident memory. After a warm-up (the first fifth, at least 30 s), the
resident size may grow by less than 10 %: every cache and queue is bounded, so a steady load reaches
a steady size. Also: no request answered 500, and the care mails keep flowing.

  SOAK_SECONDS=300 python3 Tests/gauntlet/soak.py
"""
import collections, os, random, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, Sink, cleanup, create_store, request, workdir  # noqa: E402

SECONDS = max(60, min(int(os.environ.get("SOAK_SECONDS", "300")), 3600))


def main():
    wd = workdir("soak")
    sink = Sink(wd)
    env = {"CARELOOP_DATABASE_URL": "sqlite://care.sqlite", "CARELOOP_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
           "CARELOOP_MAIL_DOMAIN": "mail.test", "CARELOOP_PUBLIC_REVIEWS_BURST": "1000000",
           "CARELOOP_PUBLIC_REVIEWS_PER_MINUTE": "1000000"}
    node = Node(wd, env)
    statuses = collections.Counter()
    lock = threading.Lock()
    try:
        node.start()
        key = create_store(wd, env)
        stop_at = time.time() + SECONDS
        counter = iter(range(10**9))

        def count(status):
            with lock:
                statuses[status] += 1

        def writer():
            rng = random.Random()
            while time.time() < stop_at:
                with lock:
                    n = next(counter)
                kind = n % 10
                if kind < 6:
                    status, _ = request(node.port, "POST", "/api/v1/reviews", {
                        "product": {"external_id": f"p{rng.randrange(200)}", "name": "Product"},
                        "customer": {"email": f"s{n}@example.com", "name": "Soak Tester"}, "rating": 1 + n % 5,
                        "body": f"Soak review {n}: " + "words " * rng.randrange(1, 80)}, key=key)
                elif kind < 8:
                    status, _ = request(node.port, "POST", "/api/v1/orders", {
                        "external_id": f"o{n}", "customer": {"email": f"s{n - 1}@example.com"},
                        "items": [{"product": {"external_id": f"p{rng.randrange(200)}", "name": "Product"}, "quantity": 1 + n % 3,
                                   "unit_price": 1999}]}, key=key)
                else:
                    status, body = request(node.port, "GET", "/api/v1/conversations?status=open&per_page=5", key=key)
                    convs = body.get("conversations", []) if status == 200 else []
                    if convs:
                        count(status)
                        status, _ = request(node.port, "POST", f"/api/v1/conversations/{rng.choice(convs)['id']}/messages",
                                            {"body": f"Thanks for telling us, reply {n}"}, key=key)
                count(status)

        def reader():
            rng = random.Random()
            while time.time() < stop_at:
                page = rng.randrange(1, 30)
                status, _ = request(node.port, "GET", f"/api/v1/public/stores/gauntlet/products/p{rng.randrange(200)}/reviews"
                                                      f"?page={page}&per_page={rng.choice([5, 10, 20])}")
                count(status)

        threads = [threading.Thread(target=writer) for _ in range(3)] + [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        samples = []
        warmup = max(30, SECONDS // 5)
        started = time.time()
        while time.time() < stop_at:
            time.sleep(5)
            samples.append((time.time() - started, node.rss_kib()))
        for t in threads:
            t.join()
        after_warmup = [rss for t, rss in samples if t >= warmup]
        base, end = after_warmup[0], after_warmup[-1]
        peak = max(after_warmup)
        growth = (end - base) / base
        mails = len(sink.mails())
        print(f"soak: {SECONDS} s, {sum(statuses.values())} requests {dict(statuses)}, {mails} care mails delivered")
        print(f"  resident memory: {samples[0][1] / 1024:.1f} MiB at 5 s, {base / 1024:.1f} MiB after the {warmup} s warm-up, "
              f"{end / 1024:.1f} MiB at the end (peak {peak / 1024:.1f}): growth {growth * 100:+.1f} %")
        failures = []
        if growth >= 0.10: failures.append(f"resident memory grew {growth * 100:.1f} % after warm-up (limit 10 %)")
        if statuses.get(500): failures.append(f"{statuses[500]} requests answered 500")
        if statuses.get(0): failures.append(f"{statuses[0]} requests got no answer")
        if mails == 0: failures.append("no care mail was delivered")
        for f in failures:
            print("FAIL:", f)
        print("soak:", "ok" if not failures else f"{len(failures)} failure(s)")
        return 1 if failures else 0
    finally:
        node.stop()
        sink.stop()
        cleanup(wd)


if __name__ == "__main__":
    sys.exit(main())
