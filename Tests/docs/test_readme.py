"""The docs tell the truth: the README's commands run against the built binary, every route and
command the README and docs/ quote exists, and their links between each other lead somewhere.

`scripts/test` sets CARELOOP_BIN to the binary it just built. Run alone:
    CARELOOP_BIN=.build/debug/careloop python3 -m pytest -q -p no:cacheprovider Tests/docs
Standard library and pytest only."""
import glob, json, os, re, shlex, shutil, socket, subprocess, sys, tempfile, time, urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")
DOCS = sorted([README] + glob.glob(os.path.join(ROOT, "docs", "*.md")))
# The address the README's commands use; the test runs them against a free port instead.
README_ADDRESS = "127.0.0.1:8080"


# ---- reading Markdown ----

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fenced_blocks(text):
    """[(language, body, first line number)] of every ``` block."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^\s*```(\S*)\s*$", lines[i])
        if m:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i])
                i += 1
            blocks.append((m.group(1), "\n".join(body), start + 1))
        i += 1
    return blocks


def prose(text):
    """The text outside fenced blocks, with the blocks' lines blanked (so line numbers stay)."""
    out, inside = [], False
    for line in text.split("\n"):
        if re.match(r"^\s*```", line):
            inside = not inside
            out.append("")
        else:
            out.append("" if inside else line)
    return "\n".join(out)


def shell_commands(body):
    """The commands of a shell block as written: continuation lines joined, comments and blank lines
    dropped."""
    commands, current = [], ""
    for line in body.split("\n"):
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        command = strip_comment(current + line).strip()
        current = ""
        if command:
            commands.append(command)
    return commands


def strip_comment(command):
    """`cmd args   # why` → `cmd args`, leaving a # inside quotes alone."""
    quote = None
    for i, ch in enumerate(command):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or command[i - 1].isspace()):
            return command[:i]
    return command


def section(text, heading):
    """The text under a `## heading` up to the next `## `."""
    m = re.search(r"^## " + re.escape(heading) + r"\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"README.md has no '## {heading}' section"
    return m.group(1)


# ---- the binary ----

def binary():
    path = os.environ.get("CARELOOP_BIN")
    if not path:
        pytest.fail("CARELOOP_BIN is not set: point it at the built careloop binary (scripts/test does)")
    assert os.path.isfile(path) and os.access(path, os.X_OK), f"CARELOOP_BIN={path} is not an executable file"
    return path


def clean_env(**extra):
    """The environment a newcomer has: no CARELOOP_* setting (so the defaults the README describes
    apply), and no proxy between curl and the local server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELOOP_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def run_in_empty_folder(args, timeout=60):
    """Runs the binary in a fresh folder: commands that open the database make careloop.sqlite there."""
    work = tempfile.mkdtemp(prefix="careloop-docs-")
    try:
        return subprocess.run([binary()] + args, cwd=work, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def route_table():
    """[(method, [segments])] from `careloop routes`; `:name` segments are parameters."""
    out = run_in_empty_folder(["routes"])
    assert out.returncode == 0, out.stderr
    routes = [(m.group(1), m.group(2).strip("/").split("/") if m.group(2) != "/" else [])
              for m in re.finditer(r"^\|\s*([A-Z]+)\s*\|\s*(/\S*)\s*\|", out.stdout, re.M)]
    assert len(routes) > 50, "`careloop routes` printed too few routes:\n" + out.stdout
    return routes


class Server:
    """`careloop serve` as the README's first command starts it, in its own folder (so its SQLite
    file is new), on a free port. `start` again after `stop` reopens the same database."""

    def __init__(self):
        first = shell_commands(fenced_blocks(read(README))[0][1])[0].split()
        assert first[:3] == ["swift", "run", "careloop"], first
        self.command = [binary()] + first[3:]
        self.work = tempfile.mkdtemp(prefix="careloop-docs-serve-")
        self.proc, self.port, self.runs = None, None, 0

    def start(self, wait_for="", **env):
        """Starts it on a free port and waits for /healthz (and `wait_for` in its output); returns the
        log's path. Another program may take the port between choosing and binding it (tests run side
        by side on this machine): then it tries another, on a new database when it is the first start."""
        first = self.runs == 0
        for _ in range(3):
            self.runs += 1
            self.port = free_port()
            log_path = os.path.join(self.work, f"serve-{self.runs}.log")
            with open(log_path, "w") as log:
                self.proc = subprocess.Popen(self.command + ["--hostname", "127.0.0.1", "--port", str(self.port)], cwd=self.work,
                                             env=clean_env(**env), stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 60
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                        # Our own server answered (another program may hold the port we chose): it
                        # says it listens on this port ("Connection gate on …:PORT:"), and it runs.
                        log_text = read(log_path)
                        if (r.status == 200 and wait_for in log_text and f"127.0.0.1:{self.port}:" in log_text
                                and self.proc.poll() is None):
                            return log_path
                except OSError:
                    pass
                time.sleep(0.1)
            self.stop()
            if "Address already in use" not in read(log_path):
                break
            if first:
                for name in glob.glob(os.path.join(self.work, "careloop.sqlite*")):
                    os.remove(name)
        pytest.fail(f"careloop serve did not answer (exit {self.proc.returncode}):\n{read(log_path)}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def server():
    s = Server()
    try:
        yield s
    finally:
        s.stop()
        shutil.rmtree(s.work, ignore_errors=True)


# ---- the README's first lines ----

def test_readme_starts_with_the_two_commands():
    text = read(README)
    assert text.startswith("# CareLoop\n"), "README.md starts with '# CareLoop'"
    lang, body, _ = fenced_blocks(text)[0]
    assert lang == "sh"
    assert shell_commands(body) == ["swift run careloop serve", "bash scripts/test"], body
    assert os.path.isfile(os.path.join(ROOT, "scripts", "test"))
    assert re.search(r'\.executable\(\s*name:\s*"careloop"', read(os.path.join(ROOT, "Package.swift"))), \
        "Package.swift declares no `careloop` executable"


# ---- the tour, run ----

def tour():
    """The tour's shell commands, in order: (assignments {name: placeholder}, curl commands)."""
    body = section(read(README), "A five-minute tour")
    assignments, curls = {}, []
    for lang, block, _ in fenced_blocks(body):
        if lang != "sh":
            continue
        for command in shell_commands(block):
            m = re.fullmatch(r"(\w+)=(clk_\S*)", command)
            if m:
                assignments[m.group(1)] = m.group(2)
            elif command.startswith("curl "):
                curls.append(command)
    return assignments, curls


def request_of(command):
    """(method, path, JSON body or None) of a curl command."""
    words = shlex.split(command)
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    url = next(w for w in words if w.startswith("http://"))
    path = re.sub(r"^http://[^/]+", "", url)
    data = None
    for flag in ("-d", "--data", "--data-raw"):
        if flag in words:
            data = json.loads(words[words.index(flag) + 1])
    return method, path, data


def test_the_tour_runs(server):
    printed = read(server.start(wait_for="API key:"))
    port = server.port
    assignments, curls = tour()
    assert curls, "the README's tour quotes no curl command"

    # What the README says `serve` prints is what it prints.
    owner = re.search(r"Owner sign-in:\s+(\S+@\S+) / (\S+)", printed)
    key = re.search(r"API key:\s+(clk_\S+)", printed)
    assert owner and key, "serve printed no owner sign-in and API key on its first start:\n" + printed
    text = read(README)
    assert re.search(r"Owner sign-in:\s+\S+@\S+ / ", text) and re.search(r"API key:\s+clk_", text), \
        "the README shows what serve prints on its first start"
    suggested = re.search(r"Try:\s+curl http://[^/\s]+(/\S+)", printed)
    assert suggested and suggested.group(1) in text, "the README quotes the public list serve suggests"

    # The README gives the key a name (KEY=clk_...) and its commands read it from the shell.
    assert assignments, "the tour sets the API key in a variable (KEY=clk_...) for its curl lines"
    env = clean_env(**{name: key.group(1) for name in assignments})

    answers = {}
    for command in curls:
        flags = [w for w in shlex.split(command) if re.fullmatch(r"-[a-zA-Z]+", w)]
        assert "--fail" in command or any("f" in w for w in flags), f"use curl -fsS, so an error answer fails: {command}"
        assert README_ADDRESS in command, f"the tour talks to {README_ADDRESS}: {command}"
        run = subprocess.run(["bash", "-c", command.replace(README_ADDRESS, f"127.0.0.1:{port}")], env=env,
                             capture_output=True, text=True, timeout=20)
        assert run.returncode == 0, f"{command}\nexit {run.returncode}: {run.stderr}{run.stdout}"
        method, path, data = request_of(command)
        answers[(method, path.split("?")[0])] = (data, json.loads(run.stdout))

    # A 1★ review, published at once.
    posted = answers.get(("POST", "/api/v1/reviews"))
    assert posted, "the tour posts a review to POST /api/v1/reviews"
    sent, review = posted
    assert sent["rating"] == 1, "the tour's review is a 1★ review, so a care conversation opens"
    assert review["rating"] == 1 and review["status"] == "published", review
    email = sent["customer"]["email"]

    # The low-rating trigger opened a conversation with the reviewer, about that review.
    listed = answers.get(("GET", "/api/v1/conversations"))
    assert listed, "the tour lists GET /api/v1/conversations"
    theirs = [c for c in listed[1]["conversations"] if c["customer"]["email"] == email]
    assert theirs and theirs[0]["status"] == "open" and theirs[0]["review_id"] == review["id"], listed[1]
    assert theirs[0]["priority"] == "high", theirs[0]

    # Its care mail waits in the outbox (no CARELOOP_SMTP_URL).
    outbox = answers.get(("GET", "/api/v1/outbox"))
    assert outbox, "the tour shows GET /api/v1/outbox"
    assert any(j["type"] == "conversation_message" and j["kind"] == "email" for j in outbox[1]["jobs"]), outbox[1]

    # The public list shows the review (published at once, whatever its stars).
    public = [a for (m, p), a in answers.items() if m == "GET" and p.startswith("/api/v1/public/")]
    assert public, "the tour reads a public review list"
    assert any(r["id"] == review["id"] for r in public[0][1]["reviews"]), public[0][1]

    # Watching the mail leave: the README's SMTP sink, and serve started again pointed at it. The
    # mails waiting in the outbox go out, the reviewer's care mail among them.
    sink_command, smtp_url = smtp_steps()
    sink_port = free_port()
    sink_log = os.path.join(server.work, "sink.log")
    server.stop()
    with open(sink_log, "w") as log:
        # The README's `python3`, as the interpreter running this test (the one aiosmtpd was checked in).
        argv = shlex.split(sink_command.replace(sink_command_address(sink_command), f"127.0.0.1:{sink_port}"))
        argv[0] = sys.executable if argv[0] == "python3" else argv[0]
        sink = subprocess.Popen(argv, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(sink_port, sink, sink_log)
        smtp_url = smtp_url.replace(sink_command_address(sink_command), f"127.0.0.1:{sink_port}")
        second = server.start(CARELOOP_SMTP_URL=smtp_url)
        deadline = time.time() + 60
        while time.time() < deadline and f"<{email}>" not in read(sink_log):
            time.sleep(0.2)
        mail = read(sink_log)
        assert f"<{email}>" in mail, f"no mail reached the sink for {email} within 60 s:\n{mail[-2000:]}"
        # aiosmtpd's default handler prints each mail after a "MESSAGE FOLLOWS" line.
        theirs = [m for m in mail.split("MESSAGE FOLLOWS") if re.search(rf"^To: .*<{re.escape(email)}>", m, re.M)]
        subjects = [s for m in theirs for s in re.findall(r"^Subject: (.+)$", m, re.M)]
        assert any(f'"{s}"' in " ".join(text.split()) for s in subjects), \
            f"the README quotes the subject of the reviewer's care mail; they got {subjects}"
        server.stop()
        assert "API key:" not in read(second), "serve prints the API key once, on the first start only"
    finally:
        sink.kill()
        sink.wait()


def smtp_steps():
    """The tour's SMTP sink command and the CARELOOP_SMTP_URL it sets for serve."""
    commands = [c for lang, block, _ in fenced_blocks(section(read(README), "A five-minute tour")) if lang == "sh"
                for c in shell_commands(block)]
    sinks = [c.rstrip("& ") for c in commands if c.startswith("python3 -m aiosmtpd")]
    urls = [m.group(1) for c in commands for m in [re.match(r"CARELOOP_SMTP_URL=(\S+) swift run careloop serve$", c)] if m]
    assert sinks and urls, "the tour starts an SMTP sink (python3 -m aiosmtpd ...) and serve with CARELOOP_SMTP_URL"
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        pytest.fail("the tour's SMTP sink needs aiosmtpd: python3 -m pip install aiosmtpd (scripts/test does)")
    return sinks[0], urls[0]


def sink_command_address(command):
    m = re.search(r"-l (\S+)", command)
    assert m, f"the SMTP sink listens where the README says (-l HOST:PORT): {command}"
    return m.group(1)


def wait_for_port(port, proc, log_path):
    deadline = time.time() + 60
    while time.time() < deadline:
        assert proc.poll() is None, f"the SMTP sink exited with {proc.returncode}:\n{read(log_path)}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the SMTP sink did not listen within 60 s:\n{read(log_path)}")


# ---- every route quoted ----

METHODS = r"(?:GET|POST|PUT|PATCH|DELETE)"
# Backticked paths that are files, not routes.
FILE_ROOTS = {"etc", "usr", "var", "tmp", "home", "opt", "dev", "proc", "bin", "srv"}
# How the docs write CareLoop's own address in a URL.
OWN_HOSTS = r"(?:127\.0\.0\.1(?::\d+)?|localhost(?::\d+)?|HOST|<your CareLoop>)"


def quoted_routes(path):
    """[(line, methods or None, path as written)] of every route a Markdown file quotes."""
    text = read(path)
    found = []

    def line_of(offset, source=text):
        return source.count("\n", 0, offset) + 1

    # "GET /api/v1/reviews", "GET/PATCH /api/v1/settings/care", in prose, tables and code.
    for m in re.finditer(rf"\b({METHODS}(?:/{METHODS})*) (/[^\s`|)\]]*)", text):
        found.append((line_of(m.start()), m.group(1).split("/"), m.group(2)))
    # `/app/inbox`, `/c/TOKEN`: a code span holding a path (a lone `/` is the search key).
    bare = prose(text)
    for m in re.finditer(r"`([^`\n]+)`", bare):
        route = m.group(1).split()[0]
        if route.startswith("/") and route != "/" and route.strip("/").split("/")[0] not in FILE_ROOTS:
            found.append((line_of(m.start(), bare), None, route))
    # http://127.0.0.1:8080/app, https://HOST/widget.js, https://<your CareLoop>/connect/shopify/<key>
    for m in re.finditer(rf"https?://{OWN_HOSTS}(/(?:<[\w ]+>|[^\s`'\"<>)\]])*)", text):
        found.append((line_of(m.start()), None, m.group(1)))
    return found


def segments(path):
    """The path's segments, and whether it names a family of routes (`/api/v1/`, `/api/v1/…`)."""
    path = re.split(r"[?#]", path)[0].rstrip(".,;:")
    prefix = path.endswith("/") or path.endswith("…")
    path = path.rstrip("/…")
    return (path.strip("/").split("/") if path.strip("/") else []), prefix


def served(route_table, method, path):
    """Whether the table has the path (any method when `method` is None); a `:name` segment matches
    whatever the docs write there ({id}, TOKEN, a real id)."""
    want, prefix = segments(path)
    for served_method, route in route_table:
        if method and served_method != method:
            continue
        if len(route) == len(want) or (prefix and len(route) > len(want)):
            if all(r.startswith(":") or r == w for r, w in zip(route, want)):
                return True
    return False


def test_every_quoted_route_is_served(route_table):
    quoted, missing = 0, []
    for path in DOCS:
        for line, methods, route in quoted_routes(path):
            quoted += 1
            # `GET/PATCH /x` quotes two routes: each must be served.
            for method in methods or [None]:
                if not served(route_table, method, route):
                    missing.append(f"{os.path.relpath(path, ROOT)}:{line}: {(method + ' ') if method else ''}{route}")
    assert quoted > 50, f"found only {quoted} quoted routes: the extraction is broken"
    assert not missing, "routes the docs quote that `careloop routes` does not list:\n" + "\n".join(missing)


# ---- every command named ----

def named_commands():
    """{command: first place named} for every `careloop COMMAND` in code (spans and blocks)."""
    names = {}
    for path in DOCS:
        text = read(path)
        code = [b for _, b, _ in fenced_blocks(text)] + re.findall(r"`([^`\n]+)`", prose(text))
        for snippet in code:
            for m in re.finditer(r"(?<![\w./=-])careloop ([a-z][a-z0-9-]*)(?![\w.])", snippet):
                names.setdefault(m.group(1), os.path.relpath(path, ROOT))
    return names


def test_every_named_command_exists():
    names = named_commands()
    assert {"serve", "migrate", "worker", "create-store", "mail-pipe"} <= set(names), names
    listed = run_in_empty_folder(["--help"])
    known = set(re.findall(r"^\s+([a-z][a-z0-9-]*) ", listed.stdout.split("Commands:", 1)[-1], re.M))
    assert "serve" in known, listed.stdout + listed.stderr
    missing = []
    for name, where in sorted(names.items()):
        if name in known:
            continue
        # mail-pipe, dkim and mail run before the server is set up: their usage line names them.
        own = run_in_empty_folder([name, "--help"], timeout=20)
        if f"usage: careloop {name}" not in own.stdout + own.stderr:
            missing.append(f"{where}: careloop {name}")
    assert not missing, "commands the docs name that the binary does not have:\n" + "\n".join(missing)


# ---- links between docs ----

def anchors(path):
    """The #anchors GitHub makes for a Markdown file's headings."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", prose(read(path)), re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return found


def test_relative_links_resolve():
    broken = []
    for path in DOCS:
        for m in re.finditer(r"\]\(([^)\s]+)\)", prose(read(path))):
            target, _, anchor = m.group(1).partition("#")
            if re.match(r"^[a-z]+:", target):
                continue
            file = os.path.normpath(os.path.join(os.path.dirname(path), target)) if target else path
            if not os.path.exists(file):
                broken.append(f"{os.path.relpath(path, ROOT)}: {m.group(1)} (no such file)")
            elif anchor and file.endswith(".md") and anchor not in anchors(file):
                broken.append(f"{os.path.relpath(path, ROOT)}: {m.group(1)} (no such heading)")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken)
