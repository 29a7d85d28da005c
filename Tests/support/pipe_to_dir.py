#!/usr/bin/env python3
"""A pipe(8) command for tests: saves the raw message on stdin to DIR/<stamp>.eml and what it was
run with to DIR/<stamp>.json (argv, time, uid), then exits 0.

  pipe_to_dir.py DIR [ARG ...]          (ARGs are recorded; e.g. ${recipient} ${original_recipient})

To make a delivery fail, a test writes DIR/exit-codes.json: {"ARG": [75, 0, ...]}. When one of the
ARGs equals a key, the first code of its list is used up and the script exits with it (75 =
EX_TEMPFAIL: Postfix defers and retries; 1, 67, ...: Postfix bounces). Every attempt, failed or
not, is appended to DIR/attempts.jsonl. Runs as an unprivileged user (Postfix refuses root), so
DIR must be writable by that user. Standard library only; no HOME or PATH needed."""
import fcntl, json, os, sys, time


def exit_code_for(directory, args):
    path = os.path.join(directory, "exit-codes.json")
    if not os.path.exists(path):
        return 0
    # Deliveries run in parallel: take the lock before using a code up.
    with open(os.path.join(directory, ".exit-codes.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(path) as f:
            table = json.load(f)
        for arg in args:
            codes = table.get(arg)
            if codes:
                code = codes.pop(0)
                tmp = path + ".%d.tmp" % os.getpid()
                with open(tmp, "w") as f:
                    json.dump(table, f)
                os.replace(tmp, path)
                return int(code)
    return 0


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: pipe_to_dir.py DIR [ARG ...]\n")
        return 64  # EX_USAGE
    directory, args = sys.argv[1], sys.argv[2:]
    raw = sys.stdin.buffer.read()
    now = time.time()
    code = exit_code_for(directory, args)
    stamp = "%.6f-%d" % (now, os.getpid())
    record = {"argv": args, "time": now, "uid": os.getuid(), "exit": code, "bytes": len(raw)}
    with open(os.path.join(directory, "attempts.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")
    if code != 0:
        # Plain words: output starting with an enhanced status code (4.x.x/5.x.x) would override the exit code.
        sys.stdout.write("pipe_to_dir: exiting with %d as exit-codes.json says\n" % code)
        return code
    # Write under a temporary name, then rename: a reader never sees half a message.
    for suffix, data in ((".json", json.dumps(record, indent=1).encode()), (".eml", raw)):
        tmp = os.path.join(directory, "." + stamp + suffix)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(directory, stamp + suffix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
