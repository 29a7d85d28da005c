#!/usr/bin/env python3
"""Scale-out under faults: three CareLoop nodes behind HAProxy on one PostgreSQL database, under
load, while one node is killed and restarted and PostgreSQL itself is restarted.

What it does
  1. Creates a fresh database (careloop_gauntlet_<random>) on an already running PostgreSQL server,
     runs `careloop migrate` and `careloop create-store`.
  2. Starts a real SMTP sink and a real webhook receiver (Tests/support), three `careloop serve`
     nodes sharing the database and secret, and HAProxy in front of them (health checks, L7 retries
     on connection failures, empty responses and 503, redispatch).
  3. Registers a webhook endpoint (review.created, conversation.opened), then loads the cluster for
     GAUNTLET_SECONDS from GAUNTLET_THREADS client threads: reviews rated 1..5 in turn (1-3 stars
     open a care conversation and queue its email), orders, public review lists, inbox listings and
     staff replies. A request with no HTTP answer, or answered 503, is retried by the client (up to 6
     attempts per logical request, honouring Retry-After up to 5 s); nothing else is retried.
  4. Faults, at 1/3, 1/2 and 2/3 of the load: `kill -9` node 1; restart PostgreSQL (`pg_ctl restart
     -m fast`); start node 1 again on the same port.
  5. Waits up to 60 s for the outbox to drain, then checks:
     - no request was answered 500 (or any 5xx other than 503), no unexpected 4xx;
     - every request got an HTTP answer, except in the moment node 1 is killed: a node that holds a
       request without answering (HAProxy's log shows it waited 10 s or more, then replayed it on
       another node) fails the run; a client timeout on a request the nodes answered in under 10 s
       is only a warning (a busy machine);
     - every review answered 201 is in the database exactly once; copies made by retries are
       counted and reported as a warning (the API has no idempotency key); a copy is a failure only
       when no attempt of its group had an unknown outcome and HAProxy did not replay it;
     - every conversation has its care email at the SMTP sink, by Message-ID, delivered within 60 s
       of the end of the load, to the right customer; every staff message was emailed; resends
       (same Message-ID) are allowed and counted; no mail nobody asked for;
     - every review.created and conversation.opened webhook arrived, signed correctly, duplicates
       only with the same webhook-id;
     - the outbox has nothing pending and nothing dead (a job still pending is explained: its lease,
       and whether it reached the receiver anyway), and every node is still running.
  Prints a short table of figures, the duplicates and slow requests with their HAProxy log lines,
  what was in flight 5 s after the PostgreSQL restart (HAProxy sessions, pg_stat_activity), and the
  nodes' error lines by kind; exits 1 (with the reasons) if any check fails.

  The work folder keeps node1..3.log (timestamped by this script), haproxy.log (one line per request
  with its X-Gauntlet-Attempt tag "<logical request>/<attempt>", retries and timers), mails/ and
  webhooks/.

Run it (needs root: PostgreSQL runs as the `postgres` user):

    bash -c 'source scripts/postgres.sh && start_postgres && python3 Tests/gauntlet/scale_out.py'

Environment
  PG_BIN, PG_DATA, PG_PORT  the running PostgreSQL server (exported by scripts/postgres.sh's
                            start_postgres); it is restarted with the options postgres.sh uses
  CARELOOP_BIN              the binary (default .build/debug/careloop); copied into the work folder
                            first, so a rebuild during the run does not change it
  GAUNTLET_SECONDS          length of the load (default 60)
  GAUNTLET_THREADS          client threads (default 8)
  GAUNTLET_NODE_LOG_LEVEL   the nodes' LOG_LEVEL (e.g. debug: every request and SQL statement, with
                            its request-id), for digging into a failure
  GAUNTLET_KEEP             1: keep the work folder (logs, mails, webhooks) even when all checks pass;
                            it is always kept when a check fails
"""
import collections
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD_SECONDS = float(os.environ.get("GAUNTLET_SECONDS", "60"))
THREADS = int(os.environ.get("GAUNTLET_THREADS", "8"))
KEEP = os.environ.get("GAUNTLET_KEEP") == "1"
REQUEST_TIMEOUT = 6.0        # seconds; the client gives up and retries (outcome unknown)
MAX_ATTEMPTS = 6             # per logical request
DRAIN_SECONDS = 60.0
MAIL_DEADLINE = 60.0         # care emails must arrive within this of the end of the load
MAIL_DOMAIN = "mail.test"
PRODUCTS = [("kettle-%02d" % i, "Gauntlet Kettle %d" % i) for i in range(1, 7)]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CheckFailed(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# PostgreSQL


class Postgres:
    """The running server from scripts/postgres.sh, and this run's own database on it."""

    def __init__(self):
        try:
            self.bin, self.data, self.port = os.environ["PG_BIN"], os.environ["PG_DATA"], os.environ["PG_PORT"]
        except KeyError as e:
            sys.exit(f"{e.args[0]} is not set: source scripts/postgres.sh and call start_postgres first")
        self.db = "careloop_gauntlet_" + secrets.token_hex(4)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{self.db}"

    def _run(self, *args, check=True, timeout=60):
        cmd = ["runuser", "-u", "postgres", "--", os.path.join(self.bin, args[0]), *args[1:]]
        return subprocess.run(cmd, cwd="/", capture_output=True, text=True, check=check, timeout=timeout)

    def create(self):
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", self.db)

    def drop(self):
        self._run("dropdb", "--force", "--if-exists", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", self.db, check=False)

    def restart(self):
        # The same options as scripts/postgres.sh's start_postgres.
        opts = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200"
        return self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.data, "server.log"), "-m", "fast", "-w",
                         "restart", "-o", opts, check=False, timeout=120)

    def query(self, sql):
        """Rows of a query, as lists of strings (tab-separated, so select no free text)."""
        out = self._run("psql", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "-d", self.db,
                        "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout
        return [line.split("\t") for line in out.splitlines() if line]


# ----------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Every child this run starts, so `stop_all` can end each of them (by its own pid)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.children = {}

    def start(self, name, cmd, env=None, wait_ready=False, stamp=False):
        """Starts `cmd` with its output in NAME.log. `wait_ready`: waits for it to print "ready".
        `stamp`: prefixes each line with the time it was read (CareLoop's console log has none)."""
        logfile = open(os.path.join(self.workdir, f"{name}.log"), "ab")
        piped = wait_ready or stamp
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE if piped else logfile,
                             stderr=subprocess.STDOUT if stamp else logfile, cwd=self.workdir, start_new_session=True)
        if wait_ready:
            line = p.stdout.readline().decode().strip()
            if line != "ready":
                self.children[name] = (p, logfile, None)
                raise CheckFailed(f"{name} did not start: {line!r}, see {logfile.name}")

        def copy():  # keeps draining its output so it never blocks on a full pipe
            for line in p.stdout:
                if stamp:
                    now = time.time()
                    line = time.strftime("%H:%M:%S", time.localtime(now)).encode() + b".%03d " % int(now % 1 * 1000) + line
                logfile.write(line)
                logfile.flush()

        copier = threading.Thread(target=copy, daemon=True) if piped else None
        if copier:
            copier.start()
        self.children[name] = (p, logfile, copier)
        return p

    def get(self, name):
        return self.children[name][0]

    def kill9(self, name):
        p, logfile, copier = self.children.pop(name)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if copier:
            copier.join(timeout=5)
        logfile.close()

    def stop(self, name):
        p, logfile, copier = self.children.pop(name)
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if copier:
            copier.join(timeout=5)
        logfile.close()

    def stop_all(self):
        for name in list(self.children):
            try:
                self.stop(name)
            except Exception as e:  # keep stopping the others
                print(f"could not stop {name}: {e}", file=sys.stderr)


def run_careloop(binary, args, env):
    r = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise CheckFailed(f"careloop {args[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def wait_healthy(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise CheckFailed(f"no healthy answer on port {port} after {timeout:.0f} s")


HAPROXY_CONFIG = """\
global
    maxconn 4000
    stats socket {socket} mode 600 level admin
    log stdout format raw local0

defaults
    mode http
    log global
    # client address, backend/server, timers, status, termination state, retries (+ = redispatched),
    # request line, and the X-Gauntlet-Attempt header (which logical request and which attempt)
    log-format "%tr %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %tsc %rc %{{+Q}}r %hr"
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    retries 3
    option redispatch
    option forwardfor
    retry-on conn-failure empty-response 503

frontend gauntlet
    bind 127.0.0.1:{port}
    http-request capture req.hdr(X-Gauntlet-Attempt) len 64
    default_backend careloop

backend careloop
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""


# ----------------------------------------------------------------------------------------------
# The load


class Stats:
    """What the clients saw, shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_status = collections.Counter()       # (op, status) -> count; status is an int or "conn:..."
        self.client_retries = collections.Counter()  # "connection" / "503"
        self.groups = {}                              # group -> {"op", "attempts": [(n, outcome, started, seconds)], ...}
        self.unexpected = []                          # (op, group, attempt, status, body)
        self.timeline = []                            # (t since load start, op, outcome)
        self.conversations = []                       # open conversation ids seen in the inbox
        self.reply_ids = set()                        # staff messages answered 201

    def record(self, op, group, attempt, outcome, started, t):
        """An attempt's outcome; `started` and `t` are seconds since the load began (at its start, at its end)."""
        with self.lock:
            self.by_status[(op, outcome)] += 1
            self.groups.setdefault(group, {"op": op, "attempts": []})["attempts"].append(
                (attempt, outcome, round(started, 2), round(t - started, 2)))
            self.timeline.append((t, op, outcome))


class Client:
    """One keep-alive connection to HAProxy, reopened after any failure."""

    def __init__(self, port, key):
        self.port, self.key, self.conn = port, key, None

    def request(self, method, path, body=None, attempt_tag=None, auth=True):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        headers = {}
        if auth:
            headers["Authorization"] = f"Bearer {self.key}"
        if attempt_tag:
            headers["X-Gauntlet-Attempt"] = attempt_tag
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            payload = resp.read()
            if resp.will_close:
                self.close()
            return resp.status, resp.headers, payload
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def outcome_of(exc):
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "conn:timeout"
    return f"conn:{type(exc).__name__}"


class LoadThread(threading.Thread):
    EXPECTED = {"review": {201}, "order": {200, 201}, "public_list": {200}, "inbox": {200}, "reply": {201}}

    def __init__(self, index, run_id, port, key, stats, start_at, stop_at, rating_counter):
        super().__init__(name=f"load-{index}", daemon=True)
        self.index, self.run_id, self.stats = index, run_id, stats
        self.client = Client(port, key)
        self.start_at, self.stop_at = start_at, stop_at
        self.rating_counter = rating_counter
        self.n = 0
        self.rng = random.Random(index)
        self.acked_reviews = {}  # group -> review id

    def perform(self, op, method, path, make_body, group):
        """One logical request: retried on no answer or 503, like a real client. Returns (status, json)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            body = make_body(attempt) if make_body else None
            started = time.monotonic() - self.start_at
            try:
                status, headers, payload = self.client.request(method, path, body, attempt_tag=f"{group}/{attempt}")
            except (OSError, http.client.HTTPException) as e:
                self.stats.record(op, group, attempt, outcome_of(e), started, time.monotonic() - self.start_at)
                if attempt < MAX_ATTEMPTS:
                    with self.stats.lock:
                        self.stats.client_retries["connection"] += 1
                    time.sleep(0.1 * attempt)
                    continue
                return None, None
            self.stats.record(op, group, attempt, status, started, time.monotonic() - self.start_at)
            if status == 503 and attempt < MAX_ATTEMPTS:
                with self.stats.lock:
                    self.stats.client_retries["503"] += 1
                try:
                    wait = float(headers.get("Retry-After", "1"))
                except ValueError:
                    wait = 1.0
                time.sleep(min(max(wait, 0.1), 5.0))
                continue
            if status not in self.EXPECTED[op]:
                with self.stats.lock:
                    self.stats.unexpected.append((op, group, attempt, status, payload[:300].decode("utf-8", "replace")))
                return status, None
            try:
                return status, json.loads(payload)
            except ValueError:
                return status, None
        return None, None

    def run(self):
        while time.monotonic() < self.stop_at:
            self.n += 1
            group = f"t{self.index}n{self.n}"
            roll = self.rng.random()
            if roll < 0.62:
                self.review(group)
            elif roll < 0.72:
                self.public_list(group)
            elif roll < 0.80:
                self.order(group)
            elif roll < 0.85:
                self.inbox(group)
            else:
                self.reply(group)
        self.client.close()

    def review(self, group):
        rating = next(self.rating_counter) % 5 + 1
        ext, name = self.rng.choice(PRODUCTS)
        email = f"{self.run_id}-{group}@shop.test"

        def body(attempt):
            return {"product": {"external_id": ext, "name": name},
                    "customer": {"email": email, "name": f"Customer {group}"},
                    "rating": rating, "title": f"try {attempt}",
                    "body": f"Gauntlet review grp={group}. The kettle boils quickly and the lid sits well."}

        with self.stats.lock:
            self.stats.groups.setdefault(group, {"op": "review", "attempts": []}).update(rating=rating, email=email)
        status, data = self.perform("review", "POST", "/api/v1/reviews", body, group)
        if status == 201 and data:
            with self.stats.lock:
                self.stats.groups[group]["acked_id"] = data["id"].lower()

    def public_list(self, group):
        ext, _ = self.rng.choice(PRODUCTS)
        self.perform("public_list", "GET", f"/api/v1/public/stores/gauntlet/products/{ext}/reviews?per_page=10", None, group)

    def order(self, group):
        ext, name = self.rng.choice(PRODUCTS)
        self.perform("order", "POST", "/api/v1/orders", lambda attempt: {
            "external_id": f"order-{group}", "customer": {"email": f"{self.run_id}-buyer-{group}@shop.test", "name": "Buyer"},
            "items": [{"product": {"external_id": ext, "name": name}, "quantity": 1, "unit_price": 2999}],
            "total": 2999, "currency": "EUR"}, group)

    def inbox(self, group):
        status, data = self.perform("inbox", "GET", "/api/v1/conversations?status=open&per_page=50", None, group)
        if status == 200 and data:
            with self.stats.lock:
                self.stats.conversations = [c["id"] for c in data.get("conversations", [])] or self.stats.conversations

    def reply(self, group):
        with self.stats.lock:
            pool = list(self.stats.conversations)
        if not pool:
            return self.inbox(group)
        conv = self.rng.choice(pool)
        status, data = self.perform("reply", "POST", f"/api/v1/conversations/{conv}/messages", lambda attempt: {
            "body": f"Staff reply grp={group} try={attempt}. Thanks for telling us; a replacement is on its way."}, group)
        if status == 201 and data:
            with self.stats.lock:
                self.stats.reply_ids.add(data["id"].lower())


class Counter:
    def __init__(self):
        self.lock, self.value = threading.Lock(), 0

    def __next__(self):
        with self.lock:
            self.value += 1
            return self.value - 1


# ----------------------------------------------------------------------------------------------
# The run


class Gauntlet:
    def __init__(self):
        self.pg = Postgres()
        self.workdir = tempfile.mkdtemp(prefix="careloop-gauntlet-")
        self.procs = Processes(self.workdir)
        self.run_id = secrets.token_hex(3)
        self.failures = []
        self.figures = []
        self.events = []  # (t since load start, what happened)
        self.db_created = False
        self.drain_seconds = None
        self.proxy_retried, self.proxy_replays, self.proxy_by_server = 0, collections.Counter(), collections.Counter()
        self.proxy_lines = collections.defaultdict(list)
        self.duplicates, self.resend_times = {}, []
        self.snapshots = []
        self.warnings = []
        self.kill_t = None
        self.proxy_slow = []

    def fail(self, msg):
        self.failures.append(msg)

    # -- setup ---------------------------------------------------------------------------------

    def setup(self):
        source = os.environ.get("CARELOOP_BIN", os.path.join(REPO, ".build/debug/careloop"))
        self.binary = os.path.join(self.workdir, "careloop")
        shutil.copy2(source, self.binary)
        self.pg.create()
        self.db_created = True
        log(f"work folder {self.workdir}, database {self.pg.db} on port {self.pg.port}")

        self.mail_dir = os.path.join(self.workdir, "mails")
        self.hook_dir = os.path.join(self.workdir, "webhooks")
        self.secret_file = os.path.join(self.workdir, "webhook-secret")
        smtp_port, hook_port = free_port(), free_port()
        self.procs.start("smtp", [sys.executable, os.path.join(REPO, "Tests/support/smtp_sink.py"),
                                  "--port", str(smtp_port), "--dir", self.mail_dir], wait_ready=True)
        self.procs.start("receiver", [sys.executable, os.path.join(REPO, "Tests/support/webhook_receiver.py"),
                                      "--port", str(hook_port), "--dir", self.hook_dir, "--secret-file", self.secret_file],
                         wait_ready=True)
        self.hook_url = f"http://127.0.0.1:{hook_port}/hooks/careloop"

        self.env = dict(os.environ)
        self.env.update({
            "CARELOOP_DATABASE_URL": self.pg.url,
            "CARELOOP_SECRET": secrets.token_hex(20),  # 40 characters, shared by every node
            "CARELOOP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "CARELOOP_MAIL_DOMAIN": MAIL_DOMAIN,
            "CARELOOP_ALLOW_PRIVATE_WEBHOOKS": "1",
            "CARELOOP_TRUST_FORWARDED_FOR": "1",  # behind HAProxy: only the total connection cap applies
            "CARELOOP_RETRY_BASE_SECONDS": "1",
        })
        if os.environ.get("GAUNTLET_NODE_LOG_LEVEL"):
            self.env["LOG_LEVEL"] = os.environ["GAUNTLET_NODE_LOG_LEVEL"]
        run_careloop(self.binary, ["migrate"], self.env)
        out = run_careloop(self.binary, ["create-store", "--name", "G", "--slug", "gauntlet", "--owner-email", "g@g.test",
                                         "--owner-password", "long enough pw"], self.env)
        created = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
        self.key, self.store_id = created["api_key"], created["store_id"].lower()

        self.node_ports = [free_port() for _ in range(3)]
        for i in range(3):
            self.start_node(i)
        for port in self.node_ports:
            wait_healthy(port)

        self.proxy_port = free_port()
        self.haproxy_socket = os.path.join(self.workdir, "haproxy.sock")
        servers = "\n".join(f"    server n{i + 1} 127.0.0.1:{p} check inter 500 fall 2 rise 1"
                            for i, p in enumerate(self.node_ports))
        cfg = os.path.join(self.workdir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CONFIG.format(port=self.proxy_port, servers=servers, socket=self.haproxy_socket))
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not os.path.exists(haproxy):
            subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], check=True)
        subprocess.run([haproxy, "-c", "-q", "-f", cfg], check=True)
        self.procs.start("haproxy", [haproxy, "-db", "-f", cfg])
        wait_healthy(self.proxy_port)

        self.api = Client(self.proxy_port, self.key)
        status, _, body = self.api.request("POST", "/api/v1/webhooks",
                                           {"url": self.hook_url, "events": ["review.created", "conversation.opened"]})
        if status != 201:
            raise CheckFailed(f"webhook endpoint not created: {status} {body[:300]!r}")
        with open(self.secret_file, "w") as f:
            f.write(json.loads(body)["secret"])
        # The products exist before anyone lists them.
        for ext, name in PRODUCTS:
            status, _, body = self.api.request("POST", "/api/v1/orders", {
                "external_id": f"seed-{ext}", "customer": {"email": f"{self.run_id}-seed@shop.test"},
                "items": [{"product": {"external_id": ext, "name": name}, "quantity": 1}]})
            if status != 201:
                raise CheckFailed(f"seed order not created: {status} {body[:300]!r}")
        # Nodes keep a store's webhook endpoints for 2 s: let every node see the new one.
        time.sleep(2.5)

    def start_node(self, i):
        name = f"node{i + 1}"
        with open(os.path.join(self.workdir, f"{name}.log"), "ab") as f:
            f.write(f"===== started at {time.strftime('%H:%M:%S')} =====\n".encode())
        self.procs.start(name, [self.binary, "serve", "--hostname", "127.0.0.1", "--port", str(self.node_ports[i])], env=self.env, stamp=True)

    # -- load and faults -----------------------------------------------------------------------

    def faults(self, start):
        def at(fraction):
            delay = start + LOAD_SECONDS * fraction - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            return time.monotonic() - start

        t = at(1 / 3)
        self.kill_t = t
        self.procs.kill9("node1")
        self.events.append((t, "kill -9 node 1"))
        log(f"t={t:.1f}s  kill -9 node 1")
        t = at(1 / 2)
        r = self.pg.restart()
        took = time.monotonic() - start - t
        self.events.append((t, f"PostgreSQL restarted in {took:.1f} s (pg_ctl exit {r.returncode})"))
        log(f"t={t:.1f}s  PostgreSQL restart took {took:.1f} s, exit {r.returncode} {r.stderr.strip()[:200]}")
        if r.returncode != 0:
            self.fail(f"pg_ctl restart failed: {r.stdout} {r.stderr}")
        time.sleep(5)
        self.snapshot(f"5 s after the PostgreSQL restart (t={time.monotonic() - start:.0f}s)")
        t = at(2 / 3)
        self.start_node(0)
        self.events.append((t, "node 1 started again"))
        log(f"t={t:.1f}s  node 1 started again")

    def load(self):
        self.stats = Stats()
        start = time.monotonic()
        stop = start + LOAD_SECONDS
        ratings = Counter()
        threads = [LoadThread(i, self.run_id, self.proxy_port, self.key, self.stats, start, stop, ratings) for i in range(THREADS)]
        fault_thread = threading.Thread(target=self.faults, args=(start,), daemon=True)
        log(f"load: {THREADS} threads for {LOAD_SECONDS:.0f} s through HAProxy on port {self.proxy_port}")
        for t in threads:
            t.start()
        fault_thread.start()
        for t in threads:
            t.join()
        fault_thread.join()
        self.load_end = time.time()
        self.load_seconds = time.monotonic() - start
        log(f"load over after {self.load_seconds:.1f} s")

    # -- after the load ------------------------------------------------------------------------

    def snapshot(self, label):
        """What is still in flight: HAProxy's sessions older than 3 s, and the database's connections
        that are in a transaction or running a query (with how long)."""
        lines = []
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(5)
                sock.connect(self.haproxy_socket)
                sock.sendall(b"show sess\n")
                out = b""
                while chunk := sock.recv(65536):
                    out += chunk
            for line in out.decode(errors="replace").splitlines():
                m = re.search(r"age=(\d+)([smhd])", line)
                if m and "srv=" in line and (m.group(2) != "s" or int(m.group(1)) >= 3):
                    lines.append("haproxy session: " + re.sub(r"\s+", " ", line.split(": ", 1)[-1])[:200])
        except OSError as e:
            lines.append(f"haproxy stats socket: {e}")
        try:
            rows = self.pg.query(
                "SELECT pid, state, coalesce(wait_event_type || ':' || wait_event, '-'), "
                "round(extract(epoch from now() - coalesce(xact_start, query_start))::numeric, 1), "
                "regexp_replace(left(query, 90), '\\s+', ' ', 'g') "
                f"FROM pg_stat_activity WHERE datname = '{self.pg.db}' AND pid <> pg_backend_pid() "
                "AND state <> 'idle' ORDER BY 4 DESC NULLS LAST")
            for r in rows:
                lines.append(f"postgres pid {r[0]} {r[1]} for {r[3]} s, waiting {r[2]}: {r[4]}")
        except subprocess.SubprocessError as e:
            lines.append(f"pg_stat_activity: {e}")
        self.snapshots.append((label, lines))

    def pending(self):
        status, _, body = self.api.request("GET", "/api/v1/outbox?status=pending&per_page=1")
        return json.loads(body)["total"] if status == 200 else None

    def drain(self):
        started = time.monotonic()
        while True:
            try:
                left = self.pending()
            except (OSError, http.client.HTTPException):
                self.api.close()
                left = None
            if left == 0:
                self.drain_seconds = time.monotonic() - started
                log(f"outbox drained {self.drain_seconds:.1f} s after the load")
                return
            if time.monotonic() - started > DRAIN_SECONDS:
                self.drain_seconds = None
                self.fail(f"outbox not drained {DRAIN_SECONDS:.0f} s after the load: {left} pending")
                return
            time.sleep(0.5)

    def check_statuses(self):
        s = self.stats
        for (op, outcome), n in sorted(s.by_status.items(), key=str):
            if isinstance(outcome, int) and outcome >= 500 and outcome != 503:
                self.fail(f"{n} {op} requests answered {outcome}")
        if s.unexpected:
            kinds = collections.Counter((op, st) for op, _, _, st, _ in s.unexpected)
            self.fail(f"unexpected answers {dict(kinds)}; first: {s.unexpected[0]}")
        gave_up = [g for g, v in s.groups.items() if v["attempts"] and v["attempts"][-1][0] == MAX_ATTEMPTS
                   and not (isinstance(v["attempts"][-1][1], int) and v["attempts"][-1][1] < 500)]
        if gave_up:
            self.fail(f"{len(gave_up)} logical requests still failing after {MAX_ATTEMPTS} attempts, e.g. "
                      f"{gave_up[0]}: {s.groups[gave_up[0]]['attempts']}")
        # No answer at all (HAProxy hides a killed node: it retries elsewhere), except in the moment of the kill.
        # HAProxy's log tells a node that held the request without answering (the proxy waited, then replayed
        # it elsewhere: a long Tw with retries, or never logged at all) from a merely slow answer.
        unanswered = [(a[2], g, a) for g, v in s.groups.items() for a in v["attempts"] if isinstance(a[1], str)]
        near_kill = [u for u in unanswered if self.kill_t is not None and self.kill_t - 1 <= u[0] <= self.kill_t + 3]
        hung, slow = [], []
        for t, g, a in sorted(u for u in unanswered if u not in near_kill):
            proxy = [l for l in self.proxy_lines.get(g, []) if f"/{a[0]}}}" in l]
            fields = proxy[0].split(" ") if proxy else []
            timers = fields[2].split("/") if len(fields) > 5 else []
            held = (not proxy or (len(timers) == 5 and timers[1].lstrip("-").isdigit() and int(timers[1]) >= 10000)
                    or (len(timers) == 5 and timers[4].lstrip("-").isdigit() and int(timers[4]) >= 14000))
            (hung if held else slow).append(
                f"{g} ({s.groups[g]['op']}) sent at t={t:.1f}s: {a[1]} after {a[3]:.1f} s; "
                f"haproxy: {proxy[0] if proxy else 'no outcome logged for this attempt'}")
        if near_kill:
            self.warnings.append(f"{len(near_kill)} attempts got no HTTP answer around the kill of node 1 (retried)")
        if slow:
            self.warnings.append(f"{len(slow)} attempts timed out on the client ({REQUEST_TIMEOUT:.0f} s) but were answered "
                                 f"in under 10 s by the nodes (a busy machine?): " + "; ".join(slow[:3]))
        if hung:
            self.fail(f"{len(hung)} requests were held by a node without an answer (none within {REQUEST_TIMEOUT:.0f} s; "
                      f"HAProxy waited 10 s or more and replayed them elsewhere, or logged no outcome):\n      "
                      + "\n      ".join(hung[:6]))

    def check_reviews(self):
        s = self.stats
        rows = self.pg.query(f"SELECT lower(id::text), substring(body from 'grp=([a-z0-9]+)'), title, rating, status "
                             f"FROM reviews WHERE store_id = '{self.store_id}'")
        self.db_reviews = {r[0]: {"group": r[1], "title": r[2], "rating": int(r[3]), "status": r[4]} for r in rows}
        by_group = collections.defaultdict(list)
        for rid, r in self.db_reviews.items():
            by_group[r["group"]].append(rid)
        review_groups = {g: v for g, v in s.groups.items() if v["op"] == "review"}
        acked = {g: v["acked_id"] for g, v in review_groups.items() if "acked_id" in v}
        missing = [g for g, rid in acked.items() if rid not in self.db_reviews]
        if missing:
            self.fail(f"{len(missing)} reviews answered 201 are not in the database, e.g. {missing[:3]} "
                      f"({[review_groups[g]['attempts'] for g in missing[:3]]})")
        strangers = [g for g in by_group if g not in review_groups]
        if strangers:
            self.fail(f"{len(strangers)} reviews in the database that no client sent: {strangers[:3]}")
        self.duplicates, self.unacked_stored, self.bad_dupes = {}, [], []
        for g, ids in by_group.items():
            v = review_groups.get(g)
            if v is None:
                continue
            unknown = [a[0] for a in v["attempts"] if isinstance(a[1], str)]
            answered_201 = [a[0] for a in v["attempts"] if a[1] == 201]
            if len(ids) > 1:
                self.duplicates[g] = ids
                # A copy is explained when an attempt had no answer (it may have been written), or when
                # HAProxy replayed an attempt after the node went silent (its log shows retries).
                if len(ids) > len(unknown) + len(answered_201) + self.proxy_replays.get(g, 0):
                    self.bad_dupes.append(g)
            if not answered_201:
                self.unacked_stored.append(g)
                if not unknown and not self.proxy_replays.get(g):
                    self.fail(f"review {g} is in the database but every attempt got a definite non-201 answer: {v['attempts']}")
        if self.duplicates:
            by_proxy = [g for g in self.duplicates if not any(isinstance(a[1], str) for a in review_groups[g]["attempts"])]
            extra_care = sum(len(ids) - 1 for g, ids in self.duplicates.items() if review_groups[g].get("rating", 5) <= 3)
            self.warnings.append(
                f"{len(self.duplicates)} reviews were stored more than once ({len(self.duplicates) - len(by_proxy)} after a client "
                f"retry of an unanswered attempt, {len(by_proxy)} replayed by HAProxy with the client none the wiser); "
                f"{extra_care} extra care conversations and emails went to those customers. The API has no idempotency "
                f"key, so neither the client nor the proxy can retry a POST safely.")
        if self.bad_dupes:
            g = self.bad_dupes[0]
            self.fail(f"{len(self.bad_dupes)} review groups have more copies than attempts that could have written them, "
                      f"e.g. {g}: attempts {review_groups[g]['attempts']}, copies {self.duplicates[g]}")
        # The API's own list must agree with the database.
        api_ids, page = set(), 1
        while True:
            status, _, body = self.api.request("GET", f"/api/v1/reviews?per_page=100&page={page}")
            if status != 200:
                self.fail(f"GET /api/v1/reviews page {page} answered {status}")
                break
            data = json.loads(body)
            api_ids.update(r["id"].lower() for r in data["reviews"])
            if page * 100 >= data["total"] or not data["reviews"]:
                break
            page += 1
        if api_ids != set(self.db_reviews):
            self.fail(f"GET /api/v1/reviews pages list {len(api_ids)} reviews, the database has {len(self.db_reviews)} "
                      f"(missing from pages {len(set(self.db_reviews) - api_ids)}, extra {len(api_ids - set(self.db_reviews))})")
        self.acked = acked
        self.figures.append(("reviews sent (logical) / answered 201", f"{len(review_groups)} / {len(acked)}"))
        self.figures.append(("reviews in database / duplicate groups / stored unacknowledged",
                             f"{len(self.db_reviews)} / {len(self.duplicates)} / {len(self.unacked_stored)}"))

    def load_mails(self):
        mails = []
        for name in sorted(os.listdir(self.mail_dir)):
            if name.endswith(".json"):
                with open(os.path.join(self.mail_dir, name)) as f:
                    mails.append(json.load(f))
        return mails

    def check_conversations_and_mail(self):
        conversations = self.pg.query(
            f"SELECT lower(c.id::text), lower(coalesce(c.review_id::text, '')), lower(cu.email), extract(epoch from c.created_at) "
            f"FROM conversations c JOIN customers cu ON cu.id = c.customer_id WHERE c.store_id = '{self.store_id}'")
        convs = {c[0]: {"review": c[1], "email": c[2], "created": float(c[3])} for c in conversations}
        per_review = collections.Counter(c["review"] for c in convs.values())
        should_open = {rid for rid, r in self.db_reviews.items() if r["rating"] <= 3}
        without = should_open - set(per_review)
        if without:
            self.fail(f"{len(without)} reviews of 1-3 stars have no conversation, e.g. {sorted(without)[:3]}")
        twice = [rid for rid, n in per_review.items() if n > 1]
        if twice:
            self.fail(f"{len(twice)} reviews have more than one conversation, e.g. {twice[:3]}")
        extra = set(per_review) - should_open
        if extra:
            self.fail(f"{len(extra)} conversations about reviews that should not open one, e.g. {sorted(extra)[:3]}")

        messages = self.pg.query(
            f"SELECT lower(m.id::text), lower(m.conversation_id::text), extract(epoch from m.created_at), "
            f"coalesce(substring(m.body from 'grp=([a-z0-9]+)'), '') "
            f"FROM conversation_messages m WHERE m.store_id = '{self.store_id}' AND m.author = 'staff'")
        staff = {m[0]: {"conv": m[1], "created": float(m[2]), "group": m[3]} for m in messages}
        first_in_conv = {}
        for mid, m in sorted(staff.items(), key=lambda kv: kv[1]["created"]):
            first_in_conv.setdefault(m["conv"], mid)
        lost_replies = self.stats.reply_ids - set(staff)
        if lost_replies:
            self.fail(f"{len(lost_replies)} staff replies answered 201 are not in the database: {sorted(lost_replies)[:3]}")
        reply_groups = collections.Counter(m["group"] for m in staff.values() if m["group"])
        self.reply_dupes = sum(1 for n in reply_groups.values() if n > 1)

        mails = self.load_mails()
        by_id = collections.defaultdict(list)
        for m in mails:
            # The staff's own notices (to the owner: a new 1–2★ conversation) are not customer mail.
            if m["headers"].get("list-unsubscribe", "").find("/app/notifications/stop/") >= 0:
                continue
            by_id[m["headers"].get("message-id", "").strip().strip("<>").lower()].append(m)
        expected = {f"careloop.{mid}@{MAIL_DOMAIN}": mid for mid in staff}
        not_sent = [mid for key, mid in expected.items() if key not in by_id]
        if not_sent:
            first = [mid for mid in not_sent if first_in_conv.get(staff[mid]["conv"]) == mid]
            self.fail(f"{len(not_sent)} staff messages never reached the SMTP sink ({len(first)} of them care emails), "
                      f"e.g. {not_sent[:3]}")
        unasked = [k for k in by_id if k not in expected]
        if unasked:
            self.fail(f"{sum(len(by_id[k]) for k in unasked)} mails at the sink match no staff message: {unasked[:3]}")
        self.resends = {k: len(v) for k, v in by_id.items() if len(v) > 1}
        start_wall = self.load_end - self.load_seconds
        self.resend_times = sorted((min(m["received_at"] for m in v) - start_wall, max(m["received_at"] for m in v) - start_wall)
                                   for v in by_id.values() if len(v) > 1)
        late, wrong_rcpt, latencies = [], [], []
        for conv_id, mid in first_in_conv.items():
            got = by_id.get(f"careloop.{mid}@{MAIL_DOMAIN}")
            if not got:
                continue
            arrived = min(m["received_at"] for m in got)
            latencies.append(arrived - convs[conv_id]["created"] if conv_id in convs else 0)
            if arrived > self.load_end + MAIL_DEADLINE:
                late.append((mid, round(arrived - self.load_end, 1)))
            if conv_id in convs and any([r.lower() for r in m["rcpt_tos"]] != [convs[conv_id]["email"]] for m in got):
                wrong_rcpt.append(mid)
        if late:
            self.fail(f"{len(late)} care emails arrived more than {MAIL_DEADLINE:.0f} s after the load, e.g. {late[:3]}")
        if wrong_rcpt:
            self.fail(f"{len(wrong_rcpt)} care emails went to someone other than the conversation's customer: {wrong_rcpt[:3]}")
        self.conversations = convs
        self.figures.append(("conversations opened / care emails at sink",
                             f"{len(convs)} / {sum(1 for mid in first_in_conv.values() if f'careloop.{mid}@{MAIL_DOMAIN}' in by_id)}"))
        self.figures.append(("staff replies answered 201 / in database / duplicated by retries",
                             f"{len(self.stats.reply_ids)} / {len(reply_groups)} / {self.reply_dupes}"))
        self.figures.append(("mails at sink / distinct Message-IDs / resent Message-IDs (extra copies)",
                             f"{len(mails)} / {len(by_id)} / {len(self.resends)} ({sum(self.resends.values()) - len(self.resends)})"))
        if latencies:
            latencies.sort()
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            self.figures.append(("care email after conversation opened: p50 / p99 / max",
                                 f"{statistics.median(latencies):.2f} s / {p99:.2f} s / {latencies[-1]:.2f} s"))

    def check_webhooks(self):
        records = []
        for name in sorted(os.listdir(self.hook_dir)):
            if name.endswith(".json"):
                with open(os.path.join(self.hook_dir, name)) as f:
                    records.append(json.load(f))
        bad_sig = [r["headers"].get("webhook-id") for r in records if r["signature_valid"] is not True]
        if bad_sig:
            self.fail(f"{len(bad_sig)} webhook deliveries with an invalid or missing signature: {bad_sig[:3]}")
        by_hook_id = collections.defaultdict(list)
        for r in records:
            by_hook_id[r["headers"].get("webhook-id")].append(r)
        changed = [h for h, rs in by_hook_id.items() if len({r["body"] for r in rs}) > 1]
        if changed:
            self.fail(f"{len(changed)} webhook ids were delivered with different bodies: {changed[:3]}")
        subjects = collections.defaultdict(set)  # (type, subject id) -> webhook ids
        for h, rs in by_hook_id.items():
            event = json.loads(rs[0]["body"])
            subjects[(event["type"], event["data"]["id"].lower())].add(h)
        want = {("review.created", rid) for rid in self.db_reviews} | {("conversation.opened", cid) for cid in self.conversations}
        missing = want - set(subjects)
        if missing:
            self.fail(f"{len(missing)} webhook events never reached the receiver, e.g. {sorted(missing)[:3]}")
        unknown = set(subjects) - want
        if unknown:
            self.fail(f"{len(unknown)} webhook events about nothing in the database: {sorted(unknown)[:3]}")
        twice = {k: v for k, v in subjects.items() if len(v) > 1}
        if twice:
            self.fail(f"{len(twice)} events delivered under more than one webhook-id, e.g. {list(twice.items())[:2]}")
        resent = sum(len(rs) - 1 for rs in by_hook_id.values())
        self.figures.append(("webhooks received / distinct ids / resent copies / events expected",
                             f"{len(records)} / {len(by_hook_id)} / {resent} / {len(want)}"))

    def check_outbox_and_nodes(self):
        for status in ("pending", "dead"):
            code, _, body = self.api.request("GET", f"/api/v1/outbox?status={status}&per_page=5")
            data = json.loads(body) if code == 200 else {}
            if code != 200 or data.get("total"):
                self.fail(f"outbox {status}: {data.get('total', code)} jobs, e.g. "
                          f"{[(j['kind'], j['type'], j['attempts'], j['last_error']) for j in data.get('jobs', [])][:3]}")
        # Why a job is still pending: its lease (still held, i.e. renewed by a node?), and whether it went out anyway.
        rows = self.pg.query(
            "SELECT lower(id::text), kind, attempts, round(extract(epoch from locked_until - now())::numeric, 1), "
            "round(extract(epoch from now() - created_at)::numeric, 1), "
            "round(extract(epoch from next_attempt_at - now())::numeric, 1), "
            "coalesce(lower(payload::json->>'message_id'), '') "
            f"FROM outbox WHERE store_id = '{self.store_id}' AND status = 'pending' ORDER BY created_at LIMIT 10")
        if rows:
            hooks, mails = set(), set()
            if os.path.isdir(self.hook_dir):
                for name in os.listdir(self.hook_dir):
                    if name.endswith(".json"):
                        with open(os.path.join(self.hook_dir, name)) as f:
                            hooks.add(json.load(f)["headers"].get("webhook-id"))
            for m in self.load_mails():
                mails.add(m["headers"].get("message-id", "").strip("<>").lower())
            for jid, kind, attempts, lease, age, due, message in rows:
                sent = (f"msg_{jid}" in hooks) if kind == "webhook" else (f"careloop.{message or jid}@{MAIL_DOMAIN}" in mails)
                self.fail(f"pending {kind} job {jid}: created {age} s ago, attempts {attempts}, lease runs out in "
                          f"{lease if lease else '-'} s, due in {due} s; "
                          f"{'it DID reach the receiver/sink but was never marked delivered' if sent else 'never delivered'}")
        for i in range(3):
            p = self.procs.get(f"node{i + 1}")
            if p.poll() is not None:
                self.fail(f"node {i + 1} exited with {p.returncode} (see node{i + 1}.log)")

    def read_haproxy_log(self):
        """HAProxy's own retries per logical request, and per-server status counts."""
        self.proxy_replays, self.proxy_by_server = collections.Counter(), collections.Counter()
        self.proxy_retried = 0
        self.proxy_lines = collections.defaultdict(list)
        path = os.path.join(self.workdir, "haproxy.log")
        pattern = re.compile(r"^\S+ (\S+)/(\S+) \S+ (-?\d+) (\S+) (\+?\d+) \".*?\" \{([^}]*)\}")
        with open(path, errors="replace") as f:
            for line in f:
                m = pattern.search(line)
                if not m:
                    continue
                backend, server, st, term, retries, tag = m.groups()
                self.proxy_by_server[(server, st)] += 1
                timers = line.split(" ")[2].split("/")
                if len(timers) == 5 and timers[4].lstrip("-").isdigit() and int(timers[4]) >= 10000:
                    self.proxy_slow.append(line.strip())
                if tag:
                    self.proxy_lines[tag.split("/")[0]].append(line.strip())
                n = int(retries.lstrip("+"))
                if n > 0:
                    self.proxy_retried += 1
                    if tag:
                        self.proxy_replays[tag.split("/")[0]] += n

    def node_log_summary(self):
        lines = []
        for i in range(3):
            path = os.path.join(self.workdir, f"node{i + 1}.log")
            with open(path, errors="replace") as f:
                text = f.read()
            errors = [l for l in text.splitlines() if re.search(r"\[ (ERROR|CRITICAL) \]|-> 500|Fatal error", l)]
            outages = len(re.findall(r"-> 503, the database is unavailable", text))
            kinds = collections.Counter(re.sub(r"[0-9a-fA-F-]{36}", "<id>", l.split("] ", 1)[-1])[:160] for l in errors)
            lines.append(f"node {i + 1}: {len(errors)} error lines, {outages} requests answered 503 for the database")
            for k, n in kinds.most_common(6):
                lines.append(f"    {n:5d} x {k}")
        return lines

    def report(self):
        s = self.stats
        print()
        print("=" * 100)
        print(f"CareLoop scale-out gauntlet: 3 nodes, HAProxy, PostgreSQL; {THREADS} threads, {self.load_seconds:.0f} s of load")
        start_wall = self.load_end - self.load_seconds
        print(f"  load began at {time.strftime('%H:%M:%S', time.localtime(start_wall))}")
        for t, what in self.events:
            print(f"  t={t:5.1f}s  {time.strftime('%H:%M:%S', time.localtime(start_wall + t))}  {what}")
        print("-" * 100)
        print(f"{'requests':<14}" + "".join(f"{op:>12}" for op in LoadThread.EXPECTED))
        outcomes = sorted({o for _, o in s.by_status}, key=str)
        for o in outcomes:
            print(f"{str(o):<14}" + "".join(f"{s.by_status.get((op, o), 0):>12}" for op in LoadThread.EXPECTED))
        total = sum(s.by_status.values())
        print(f"{'total':<14}{total:>12}   ({total / self.load_seconds:.0f}/s); client retries: "
              f"{s.client_retries['connection']} after no answer, {s.client_retries['503']} after 503; "
              f"HAProxy retried {self.proxy_retried} requests")
        by_window = collections.Counter()
        for t, op, outcome in s.timeline:
            if outcome != 503 and not isinstance(outcome, str):
                continue
            by_window[int(t // 5) * 5] += 1
        if by_window:
            print("503s and no-answers by 5 s window: " + ", ".join(f"{w}-{w + 5}s: {n}" for w, n in sorted(by_window.items())))
        print("-" * 100)
        for name, value in self.figures:
            print(f"{name:<76}{value}")
        drain = f"{self.drain_seconds:.1f} s" if self.drain_seconds is not None else "not drained"
        print(f"{'outbox drained after the load':<76}{drain}")
        print("-" * 100)
        for g, ids in list(self.duplicates.items())[:5]:
            print(f"duplicate review group {g}: {len(ids)} copies "
                  f"{[(self.db_reviews[i]['title'], self.db_reviews[i]['status']) for i in ids]}; "
                  f"client attempts {s.groups[g]['attempts']}")
            for line in self.proxy_lines.get(g, []):
                print(f"    haproxy: {line}")
        slow = sorted(((a[2], g, a) for g, v in s.groups.items() for a in v["attempts"] if a[3] > 3), key=lambda x: x[0])
        if slow:
            print(f"attempts slower than 3 s: {len(slow)} (started at t=" + ", ".join(f"{t:.1f}" for t, _, _ in slow[:20]) + ")")
            for _, g, a in slow[:4]:
                print(f"    {g} {s.groups[g]['op']} attempt {a}: " + " | ".join(l for l in self.proxy_lines.get(g, [])
                                                                                   if f"/{a[0]}}}" in l))
        if self.resend_times:
            print("resent mails (first and later copies, s since load start): "
                  + ", ".join(f"{a:.1f}->{b:.1f}" for a, b in self.resend_times[:12]))
        if self.proxy_slow:
            print(f"requests HAProxy took 10 s or more over: {len(self.proxy_slow)}")
            for line in self.proxy_slow[:6]:
                print(f"    {line}")
        for label, lines in self.snapshots:
            print(f"in flight {label}: {len(lines) or 'nothing'}")
            for line in lines[:10]:
                print(f"    {line}")
        print("-" * 100)
        for line in self.node_log_summary():
            print(line)
        print("=" * 100)

    def run(self):
        try:
            self.setup()
            self.load()
            self.drain()
            self.snapshot("after the drain")
            self.read_haproxy_log()
            self.check_statuses()
            self.check_reviews()
            self.check_conversations_and_mail()
            self.check_webhooks()
            self.check_outbox_and_nodes()
        except CheckFailed as e:
            self.fail(str(e))
        except Exception:
            self.fail("the script itself failed:\n" + traceback.format_exc())
        finally:
            if hasattr(self, "load_end"):
                try:
                    self.report()
                except Exception:
                    self.fail("the report failed:\n" + traceback.format_exc())
            self.procs.stop_all()
            if self.db_created:
                self.pg.drop()
            try:
                os.remove(os.path.join(self.workdir, "careloop"))
            except OSError:
                pass
        if self.warnings:
            print("\nWARNINGS (not failures):")
            for w in self.warnings:
                print(f"  - {w}")
        if self.failures:
            print("\nFAILED:")
            for f in self.failures:
                print(f"  - {f}")
            print(f"logs, mails and webhooks kept in {self.workdir}")
            return 1
        print("\nPASSED")
        if KEEP:
            print(f"logs kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return 0


if __name__ == "__main__":
    # Stopped from outside: still clean up (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(Gauntlet().run())
