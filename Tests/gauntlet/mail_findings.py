#!/usr/bin/env python3
"""The second security review's findings (the mail paths), replayed against a real `careloop serve`
with a real SMTP sink (and HAProxy in front where the finding needs docs/operations.md's proxy setup).

Each check sends the review's own input and says whether the server now holds. Run against the
current build in CI; run against an older binary (CARELOOP_BIN=/path/to/old/careloop) to see which
findings it still has. Prints one line per finding and exits 1 if any failed. `mail_findings.py 3 7`
runs only findings 3 and 7."""
import concurrent.futures, csv, http.client, io, json, os, re, resource, selectors, shutil, socket, struct, subprocess, sys, threading, time, urllib.parse, uuid, zlib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check_runner, BIN, ROOT, Node, Sink, cleanup, create_store, free_port, request, workdir

DOMAIN = "mail.test"
OWNER_PASSWORD = "long enough pw"  # what harness.create_store gives every owner
results = []


check = check_runner(results, "finding")


class Server:
    """A fresh SQLite store (or several) and server per finding, with its own SMTP sink."""

    def __init__(self, name, env=None, stores=("shop",)):
        self.dir = workdir(f"mail-{name}")
        self.sink = self.node = None
        try:
            self.sink = Sink(self.dir)
            self.env = dict({"CARELOOP_DATABASE_URL": f"sqlite://{self.dir}/careloop.sqlite",
                             "CARELOOP_SMTP_URL": f"smtp://127.0.0.1:{self.sink.port}",
                             "CARELOOP_MAIL_DOMAIN": DOMAIN}, **(env or {}))
            self.keys = {slug: create_store(self.dir, self.env, slug=slug) for slug in stores}
            self.key = self.keys[stores[0]]
            self.node = Node(self.dir, self.env)
            self.node.start()
            self.port = self.node.port
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.node:
            self.node.kill()
        if self.sink:
            self.sink.stop()
        cleanup(self.dir)

    def mails_to(self, address):
        return [m for m in self.sink.mails() if address.lower() in (r.lower() for r in m["rcpt_tos"])]

    def wait_mail(self, address, match=lambda m: True, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [m for m in self.mails_to(address) if match(m)]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no mail to {address} reached the SMTP sink within {timeout} s")

    def conversation(self, cid, key=None):
        status, body = request(self.port, "GET", f"/api/v1/conversations/{cid}", key=key or self.key)
        if status != 200:
            raise AssertionError(f"GET /api/v1/conversations/{cid} answered {status}")
        return body


class Proxy:
    """HAProxy in `mode http` with `option forwardfor` in front of one node: docs/operations.md's setup."""

    CONFIG = """\
global
    maxconn 2000

defaults
    mode http
    option forwardfor
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s

frontend gauntlet
    bind 127.0.0.1:{port}
    default_backend careloop

backend careloop
    server n1 127.0.0.1:{backend}
"""

    def __init__(self, workdir, backend_port):
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not os.path.exists(haproxy):
            raise AssertionError("haproxy is not installed (apt-get install -y haproxy)")
        self.port = free_port()
        cfg = os.path.join(workdir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(self.CONFIG.format(port=self.port, backend=backend_port))
        self.log = open(os.path.join(workdir, "haproxy.log"), "w")
        self.proc = subprocess.Popen([haproxy, "-db", "-f", cfg], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while request(self.port, "GET", "/healthz", timeout=1)[0] != 200:
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError("haproxy did not start")
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ------------------------------------------------------------------------------------------------
# Small helpers


def review(email, rating=1, body="Arrived cracked.", product="p1"):
    return {"external_id": f"r-{time.time_ns()}", "rating": rating, "body": body,
            "product": {"external_id": product, "name": "Kettle"}, "customer": {"email": email, "name": "Ann"}}


def new_message_id(tag):
    return f"<{tag}-{uuid.uuid4().hex}@customer.example>"


def raw_mail(frm, to, subject, body, in_reply_to=None, message_id=None, extra=()):
    """A customer's mail as a mail program writes it (CRLF line ends)."""
    lines = [f"From: {frm}", f"To: {to}", f"Subject: {subject}", "Date: Mon, 07 Dec 2026 10:00:00 +0000",
             f"Message-ID: {message_id or new_message_id('m')}"]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    lines += list(extra) + ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def inbound_secret(s, key=None):
    status, body = request(s.port, "GET", "/api/v1/settings/inbound-email", key=key or s.key)
    if status != 200:
        raise AssertionError(f"GET /api/v1/settings/inbound-email answered {status}")
    return body["secret"]


def post_mail(port, secret, raw, timeout=30):
    """One raw mail to the inbound route: (status, JSON or text). No answer within `timeout` is 0."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", "/api/v1/inbound-email", body=raw,
                  headers={"Authorization": f"Bearer {secret}", "Content-Type": "message/rfc822"})
        r = c.getresponse()
        data = r.read()
        c.close()
    except (OSError, http.client.HTTPException):
        return 0, None
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data.decode("utf-8", "replace")[:300]


def unhappy(s, email, key=None):
    """A 1★ review: the default care trigger opens a conversation and mails the customer. Returns
    the conversation id, the reply token, the care mail's Message-ID and the customer page's path."""
    key = key or s.key
    status, body = request(s.port, "POST", "/api/v1/reviews", key=key, body=review(email))
    if status != 201:
        raise AssertionError(f"the 1★ review answered {status}: {body}")
    mail = s.wait_mail(email)
    token = re.search(r"reply\+([^@\s>]+)@", mail["headers"].get("reply-to", "")).group(1)
    status, convs = request(s.port, "GET", "/api/v1/conversations?status=open", key=key)
    cid = next(c["id"] for c in convs["conversations"] if c["customer"]["email"] == email)
    page = urllib.parse.urlparse(s.conversation(cid, key)["page_url"]).path
    return {"id": cid, "token": token, "message_id": mail["headers"]["message-id"].strip(), "page": page, "mail": mail}


def customer_reply(c, email, body, subject="Re: About your Kettle review", message_id=None, extra=()):
    return raw_mail(email, f"reply+{c['token']}@{DOMAIN}", subject, body, in_reply_to=c["message_id"],
                    message_id=message_id, extra=extra)


def http_raw(port, method, path, body=None, headers=None, timeout=15, source=None):
    """(status, headers, body bytes); no answer is status 0."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.headers, data
    except (OSError, http.client.HTTPException):
        return 0, {}, b""


def csrf_in(html):
    m = re.search(r'name="_csrf" value="([^"]+)"', html)
    return m.group(1) if m else None


def pre_session(port, path):
    """A pre-session form (sign-in, forgot password): its cookie and CSRF value."""
    status, headers, data = http_raw(port, "GET", path)
    cookie = next((v.split(";")[0] for k, v in headers.items() if k.lower() == "set-cookie" and v.startswith("careloop_form=")), None)
    csrf = csrf_in(data.decode("utf-8", "replace"))
    if status != 200 or not cookie or not csrf:
        raise AssertionError(f"GET {path} answered {status} without its form cookie and token")
    return cookie, csrf


def form_post(port, path, fields, cookie, headers=None, timeout=30, source=None):
    h = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, **(headers or {})}
    return http_raw(port, "POST", path, urllib.parse.urlencode(fields).encode(), h, timeout=timeout, source=source)


def staff_session(s, email=None, password=OWNER_PASSWORD):
    """Signs in to the dashboard: (cookie header, the session's CSRF token)."""
    form_cookie, csrf = pre_session(s.port, "/app/login")
    status, headers, _ = form_post(s.port, "/app/login", {"email": email or "shop@owner.test", "password": password,
                                                          "_csrf": csrf, "next": "/app/inbox"}, form_cookie)
    cookies = [v.split(";")[0] for k, v in headers.items() if k.lower() == "set-cookie"]
    if status != 303 or not cookies:
        raise AssertionError(f"signing in answered {status}")
    cookie = "; ".join([form_cookie] + cookies)
    # The session's CSRF token is on every dashboard page: the first that renders gives it.
    answered = []
    for path in ("/app/inbox", "/app/settings", "/app/customers", "/app/reviews"):
        status, _, page = http_raw(s.port, "GET", path, headers={"Cookie": cookie})
        token = csrf_in(page.decode("utf-8", "replace"))
        if status == 200 and token:
            return cookie, token
        answered.append(f"{path} {status}")
    raise AssertionError(f"no dashboard page gave the session's CSRF token ({', '.join(answered)})")


def clear_of_the_hour(margin=25):
    """Per-hour counts (automatic mails, reset mails) start again on the clock hour: a run must not
    straddle one."""
    left = 3600 - time.time() % 3600
    if left < margin:
        time.sleep(left + 1)


def multipart(fields, files):
    boundary = "gauntlet" + uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
    for name, filename, ctype, data in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ------------------------------------------------------------------------------------------------
# The findings


@check(1, "two 9.5 MB mails stall neither another store nor /healthz")
def big_mails():
    # The public list cache off: every fetch of the other store's list is really served. (Today's
    # main read each mail on the shared threads: a release build held them ~12 s; a debug build
    # passes the 10 s request deadline first and answers 503, still reading.)
    with Server("big", env={"CARELOOP_PUBLIC_CACHE_SECONDS": "0"}, stores=("shop", "other")) as s:
        email = "big@example.com"
        c = unhappy(s, email)
        status, _ = request(s.port, "POST", "/api/v1/reviews", key=s.keys["other"], body=review("b@example.com", rating=5, body="Lovely."))
        if status != 201:
            return False, f"store B's review answered {status}"
        secret = inbound_secret(s)
        header = (f"From: {email}\r\nTo: reply+{c['token']}@{DOMAIN}\r\nSubject: Re: About your Kettle review\r\n"
                  f"In-Reply-To: {c['message_id']}\r\nMessage-ID: {new_message_id('blank')}\r\n\r\n").encode()
        blank = header + b"\r\n" * ((9_500_000 - len(header)) // 2)
        lines = (f"From: {email}\r\nTo: reply+{c['token']}@{DOMAIN}\r\nSubject: lines\r\n").encode() + b"X-A: 1\r\n" * 1_180_000 + b"\r\nhello\r\n"
        answers = {}

        def send(name, raw):
            started = time.time()
            answers[name] = post_mail(s.port, secret, raw, timeout=60) + (time.time() - started,)

        threads = [threading.Thread(target=send, args=a) for a in (("blank", blank), ("lines", lines))]
        for t in threads:
            t.start()
        # Fetched until both mails are answered, and 5 s more: work may outlive its request.
        fetches = []  # (what, status, seconds)
        deadline, answered_at = time.time() + 75, None
        while time.time() < deadline and (answered_at is None or time.time() < answered_at + 5):
            for what, path in (("list", "/api/v1/public/stores/other/products/p1/reviews"), ("healthz", "/healthz")):
                started = time.time()
                st = request(s.port, "GET", path, timeout=30)[0]
                fetches.append((what, st, time.time() - started))
            if answered_at is None and not any(t.is_alive() for t in threads):
                answered_at = time.time()
            time.sleep(0.05)
        for t in threads:
            t.join(5)
        lines_status, lines_body, lines_took = answers.get("lines", (0, None, 0))
        blank_status, blank_body, blank_took = answers.get("blank", (0, None, 0))
        slowest = max(fetches, key=lambda f: f[2])
        bad = [f for f in fetches if f[1] != 200]
        ok = not bad and slowest[2] < 1.0 and lines_status == 413 and blank_status in (201, 202)
        return ok, (f"1.2 M header lines answered {lines_status or 'nothing'} in {lines_took:.1f} s, 9.5 MB of blank lines "
                    f"{blank_status or 'nothing'} in {blank_took:.1f} s; meanwhile {len(fetches)} fetches of store B's list and "
                    f"/healthz, slowest {slowest[0]} {slowest[2]:.2f} s" + (f", {len(bad)} not 200 ({bad[0][1]})" if bad else ""))


@check(2, "wrong-secret mails declaring 10 MB are refused without reading them")
def unread_bodies():
    with Server("unread") as s:
        count, declared, limit_mib = 200, 10_000_000, 150
        time.sleep(1)
        before = s.node.rss_kib()
        # The head and the body's first 64 KiB: an HTTP server hands a request on with its first body
        # bytes, so that much is needed before anything can answer.
        first = 65_536
        head = ("POST /api/v1/inbound-email HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer inb_wrongwrongwrongwrongwrong\r\n"
                f"Content-Type: message/rfc822\r\nContent-Length: {declared}\r\n\r\n").encode() + b"x" * first
        socks = []
        try:
            for _ in range(count):
                sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
                sock.sendall(head)
                sock.setblocking(False)
                socks.append(sock)
            sel = selectors.DefaultSelector()
            state = {sock: {"left": declared - first, "answer": b"", "closed": False} for sock in socks}
            peak = [0]

            def grown():
                g = (s.node.rss_kib() - before) / 1024
                peak[0] = max(peak[0], g)
                return g

            def read(sock):
                st = state[sock]
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""
                if not data:
                    st["closed"] = True
                elif len(st["answer"]) < 64:
                    st["answer"] += data

            # Phase 1: no more of the bodies is sent; a server that checks the secret first answers now.
            for sock in socks:
                sel.register(sock, selectors.EVENT_READ)
            deadline = time.time() + 5
            while time.time() < deadline and not all(st["answer"] or st["closed"] for st in state.values()):
                for key, _ in sel.select(0.2):
                    read(key.fileobj)
                grown()
            early = sum(1 for st in state.values() if st["answer"].startswith(b"HTTP/1.1 401"))

            # Phase 2: the bodies, as fast as the server reads them, for at most 10 s (stopped early
            # once the server's memory has grown past the limit).
            chunk = memoryview(b"x" * 262_144)
            for sock in socks:
                if not state[sock]["closed"]:
                    sel.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
                else:
                    sel.unregister(sock)
            deadline, sent = time.time() + 10, 0
            while time.time() < deadline and sel.get_map() and grown() < limit_mib:
                for key, events in sel.select(0.1):
                    sock, st = key.fileobj, state[key.fileobj]
                    if events & selectors.EVENT_READ:
                        read(sock)
                    if not st["closed"] and events & selectors.EVENT_WRITE and st["left"] > 0:
                        try:
                            n = sock.send(chunk[:min(st["left"], len(chunk))])
                            st["left"] -= n
                            sent += n
                        except BlockingIOError:
                            pass
                        except OSError:
                            st["closed"] = True
                    if st["closed"]:
                        sel.unregister(sock)
                    elif st["left"] == 0 and events & selectors.EVENT_WRITE:
                        sel.modify(sock, selectors.EVENT_READ)
        finally:
            for sock in socks:
                sock.close()
        during = peak[0]
        sel.close()
        time.sleep(2)
        after = (s.node.rss_kib() - before) / 1024
        answers = sorted({st["answer"][:12].decode("latin-1") or "nothing" for st in state.values()})
        ok = early == count and during < limit_mib and after < limit_mib and s.node.proc.poll() is None
        return ok, (f"{early} of {count} answered 401 after 64 KiB of their 10 MB (answers {answers}); "
                    f"{sent / 1e6:.0f} MB of bodies sent in phase 2; resident memory +{during:.0f} MiB at most"
                    f"{' (stopped there)' if during >= limit_mib else ''}, +{after:.0f} MiB after")


@check(3, "a Message-ID with bare CRs cannot add headers to a staff reply")
def header_injection():
    with Server("crlf") as s:
        email = "cr@example.com"
        c = unhappy(s, email)
        evil = "<abc@x\rBcc: attacker@evil.test\rReply-To: attacker@evil.test>"
        status, body = post_mail(s.port, inbound_secret(s), customer_reply(c, email, "It is still broken.", message_id=evil))
        marker = f"staff-{uuid.uuid4().hex[:8]}"
        st, _ = request(s.port, "POST", f"/api/v1/conversations/{c['id']}/messages", key=s.key,
                        body={"body": f"We are sending a new kettle ({marker})."})
        if st != 201:
            return False, f"customer reply {status}; the staff reply answered {st}"
        mail = s.wait_mail(email, lambda m: marker in (m["text"] or ""))
        header = mail["raw"].split("\r\n\r\n", 1)[0]
        lines = re.split(r"\r\n|\r|\n", header)
        problems = []
        if any(re.match(r"(?i)bcc\s*:", line) for line in lines):
            problems.append("a Bcc: line")
        if any(re.match(r"(?i)reply-to\s*:.*attacker", line) for line in lines):
            problems.append("Reply-To: attacker")
        bare = len(re.findall(r"\r(?!\n)", header))
        if bare:
            problems.append(f"{bare} bare CR")
        if "evil.test" in header or "abc@x" in header:
            problems.append("the injected id in In-Reply-To/References")
        return not problems, (f"the customer's reply answered {status}; the staff reply's header section has "
                              + (", ".join(problems) if problems else "no injected line, no bare CR, no injected id"))


@check(4, "behind HAProxy, a client's own X-Forwarded-For does not reset the per-address limits")
def forwarded_for():
    with Server("xff", env={"CARELOOP_TRUST_FORWARDED_FOR": "1"}) as s:
        status, _ = request(s.port, "POST", "/api/v1/reviews", key=s.key, body=review("known@example.com", rating=5, body="Fine kettle."))
        if status != 201:
            return False, f"the product's first review answered {status}"
        proxy = Proxy(s.dir, s.port)
        try:
            spoof = lambda i: {"X-Forwarded-For": f"10.{i // 250}.{i % 250}.{(i * 7) % 250 + 1}"}
            posts = []
            for i in range(15):
                st, _, _ = http_raw(proxy.port, "POST", "/api/v1/public/stores/shop/products/p1/reviews",
                                    json.dumps({"rating": 5, "author_name": "Pat", "author_email": f"pat{i}@example.com",
                                                "body": f"A lovely kettle, number {i}."}).encode(),
                                    {"Content-Type": "application/json", **spoof(i)})
                posts.append(st)
                if st == 429:
                    break
            # Three at a time: each wrong password costs a bcrypt, and the limit refills as time passes.
            cookie, csrf = pre_session(proxy.port, "/app/login")
            sign_in = lambda i: form_post(proxy.port, "/app/login", {"email": f"nobody{i}@example.com", "password": "wrong password",
                                                                     "_csrf": csrf, "next": "/app/inbox"}, cookie, headers=spoof(100 + i))[0]
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                signins = list(pool.map(sign_in, range(30)))
        finally:
            proxy.stop()
        ok = 429 in posts and 429 in signins
        posts_said = f"429 at post {posts.index(429) + 1}" if 429 in posts else f"no 429 in 15 ({sorted(set(posts))})"
        return ok, (f"public review form (limit 10): {posts_said}; sign-ins (limit 20): {signins.count(429)} of 30 answered 429 "
                    f"(the others {sorted(set(signins) - {429})})")


@check(5, "an auto-responder cannot start a mail loop with a customer_replied trigger")
def mail_loop():
    clear_of_the_hour()
    with Server("loop") as s:
        trigger = {"name": "Thank on reply", "event": "conversation.customer_replied", "once_per_subject": False,
                   "actions": [{"type": "send_message", "template": "Thanks, we got your message"}]}
        st, body = request(s.port, "POST", "/api/v1/triggers", key=s.key, body=trigger)
        if st != 201:
            return False, f"the trigger answered {st}: {body}"
        secret = inbound_secret(s)
        marked, plain = "away@example.com", "plain@example.com"
        convs = {marked: unhappy(s, marked), plain: unhappy(s, plain)}
        # The marked one is resolved first (the customer is invited to update their review: a second
        # mail), so an auto-reply that reopened it would show.
        st, _ = request(s.port, "POST", f"/api/v1/conversations/{convs[marked]['id']}/resolve", key=s.key,
                        body={"resolution_note": "Replaced the kettle."})
        if st not in (200, 201, 204):
            return False, f"resolving answered {st}"
        answered, posted = set(), []

        def auto_reply(mail, email):
            token = re.search(r"reply\+([^@\s>]+)@", mail["headers"].get("reply-to", "")).group(1)
            subject = mail["headers"].get("subject", "")
            if email == marked:  # a well-behaved vacation responder (RFC 3834)
                return raw_mail(email, f"reply+{token}@{DOMAIN}", f"Automatic reply: {subject}",
                                "I am out of the office until Monday.", in_reply_to=mail["headers"]["message-id"],
                                extra=["Auto-Submitted: auto-replied"])
            return raw_mail(email, f"reply+{token}@{DOMAIN}", f"Re: {subject}",  # one that marks nothing
                            "Thank you for your mail. I am away until Monday and will read it then.",
                            in_reply_to=mail["headers"]["message-id"])

        deadline = time.time() + 10
        while time.time() < deadline:
            for mail in s.sink.mails():
                mid = mail["headers"].get("message-id")
                email = next((r.lower() for r in mail["rcpt_tos"] if r.lower() in convs), None)
                if email and mid not in answered and time.time() < deadline:
                    answered.add(mid)
                    posted.append(post_mail(s.port, secret, auto_reply(mail, email), timeout=10)[0])
            time.sleep(0.05)
        time.sleep(1.5)  # what was queued by the last answers
        mails = s.sink.mails()
        to = lambda e: [m for m in mails if e in (r.lower() for r in m["rcpt_tos"])]
        unmarked = [m for m in mails if m["headers"].get("auto-submitted", "").strip().lower() != "auto-generated"]
        conversation = s.conversation(convs[marked]["id"])
        messages = conversation["messages"]
        system = [m for m in messages if m.get("author") == "system" and "out of the office" in m.get("body", "")]
        as_customer = [m for m in messages if m.get("author") == "customer"]
        ok = (len(to(marked)) <= 2 and not unmarked and system and not as_customer and conversation["status"] == "resolved"
              and len(to(plain)) <= 5)
        return ok, (f"{len(posted)} auto-replies posted ({sorted(set(posted))}); marked responder: {len(to(marked))} care mails, "
                    f"its replies as {len(system)} system / {len(as_customer)} customer messages, its conversation "
                    f"{conversation['status']}; unmarked responder: "
                    f"{len(to(plain))} care mails (limit 5); {len(unmarked)} of {len(mails)} CareLoop mails without "
                    "Auto-Submitted: auto-generated")


@check(6, "a reply to a review request lands in the conversation its own was merged into")
def merged_request_reply():
    with Server("merge", env={"CARELOOP_REQUEST_SWEEP_SECONDS": "1"}) as s:
        cookie, csrf = staff_session(s)
        st, _, _ = form_post(s.port, "/app/settings/requests", {
            "_csrf": csrf, "delay_days": "0", "first_reminder": "13", "second_reminder": "", "daily_cap": "1000",
            "quiet_start_hour": "0", "quiet_end_hour": "0", "time_zone": "UTC", "language": "en",
            "subject_en": "", "intro_en": "", "subject_de": "", "intro_de": ""}, cookie)
        if st != 303:
            return False, f"saving the request settings (no delay, no quiet hours) answered {st}"
        buyer = "buyer@example.com"
        fulfilled = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        st, body = request(s.port, "POST", "/api/v1/orders", key=s.key, body={
            "external_id": "o-1", "customer": {"email": buyer, "name": "Bo"}, "fulfilled_at": fulfilled,
            "items": [{"product": {"external_id": "p1", "name": "Kettle"}, "quantity": 1}]})
        if st != 201:
            return False, f"the order answered {st}: {body}"
        request_mail = s.wait_mail(buyer, lambda m: "careloop.request." in m["headers"].get("message-id", ""), timeout=30)
        request_id = request_mail["headers"]["message-id"].strip()
        secret = inbound_secret(s)
        reply = lambda text: raw_mail(buyer, f"care@{DOMAIN}", "Re: " + request_mail["headers"].get("subject", ""), text,
                                      in_reply_to=request_id)
        st, first = post_mail(s.port, secret, reply("The lid does not close."))
        if st != 201:
            return False, f"the buyer's first reply to the request answered {st}: {first}"
        x = first["conversation_id"]
        st, _ = request(s.port, "POST", "/api/v1/reviews", key=s.key, body=review(buyer))
        _, convs = request(s.port, "GET", "/api/v1/conversations?status=open", key=s.key)
        y = next((c["id"] for c in convs["conversations"] if c["customer"]["email"] == buyer and c["id"].upper() != x.upper()), None)
        if not y:
            return False, f"the 1★ review ({st}) opened no second conversation"
        st, _, page = form_post(s.port, f"/app/conversations/{y}/merge", {"_csrf": csrf, "from": x}, cookie)
        if st != 303:
            return False, f"merging answered {st}: {page[:200]!r}"
        marker = f"second-{uuid.uuid4().hex[:8]}"
        st, second = post_mail(s.port, secret, reply(f"Any news about the lid? ({marker})"))
        landed = (second or {}).get("conversation_id") if isinstance(second, dict) else None
        cx, cy = s.conversation(x), s.conversation(y)
        in_y = any(marker in m.get("body", "") for m in cy["messages"])
        in_x = any(marker in m.get("body", "") for m in cx["messages"])
        ok = st == 201 and in_y and not in_x and cx["status"] == "resolved"
        where = "Y (kept)" if landed and landed.upper() == y.upper() else "X (merged)" if landed and landed.upper() == x.upper() else landed
        return ok, (f"second reply answered {st}, into {where}; in Y: {in_y}, in X: {in_x}; X is now {cx['status']}")


@check(7, "a reply whose subject starts with \"Unsubscribe \" is a reply")
def unsubscribe_subject():
    with Server("unsub") as s:
        email = "un@example.com"
        c = unhappy(s, email)
        marker = f"handle-{uuid.uuid4().hex[:8]}"
        st, body = post_mail(s.port, inbound_secret(s), customer_reply(
            c, email, f"The handle came off again ({marker}).", subject="Unsubscribe me from nothing, just answering"))
        kept = any(marker in m.get("body", "") for m in s.conversation(c["id"])["messages"])
        detail = body.get("reason") or body.get("result") if isinstance(body, dict) else body
        return st == 201 and kept, f"answered {st} ({detail}); the message is {'in' if kept else 'not in'} the conversation"


def jpeg_with_icc():
    d = open(os.path.join(ROOT, "Tests", "fixtures", "photos", "phone.jpg"), "rb").read()
    payload = b"ICC_PROFILE\0\x01\x01" + b"SECRET-MARKER-1 " * 8
    return d[:2] + b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload + d[2:]


def jpeg_with_long_dqt():
    d = bytearray(open(os.path.join(ROOT, "Tests", "fixtures", "photos", "phone.jpg"), "rb").read())
    i = d.index(b"\xff\xdb")
    length = struct.unpack(">H", d[i + 2:i + 4])[0]
    extra = b"SECRET-MARKER-2"
    return bytes(d[:i + 2] + struct.pack(">H", length + len(extra)) + d[i + 4:i + 2 + length] + extra + d[i + 2 + length:])


def png_with_chunks():
    d = open(os.path.join(ROOT, "Tests", "fixtures", "photos", "note.png"), "rb").read()
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr_end = 8 + 12 + 13
    iccp = chunk(b"iCCP", b"SECRET-MARKER-3\0\0" + zlib.compress(b"a profile"))
    bkgd = chunk(b"bKGD", b"SECRET-MARKER-4")
    return d[:ihdr_end] + iccp + bkgd + d[ihdr_end:]


@check(8, "a customer's photo keeps no smuggled bytes")
def photo_scrubber():
    with Server("photos") as s:
        c = unhappy(s, "photo@example.com")
        page = c["page"]
        links = lambda: set(re.findall(r'<img src="(/c/[^"]+/photos/[^"]+)"', http_raw(s.port, "GET", page)[2].decode("utf-8", "replace")))
        outcomes = []
        leaked = []
        for name, ctype, data, markers in (
                ("icc.jpg", "image/jpeg", jpeg_with_icc(), [b"SECRET-MARKER-1"]),
                ("dqt.jpg", "image/jpeg", jpeg_with_long_dqt(), [b"SECRET-MARKER-2"]),
                ("chunks.png", "image/png", png_with_chunks(), [b"SECRET-MARKER-3", b"SECRET-MARKER-4"])):
            before = links()
            body, content_type = multipart([("body", f"Here is {name}")], [("photos[]", name, ctype, data)])
            st, _, _ = http_raw(s.port, "POST", page, body, {"Content-Type": content_type})
            if 400 <= st < 500:
                outcomes.append(f"{name} refused ({st})")
                continue
            new = links() - before
            if st != 303 or not new:
                outcomes.append(f"{name} answered {st} with {len(new)} photo(s) shown")
                leaked.append(name)
                continue
            found = [m.decode() for link in new for m in markers if m in http_raw(s.port, "GET", link)[2]]
            outcomes.append(f"{name} stored" + (f" WITH {', '.join(found)}" if found else " clean"))
            leaked += found
        return not leaked, "; ".join(outcomes)


@check(9, "password-reset mails for one person are limited whatever address asks")
def reset_mails():
    clear_of_the_hour()
    with Server("reset") as s:
        agent = "agent@shop.test"
        subprocess.run([BIN, "add-staff", "--store", "shop", "--email", agent, "--password", OWNER_PASSWORD, "--role", "agent"],
                       env=s.node.env, cwd=s.dir, capture_output=True, check=True, timeout=60)
        cookie, csrf = pre_session(s.port, "/app/password/forgot")
        statuses = []
        for i in range(12):  # 12 client addresses: 127.0.0.10 … 127.0.0.21
            statuses.append(form_post(s.port, "/app/password/forgot", {"email": agent, "_csrf": csrf}, cookie,
                                      source=f"127.0.0.{10 + i}")[0])
        # Wait for the outbox: until no new reset mail has come for 3 s (at most 20 s).
        deadline, last, count = time.time() + 20, time.time(), 0
        while time.time() < deadline and (count == 0 or time.time() - last < 3):
            n = len(s.mails_to(agent))
            if n != count:
                count, last = n, time.time()
            time.sleep(0.2)
        ok = 1 <= count <= 3
        return ok, f"12 requests from 12 addresses answered {sorted(set(statuses))}; {count} reset mails reached the sink (limit 3)"


@check(10, "an export cell starting with = and a combining mark or joiner is marked as text")
def csv_formulas():
    with Server("csv") as s:
        bodies = ["=\u0301cmd|' /C calc'!A0", "=\u200dcmd|' /C calc'!A0"]
        for i, body in enumerate(bodies):
            st, answer = request(s.port, "POST", "/api/v1/reviews", key=s.key, body=review(f"csv{i}@example.com", rating=5, body=body))
            if st != 201:
                return False, f"the review {body!r} answered {st}: {answer}"
        out = subprocess.run([BIN, "export", "reviews", "--store", "shop", "--format", "csv"], env=s.node.env, cwd=s.dir,
                             capture_output=True, timeout=60)
        if out.returncode != 0:
            return False, f"export exited {out.returncode}: {out.stderr.decode(errors='replace')[-300:]}"
        cells = [cell for row in csv.reader(io.StringIO(out.stdout.decode("utf-8"))) for cell in row if "cmd|' /C calc'!A0" in cell]
        unguarded = [cell for cell in cells if not cell.startswith("'")]
        ok = len(cells) == len(bodies) and not unguarded
        return ok, f"{len(cells)} formula cells exported, {len(unguarded)} without the ' mark" + (f": {unguarded!r}" if unguarded else "")


# The attack run on this change (a third review) found these; they are replayed like the others.

@check(11, "a hundred unclosed <script> parts cost their sender a slot for a moment, not the installation")
def hostile_parts():
    with Server("parts", stores=("shop", "other")) as s:
        other = unhappy(s, "calm@example.com", key=s.keys["other"])
        part = b"--b\r\nContent-Type: text/html\r\n\r\n<script>" + b"Ab" * 49000 + b"\r\n"
        raw = b"From: x@example.com\r\nTo: reply+nothing@" + DOMAIN.encode() + b"\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" \
            + part * 100 + b"--b--\r\n"
        secret = inbound_secret(s)
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            hostile = [pool.submit(post_mail, s.port, secret, raw, 60) for _ in range(6)]
            time.sleep(0.2)
            # Meanwhile the other store's customer answers, through its own pipe.
            answered = post_mail(s.port, inbound_secret(s, s.keys["other"]), customer_reply(other, "calm@example.com", "Still here."))
            statuses = [f.result()[0] for f in hostile]
        took = time.time() - started
        ok = answered[0] == 201 and all(st in (202, 429) for st in statuses)
        return ok, f"6 hostile mails answered {sorted(set(statuses))} in {took:.1f} s in all; the other store's reply meanwhile {answered[0]}"


@check(12, "a body trickled a byte at a time does not hold the store's inbound slots")
def trickled_bodies():
    # Two uploads that trickle a byte every 2 s take the store's two slots. Each must be cut at the
    # reading deadline (8 s: answered 408, which only a request holding a slot can be), and a real
    # reply then goes through. Nothing else is sent while they are read: a reply racing the second
    # upload for its slot (on a busy machine) would make the second upload a 429, a verdict about
    # the machine's speed rather than the server. Without the deadline the uploads are never answered.
    with Server("trickle") as s:
        c = unhappy(s, "patient@example.com")
        secret = inbound_secret(s)
        answers = []
        for _ in range(3):
            held = []
            for _ in range(2):
                sock = socket.create_connection(("127.0.0.1", s.port))
                sock.sendall((f"POST /api/v1/inbound-email HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n"
                              "Content-Type: message/rfc822\r\nContent-Length: 10000000\r\n\r\nFrom: a").encode())
                held.append(sock)
            stop = threading.Event()
            def trickle():
                while not stop.wait(2):
                    for sock in held:
                        try:
                            sock.sendall(b"x")
                        except OSError:
                            pass
            threading.Thread(target=trickle, daemon=True).start()
            try:
                answers = []
                for sock in held:
                    sock.settimeout(40)
                    try:
                        answers.append(sock.recv(64).split(b"\r\n")[0].decode())
                    except OSError:
                        answers.append("nothing within 40 s")
            finally:
                stop.set()
                for sock in held:
                    sock.close()
            # A 429 means something else still held a slot (the last attempt's upload not yet let go):
            # try again, three times at most.
            if not any(" 429 " in a for a in answers):
                break
        if answers != ["HTTP/1.1 408 Request Timeout"] * 2:
            return False, f"the trickling uploads were answered {answers}, not cut at the reading deadline"
        deadline = time.time() + 20
        status = 0
        while time.time() < deadline:
            status, _ = post_mail(s.port, secret, customer_reply(c, "patient@example.com", f"Are you there? {time.time()}"))
            if status == 201:
                break
            time.sleep(1)
        return status == 201, f"the trickling uploads were answered {answers}; a real reply afterwards {status}"


@check(13, "no store sends as the installation's domain or another store's")
def sender_domains():
    with Server("senders", stores=("shop", "other")) as s:
        mine_cookie, mine_csrf = staff_session(s)
        theirs_cookie, theirs_csrf = staff_session(s, email="other@owner.test")
        def save(cookie, csrf, fields):
            return form_post(s.port, "/app/settings/sender", {**fields, "_csrf": csrf}, cookie)[0]
        installation = save(mine_cookie, mine_csrf, {"from_address": f"security@{DOMAIN}"})
        first = save(theirs_cookie, theirs_csrf, {"from_address": "care@theirs.example"})
        squat = save(mine_cookie, mine_csrf, {"from_address": "billing@theirs.example"})
        # With no DNS record published, the other store cannot start using its own address either.
        unproven = save(theirs_cookie, theirs_csrf, {"action": "activate"})
        ok = installation == 422 and first == 303 and squat == 409 and unproven == 409
        return ok, (f"the installation's domain answered {installation}; another store's domain {squat} (its owner's save {first}); "
                    f"starting without the DNS record {unproven}")


if __name__ == "__main__":
    print(f"== mail findings replay against {BIN} ==", flush=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # finding 2 holds 200 sockets
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.time()
    wanted = set(sys.argv[1:])
    for fn in [big_mails, unread_bodies, header_injection, forwarded_for, mail_loop, merged_request_reply, unsubscribe_subject,
               photo_scrubber, reset_mails, csv_formulas, hostile_parts, trickled_bodies, sender_domains]:
        if not wanted or str(fn.number) in wanted:
            fn()
    failed = [r for r in results if not r[2]]
    print(f"mail findings: {len(results) - len(failed)} held, {len(failed)} failed ({time.time() - started:.0f} s)", flush=True)
    sys.exit(1 if failed else 0)
