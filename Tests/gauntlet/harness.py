"""Pieces the gauntlet scripts share: the careloop binary as a real process, a real SMTP sink, a
store with its key, and small HTTP helpers. Standard library only (the SMTP sink is aiosmtpd, run as
Tests/support/smtp_sink.py)."""
import http.client, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CARELOOP_BIN") or os.path.join(ROOT, ".build", "debug", "careloop")


def check_runner(results, prefix):
    """The gauntlet's check decorator: `@check(key, title)` on a function returning (held, detail).
    Running it catches what blows up (a failed check, not a crashed run), prints one line and keeps
    (key, title, held, detail, seconds) in `results`."""
    def check(key, title=""):
        def wrap(fn):
            def run():
                started = time.time()
                try:
                    ok, detail = fn()
                except (Exception, SystemExit) as e:
                    ok, detail = False, f"{type(e).__name__}: {e}"
                took = time.time() - started
                results.append((key, title, ok, detail, took))
                label = f"{key:>2}" if isinstance(key, int) else f"{key:<7}"
                print(f"{prefix} {label} {'held  ' if ok else 'FAILED'} {title + ': ' if title else ''}{detail} ({took:.1f} s)", flush=True)
            run.number = key
            return run
        return wrap
    return check


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(port, method, path, body=None, key=None, timeout=10, headers=None):
    """One HTTP request; returns (status, parsed JSON or text). A connection failure is status 0."""
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if key:
        h["Authorization"] = f"Bearer {key}"
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        c.close()
    except (OSError, http.client.HTTPException):
        return 0, None
    try:
        return r.status, json.loads(raw)
    except ValueError:
        return r.status, raw.decode("utf-8", "replace")


class Sink:
    """The SMTP sink: every mail it accepted, by Message-ID."""

    def __init__(self, workdir):
        self.port = free_port()
        self.dir = os.path.join(workdir, "mail")
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests", "support", "smtp_sink.py"),
                                      "--port", str(self.port), "--dir", self.dir], stdout=subprocess.PIPE)
        if b"ready" not in self.proc.stdout.readline():
            raise SystemExit("the SMTP sink did not start (is aiosmtpd installed?)")

    def mails(self):
        out = []
        for name in sorted(os.listdir(self.dir)) if os.path.isdir(self.dir) else []:
            if name.endswith(".json"):
                with open(os.path.join(self.dir, name)) as f:
                    out.append(json.load(f))
        return out

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Node:
    """`careloop serve` on a port, its output in a log file."""

    def __init__(self, workdir, env, name="node"):
        self.port = free_port()
        self.env = dict(os.environ, **env)
        self.workdir = workdir
        self.log = os.path.join(workdir, f"{name}.log")
        self.proc = None

    def start(self, wait=60):
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([BIN, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
                                         env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + wait
        while time.time() < deadline:
            if request(self.port, "GET", "/healthz", timeout=1)[0] == 200:
                return self
            if self.proc.poll() is not None:
                raise SystemExit(f"careloop serve exited with {self.proc.returncode}; see {self.log}")
            time.sleep(0.1)
        raise SystemExit(f"careloop serve did not answer within {wait} s; see {self.log}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def create_store(workdir, env, slug="gauntlet"):
    out = subprocess.run([BIN, "create-store", "--name", slug.upper(), "--slug", slug, "--owner-email", f"{slug}@owner.test",
                          "--owner-password", "long enough pw"], env=dict(os.environ, **env), cwd=workdir,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["api_key"]


def all_reviews(port, key):
    """Every review of the store: id → review."""
    found, page = {}, 1
    while True:
        status, body = request(port, "GET", f"/api/v1/reviews?per_page=100&page={page}", key=key, timeout=30)
        if status != 200:
            raise SystemExit(f"listing reviews answered {status}: {body}")
        for r in body["reviews"]:
            found.setdefault(r["id"], []).append(r)
        if len(body["reviews"]) < 100:
            return found
        page += 1


def workdir(prefix):
    return tempfile.mkdtemp(prefix=f"careloop-{prefix}-")


def cleanup(path):
    shutil.rmtree(path, ignore_errors=True)


class Dashboard:
    """A person signed in to the dashboard over HTTP: the session cookie and the CSRF token every
    form sends back."""

    def __init__(self, port, email, password):
        self.port = port
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/app/login")
        r = c.getresponse()
        page = r.read().decode()
        form_cookie = r.getheader("Set-Cookie").split(";")[0]
        csrf = _csrf(page)
        body = urllib.parse.urlencode({"email": email, "password": password, "_csrf": csrf, "next": "/app"})
        c.request("POST", "/app/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": form_cookie})
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 303:
            raise SystemExit(f"signing in as {email} answered {r.status}")
        self.cookie = "; ".join(h.split(";")[0] for h in r.headers.get_all("Set-Cookie"))
        self.csrf = _csrf(self.get("/app/settings")[1]) or _csrf(self.get("/app/inbox")[1])

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path, headers={"Cookie": self.cookie})
        r = c.getresponse()
        out = r.status, r.read().decode("utf-8", "replace")
        c.close()
        return out

    def post(self, path, fields):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urllib.parse.urlencode(list(fields.items()) + [("_csrf", self.csrf)])
        c.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
        r = c.getresponse()
        out = r.status, r.read().decode("utf-8", "replace")
        c.close()
        return out


def _csrf(page):
    found = re.search(r'name="_csrf" value="([^"]+)"', page)
    return found.group(1) if found else None
