#!/usr/bin/env python3
"""SQLite under faults, with the real binary, a real SMTP server and a real full disk.

1. kill -9 under load: reviews of every rating (1–3★ open a care conversation and queue its mail in the
   same transaction) posted from several threads; the server is killed with SIGKILL mid-load and
   started again. Then: every review answered 201 exists exactly once, and every acknowledged review
   that opened a conversation got its care mail at the SMTP server, under one Message-ID (a resend
   after the crash carries the same one).
2. Disk full: the database lives on a small tmpfs that is then filled. Writes answer 503 with a clear
   error (never 500), reads keep working, PRAGMA integrity_check is ok, and writes succeed again once
   space returns.

  python3 Tests/gauntlet/sqlite_faults.py      (CARELOOP_BIN: the binary; needs root for the tmpfs)
"""
import collections, json, os, sqlite3, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, Sink, all_reviews, cleanup, create_store, request, workdir  # noqa: E402


def post_review(port, key, n):
    rating = 1 + n % 5
    body = {"product": {"external_id": f"p{n % 7}", "name": "Product"}, "customer": {"email": f"c{n}@example.com", "name": f"Cus Tomer{n}"},
            "rating": rating, "body": f"Review number {n} for the fault test"}
    status, answer = request(port, "POST", "/api/v1/reviews", body, key=key, timeout=15)
    return status, (answer or {}).get("id") if isinstance(answer, dict) else None, rating


def kill_under_load():
    wd = workdir("kill9")
    sink = Sink(wd)
    env = {"CARELOOP_DATABASE_URL": "sqlite://care.sqlite", "CARELOOP_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
           "CARELOOP_MAIL_DOMAIN": "mail.test", "CARELOOP_RETRY_BASE_SECONDS": "1"}
    node = Node(wd, env)
    try:
        node.start()
        key = create_store(wd, env)
        results, lock, counter = [], threading.Lock(), iter(range(10**9))
        stop_at = time.time() + 8

        def worker():
            while time.time() < stop_at:
                with lock:
                    n = next(counter)
                status, rid, rating = post_review(node.port, key, n)
                with lock:
                    results.append((n, status, rid, rating))
                if status == 0:
                    time.sleep(0.05)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(3)
        node.kill()
        killed_at = time.time()
        time.sleep(0.5)
        node.start()
        restarted_in = time.time() - killed_at
        for t in threads:
            t.join()

        acked = {rid: (n, rating) for n, status, rid, rating in results if status == 201}
        statuses = collections.Counter(status for _, status, _, _ in results)
        # the outbox drains: every queued care mail delivered
        deadline = time.time() + 60
        while time.time() < deadline:
            status, body = request(node.port, "GET", "/api/v1/outbox?status=pending&kind=email", key=key)
            if status == 200 and not body.get("jobs"):
                break
            time.sleep(0.5)
        stored = all_reviews(node.port, key)
        missing = [r for r in acked if r not in stored]
        doubled = [r for r, copies in stored.items() if len(copies) > 1]
        mails = collections.defaultdict(set)
        copies = collections.Counter()
        for m in sink.mails():
            for to in m["rcpt_tos"]:
                mails[to.lower()].add(m["headers"].get("message-id"))
                copies[to.lower()] += 1
        cared = [n for n, rating in acked.values() if rating <= 3]
        no_mail = [n for n in cared if not mails.get(f"c{n}@example.com")]
        two_ids = [n for n in cared if len(mails.get(f"c{n}@example.com", ())) > 1]
        resent = sum(c - 1 for c in copies.values() if c > 1)
        print(f"kill -9 under load: {len(results)} requests {dict(statuses)}; {len(acked)} reviews acknowledged, "
              f"{len(cared)} with care; node back in {restarted_in:.1f} s")
        print(f"  stored {len(stored)}, missing {len(missing)}, doubled {len(doubled)}; care mails missing {len(no_mail)}, "
              f"under two Message-IDs {len(two_ids)}, resent with the same Message-ID {resent}")
        failures = []
        if missing: failures.append(f"{len(missing)} acknowledged reviews lost: {missing[:5]}")
        if doubled: failures.append(f"{len(doubled)} reviews stored twice")
        if no_mail: failures.append(f"{len(no_mail)} care mails never arrived: reviews {no_mail[:5]}")
        if two_ids: failures.append(f"{len(two_ids)} customers got the care mail under two Message-IDs")
        if statuses.get(500): failures.append(f"{statuses[500]} requests answered 500")
        if not acked: failures.append("no review was acknowledged")
        return failures
    finally:
        node.stop()
        sink.stop()
        cleanup(wd)


def disk_full():
    wd = workdir("diskfull")
    mount = os.path.join(wd, "small")
    os.makedirs(mount)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mount]).returncode != 0:
        cleanup(wd)
        return ["could not mount a tmpfs (needs root): the disk-full test did not run"]
    node = None
    try:
        env = {"CARELOOP_DATABASE_URL": f"sqlite://{mount}/care.sqlite"}
        node = Node(wd, env)
        node.start()
        key = create_store(wd, env)
        acked = [rid for rid in (post_review(node.port, key, n)[1] for n in range(20)) if rid]
        # fill the disk
        filler = os.path.join(mount, "filler")
        # Unbuffered: a write the full disk took only part of leaves nothing for close() to flush again
        # (a buffered file raised ENOSPC from its close, depending on how the free space divided).
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        full = collections.Counter()
        sample_error = None
        # SQLite commits into space its files already hold (a WAL reset after a checkpoint is reused
        # from the start), so the first writes may still fit: write until the disk refuses a few.
        for n in range(20, 420):
            status, answer = request(node.port, "POST", "/api/v1/reviews",
                                     {"product": {"external_id": "p", "name": "P"}, "customer": {"email": f"f{n}@example.com"},
                                      "rating": 4, "body": "x" * 4000 + str(n)}, key=key)
            full[status] += 1
            if status == 201:
                acked.append(answer["id"])
            elif status == 503 and sample_error is None:
                sample_error = answer
            if full[503] >= 5:
                break
        reads = {path: request(node.port, "GET", path, key=key)[0]
                 for path in ["/healthz", "/api/v1/reviews?per_page=5", "/api/v1/public/stores/gauntlet/products/p0/reviews"]}
        os.remove(filler)
        resumed = None
        deadline = time.time() + 20
        while time.time() < deadline:
            status, rid, _ = post_review(node.port, key, 1000 + int(time.time() * 1000) % 100000)
            if status == 201:
                resumed = rid
                acked.append(rid)
                break
            time.sleep(0.5)
        stored = all_reviews(node.port, key)
        node.stop()
        integrity = sqlite3.connect(os.path.join(mount, "care.sqlite")).execute("PRAGMA integrity_check").fetchone()[0]
        print(f"disk full: writes while full {dict(full)}; reads while full {reads}; writes resumed: {resumed is not None}; "
              f"integrity_check: {integrity}")
        print(f"  the 503 said: {json.dumps(sample_error)}")
        failures = []
        if full.get(500): failures.append(f"{full[500]} writes answered 500 on a full disk")
        if not full.get(503): failures.append("no write was refused with 503 on a full disk")
        if any(s != 200 for s in reads.values()): failures.append(f"reads failed while the disk was full: {reads}")
        if resumed is None: failures.append("writes did not resume after space returned")
        if integrity != "ok": failures.append(f"integrity_check: {integrity}")
        lost = [r for r in acked if r not in stored]
        if lost: failures.append(f"{len(lost)} acknowledged reviews lost")
        return failures
    finally:
        if node:
            node.stop()
        subprocess.run(["umount", "-l", mount])
        cleanup(wd)


if __name__ == "__main__":
    failures = kill_under_load() + disk_full()
    for f in failures:
        print("FAIL:", f)
    print("sqlite faults:", "ok" if not failures else f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
