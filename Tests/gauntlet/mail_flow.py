#!/usr/bin/env python3
"""Mail as it really flows: CareLoop relays through a real Postfix (Debian's), and Postfix pipes the
mail domain's mail (replies, bounces, unsubscribes) into `careloop mail-pipe` exactly as docs/mail.md
tells an administrator to, with its own master.cf line. Checks, each on a fresh server:

  ooo      a resolved care conversation, the customer's mailbox answers with out-of-office replies
           (Exchange, Gmail and plain RFC 3834 shapes): it stays resolved, no clock, nothing sent
  bounce   a review request to an address Postfix rejects permanently: Postfix's own DSN comes back
           through the pipe, the request (and its reminders) stop, the profile says bounced; the
           customer then writes in through the store's own address and is cleared
  loop     two stores, each sending from its own address to the other's: their automatic mails
           reach each other at most once; with a relay that strips the Auto-Submitted marker, at
           most the documented hourly limit each
  dkim     every kind of mail (`careloop mail samples`, English and German) and the mails a
           customer really received through Postfix verify with dkimpy, for RSA and Ed25519
  spam     SpamAssassin (network tests off) scores every kind of mail below 2.0

Needs root, Debian's postfix and spamassassin/spamd, and PyPI's dkimpy and pynacl. Prints one line
per check and exits 1 if any failed."""
import email, email.policy, html, json, os, re, shutil, smtplib, subprocess, sys, tempfile, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from harness import check_runner, BIN, ROOT, Dashboard, Node, cleanup, create_store, free_port, request  # noqa: E402
from postfix import PipeDir, Postfix  # noqa: E402
import mailcheck  # noqa: E402

INBOUND_SECRET = "inb-installation-" + uuid.uuid4().hex + uuid.uuid4().hex
PASSWORD = "long enough pw"
results = []


check = check_runner(results, "mail")


def readable_dir(prefix):
    """A work folder Postfix's unprivileged pipe user can reach and write."""
    path = tempfile.mkdtemp(prefix=f"careloop-{prefix}-")
    os.chmod(path, 0o777)
    return path


def mail_pipe_argv(port, secret_file):
    # docs/mail.md's line: `careloop mail-pipe --url URL --secret-file FILE`, run by pipe(8) as nobody.
    return [BIN, "mail-pipe", "--url", f"http://127.0.0.1:{port}", "--secret-file", secret_file]


def secret_file(folder, name, secret):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o644)
    return path


def wait(predicate, timeout, every=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


class DNS:
    """Tests/support/dns_txt.py: the TXT records a store publishes."""

    def __init__(self, folder):
        self.dir = os.path.join(folder, "dns")
        self.port = free_port()
        self.records = {}
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests", "support", "dns_txt.py"), "--port", str(self.port),
                                      "--dir", self.dir], stdout=subprocess.PIPE)
        if b"ready" not in self.proc.stdout.readline():
            raise SystemExit("the DNS server did not start")

    def publish(self, name, record):
        self.records[name] = [record]
        with open(os.path.join(self.dir, "records.json"), "w") as f:
            json.dump(self.records, f)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Installation:
    """One CareLoop behind one Postfix: the mail domain piped back in, customers' mailboxes in folders."""

    def __init__(self, name, domain="mail.test", routes=None, dead=(), header_checks=None, env=None, stores=("shop",)):
        self.dir = readable_dir(name)
        self.domain = domain
        self.mailbox = PipeDir(os.path.join(self.dir, "mailbox"))
        self.port = free_port()
        self.env = {
            "CARELOOP_DATABASE_URL": f"sqlite://{self.dir}/careloop.sqlite", "CARELOOP_MAIL_DOMAIN": domain,
            "CARELOOP_MAIL_FROM": f"care@{domain}", "CARELOOP_INBOUND_SECRET": INBOUND_SECRET, "CARELOOP_RETRY_BASE_SECONDS": "1",
            "CARELOOP_REQUEST_SWEEP_SECONDS": "1", "CARELOOP_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
        }
        self.env.update(env or {})
        self.keys = {slug: create_store(self.dir, self.env, slug=slug) for slug in stores}
        self.dns = DNS(self.dir)
        self.env["CARELOOP_DNS_RESOLVER"] = f"127.0.0.1:{self.dns.port}"
        # CareLoop first (the stores' own inbound secrets are made on first asking), then Postfix on the
        # port CareLoop already relays to: mail queued before it listens is retried within a second.
        smtp_port = free_port()
        self.env["CARELOOP_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        self.node = Node(self.dir, self.env)
        self.node.port = self.port
        self.node.start()
        installation_secret = secret_file(self.dir, "inbound-secret", INBOUND_SECRET)
        all_routes = {domain: mail_pipe_argv(self.port, installation_secret), "customers.test": self.mailbox.argv("${recipient}")}
        all_routes.update({d: argv(self) for d, argv in (routes or {}).items()})
        main_cf = {}
        if header_checks:
            path = os.path.join(self.dir, "header_checks")
            with open(path, "w") as f:
                f.write(header_checks)
            main_cf["header_checks"] = f"regexp:{path}"
        self.postfix = Postfix(os.path.join(self.dir, "postfix"), routes=all_routes, dead_domains=list(dead), main_cf=main_cf, port=smtp_port)
        self.postfix.start()

    def store_secret_file(self, slug):
        status, body = request(self.port, "GET", "/api/v1/settings/inbound-email", key=self.keys[slug])
        return secret_file(self.dir, f"{slug}-secret", body["secret"])

    def dashboard(self, slug="shop"):
        return Dashboard(self.port, f"{slug}@owner.test", PASSWORD)

    def api(self, method, path, slug="shop", body=None):
        return request(self.port, method, path, body=body, key=self.keys[slug], timeout=30)

    def customer_mails(self, address=None):
        """What reached customers' mailboxes (through Postfix): (raw bytes, parsed), oldest first."""
        out = []
        for _, raw in self.mailbox.messages():
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            if address is None or address.lower() in str(parsed.get("To", "")).lower():
                out.append((raw, parsed))
        return out

    def send_as_customer(self, raw):
        with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=30) as s:
            parsed = email.message_from_bytes(raw)
            s.sendmail(email.utils.parseaddr(parsed["From"])[1], [email.utils.parseaddr(parsed["To"])[1]], raw)

    def close(self):
        self.node.stop()
        self.postfix.stop()
        self.dns.stop()
        cleanup(self.dir)


def conversations(inst, slug="shop"):
    status, body = inst.api("GET", "/api/v1/conversations?status=", slug=slug)
    return body.get("conversations", []) if status == 200 else []


def review(email_address, rating, product="kettle"):
    return {"external_id": f"r-{uuid.uuid4()}", "rating": rating, "body": "The lid leaks.", "product": {"external_id": product, "name": "Kettle"},
            "customer": {"email": email_address, "name": "Grace Hopper"}}


def out_of_office(shape, to, in_reply_to, sender):
    headers = {
        "exchange": ["Subject: Automatic reply: About your review", "Auto-Submitted: auto-generated", "X-Auto-Response-Suppress: All",
                     f"X-MS-Exchange-Inbox-Rules-Loop: {sender}", "Content-Language: en-US"],
        "gmail": ["Subject: Re: About your review", "Auto-Submitted: auto-replied", "Precedence: bulk"],
        "rfc3834": ["Subject: Auto: About your review", "Auto-Submitted: auto-replied (vacation)"],
    }[shape]
    lines = [f"From: Grace Hopper <{sender}>", f"To: {to}", f"Message-ID: <ooo-{shape}-{uuid.uuid4()}@customers.test>",
             f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}", "MIME-Version: 1.0", *headers,
             "Content-Type: text/plain; charset=utf-8", "", f"I am out of the office until Monday 14 December ({shape}).",
             "For urgent matters call the front desk.", ""]
    return "\r\n".join(lines).encode()


@check("ooo")
def ooo():
    inst = Installation("mail-ooo")
    try:
        grace = "grace@customers.test"
        status, _ = inst.api("POST", "/api/v1/triggers", body={
            "name": "Thank every reply", "event": "conversation.customer_replied", "once_per_subject": False,
            "actions": [{"type": "send_message", "template": "Thanks, we read every message."}]})
        inst.api("POST", "/api/v1/reviews", body=review(grace, 1))
        care = wait(lambda: inst.customer_mails(grace), 20)
        if not care:
            return False, f"no care mail reached the customer's mailbox through Postfix; log: {inst.postfix.log()[-800:]}"
        conversation = wait(lambda: conversations(inst), 5)[0]
        cid = conversation["id"]
        inst.api("POST", f"/api/v1/conversations/{cid}/messages", body={"body": "A new lid is on its way."})
        staff = wait(lambda: len(inst.customer_mails(grace)) >= 2 and inst.customer_mails(grace), 20)
        if not staff:
            return False, "the staff reply never reached the customer"
        last = staff[-1][1]
        inst.api("POST", f"/api/v1/conversations/{cid}/resolve", body={"resolution_note": "Lid sent"})
        wait(lambda: len(inst.customer_mails(grace)) >= 3, 20)  # the resolution mail
        jobs_before = inst.api("GET", "/api/v1/outbox?kind=email&per_page=100")[1]["total"]
        # The customer's mailbox answers through the mail system, three ways.
        for shape in ("exchange", "gmail", "rfc3834"):
            inst.send_as_customer(out_of_office(shape, str(last["Reply-To"]), str(last["Message-ID"]), grace))
        noted = wait(lambda: sum(1 for m in inst.api("GET", f"/api/v1/conversations/{cid}")[1]["messages"]
                                 if m["body"].startswith("Automatic reply")) == 3, 30)
        detail = inst.api("GET", f"/api/v1/conversations/{cid}")[1]
        inst.postfix.wait_queue_empty(20)
        jobs_after = inst.api("GET", "/api/v1/outbox?kind=email&per_page=100")[1]["total"]
        ok = bool(noted) and detail["status"] == "resolved" and detail["sla_due_at"] is None and jobs_after == jobs_before
        return ok, (f"3 out-of-office replies piped in: {sum(1 for m in detail['messages'] if m['body'].startswith('Automatic reply'))} "
                    f"kept as system lines, conversation {detail['status']}, clock {detail['sla_due_at']}, "
                    f"mails queued after them {jobs_after - jobs_before}; care, staff and resolution mails all came through Postfix")
    finally:
        inst.close()


@check("bounce")
def bounce():
    inst = Installation("mail-bounce")
    try:
        board = inst.dashboard()
        board.post("/app/settings/requests", {"delay_days": "0", "first_reminder": "1", "second_reminder": "", "daily_cap": "1000",
                                              "quiet_start_hour": "0", "quiet_end_hour": "0", "time_zone": "UTC", "language": "en"})
        flaky = "flaky@customers.test"
        # The mailbox takes the first mail (a care message), then refuses for good (EX_NOUSER: Postfix bounces it).
        inst.mailbox.set_exit_codes({flaky: [0, 67]})
        inst.api("POST", "/api/v1/reviews", body=review(flaky, 2))
        care = wait(lambda: inst.customer_mails(flaky), 20)
        if not care:
            return False, f"the care mail never arrived; Postfix log: {inst.postfix.log()[-1000:]}"
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        status, _ = inst.api("POST", "/api/v1/orders", body={
            "external_id": "B-1", "customer": {"email": flaky, "name": "Flaky"}, "placed_at": now, "fulfilled_at": now,
            "items": [{"product": {"external_id": "mug", "name": "Mug"}, "quantity": 1}]})
        # The buyer's entry (the owner's notices go to an address this Postfix does not deliver to, and
        # bounce too: that is the owner's own entry, not this check's).
        flaky_entries = lambda: [e for e in inst.api("GET", "/api/v1/suppressions")[1].get("suppressions", []) if e["email"] == flaky]
        listed = wait(flaky_entries, 40)
        if not listed:
            return False, f"no bounce recorded (order {status}); Postfix log: {inst.postfix.log()[-1500:]}"
        entry = listed[0]
        dsn_came_back = "status=bounced" in inst.postfix.log()
        # The profile and the request say so; no reminder is queued; the customer's export lists it.
        exported = subprocess.run([BIN, "customer", "export", "--store", "shop", "--email", flaky], env=dict(os.environ, **inst.env),
                                  cwd=inst.dir, capture_output=True, text=True)
        data = json.loads(exported.stdout) if exported.returncode == 0 else {}
        customers = re.findall(r'href="(/app/customers/[0-9A-Fa-f-]{36})"', board.get("/app/customers?q=flaky")[1])
        profile = board.get(customers[0])[1] if customers else ""
        jobs = inst.api("GET", "/api/v1/outbox?kind=email&per_page=100")[1]["jobs"]
        request_mails = [j for j in jobs if j["type"] == "review_request"]
        # A forged From proves nothing: mail "from" the address to the store changes nothing...
        inst.send_as_customer(
            (f"From: Flaky <{flaky}>\r\nTo: care@mail.test\r\nSubject: hi\r\nMessage-ID: <{uuid.uuid4()}@customers.test>\r\n"
             "Content-Type: text/plain\r\n\r\nanyone can write this\r\n").encode())
        inst.postfix.wait_queue_empty(20)
        still = flaky_entries()
        # ...the customer answering the care mail they got (its reply address) shows the mailbox works.
        got = care[0][1]
        inst.send_as_customer(
            (f"From: Flaky <{flaky}>\r\nTo: {got['Reply-To']}\r\nSubject: Re: {got['Subject']}\r\n"
             f"In-Reply-To: {got['Message-ID']}\r\nMessage-ID: <{uuid.uuid4()}@customers.test>\r\n"
             "Content-Type: text/plain\r\n\r\nMy mailbox is fixed, sorry.\r\n").encode())
        cleared = wait(lambda: flaky_entries() == [], 30)
        ok = (entry["email"] == flaky and entry["status"].startswith("5.") and entry["mail"] == "request" and dsn_came_back
              and "Email bounced" in profile and len(request_mails) == 1 and len(data.get("mail_bounces", [])) == 1 and bool(still)
              and cleared)
        return ok, (f"Postfix's DSN came back through the pipe: {entry['email']} {entry['status']} ({entry['mail']}); "
                    f"request mails queued {len(request_mails)} (no reminder); profile says bounced: {'Email bounced' in profile}; "
                    f"a forged From left it listed: {bool(still)}; cleared when the customer answered the care mail: {bool(cleared)}")
    finally:
        inst.close()


def two_stores(name, header_checks=None):
    """Stores a and b, each sending from its own address; each is the other's customer."""
    inst = Installation(name, stores=("shop-a", "shop-b"), header_checks=header_checks,
                        routes={"a.test": lambda i: mail_pipe_argv(i.port, i.store_secret_file("shop-a")),
                                "b.test": lambda i: mail_pipe_argv(i.port, i.store_secret_file("shop-b"))})
    for slug in ("shop-a", "shop-b"):
        board = inst.dashboard(slug)
        board.post("/app/settings/sender", {"from_address": f"care@{slug[-1]}.test"})
        # The store publishes the key CareLoop made (in the test's DNS server), then starts using it.
        page = board.get("/app/settings")[1]
        name = re.search(r"Publish this TXT record at <code>([^<]+)</code>", page).group(1)
        record = html.unescape(re.search(r'<code class="secret" id="dkim-record">([^<]+)</code>', page).group(1))
        inst.dns.publish(name, record)
        status, body = board.post("/app/settings/sender", {"action": "activate"})
        if status != 303:
            raise SystemExit(f"starting {slug}'s own address answered {status}")
        # Each store answers every new conversation and every reply, automatically.
        for event in ("conversation.opened", "conversation.customer_replied"):
            inst.api("POST", "/api/v1/triggers", slug=slug, body={
                "name": f"auto {event}", "event": event, "once_per_subject": False,
                "actions": [{"type": "send_message", "template": "Thanks for your message, we'll be in touch."}]})
    # a's unhappy customer is b's sending address: a's care mail goes to b, whose customer is a.
    inst.api("POST", "/api/v1/orders", slug="shop-b", body={"external_id": "x", "customer": {"email": "care@a.test"},
                                                             "items": [{"product": {"external_id": "p", "name": "P"}, "quantity": 1}]})
    inst.api("POST", "/api/v1/reviews", slug="shop-a", body=review("care@b.test", 1))
    return inst


def exchanged(inst):
    """Mails each store sent to the other, from the outbox (delivered)."""
    counts = {}
    for slug in ("shop-a", "shop-b"):
        jobs = inst.api("GET", "/api/v1/outbox?kind=email&per_page=100", slug=slug)[1]["jobs"]
        # Mails to the other store (its staff's own notices are not part of the exchange).
        counts[slug[-1]] = sum(1 for j in jobs if j["status"] == "delivered" and j.get("type") != "team_notice")
    return counts


@check("loop")
def loop():
    inst = two_stores("mail-loop")
    try:
        time.sleep(0)  # the exchange settles once Postfix's queue is empty and no delivery is pending
        wait(lambda: exchanged(inst)["a"] >= 1, 20)
        settle(inst)
        marked = exchanged(inst)
    finally:
        inst.close()
    stripped_inst = two_stores("mail-loop-stripped", header_checks="/^Auto-Submitted:/ IGNORE\n")
    try:
        wait(lambda: exchanged(stripped_inst)["b"] >= 1, 20)
        settle(stripped_inst, quiet=4)
        stripped = exchanged(stripped_inst)
    finally:
        stripped_inst.close()
    limit = 5
    # a's own triggers send its customer two mails (the care message, then "thanks for your message");
    # b, reading automatic mail, answers none of them.
    ok = marked["b"] == 0 and 1 <= marked["a"] <= 2 and stripped["a"] <= limit and stripped["b"] <= limit
    return ok, (f"with Auto-Submitted: a sent {marked['a']} (its own triggers), b answered {marked['b']}; "
                f"with a relay stripping it: a sent {stripped['a']}, b sent {stripped['b']} (each at most {limit} an hour)")


def settle(inst, quiet=2.0, timeout=60):
    """Waits until nothing has changed for `quiet` seconds: Postfix idle, no delivery pending."""
    deadline = time.time() + timeout
    last, since = None, time.time()
    while time.time() < deadline:
        state = (exchanged(inst), inst.postfix.queue_empty(),
                 [inst.api("GET", "/api/v1/outbox?status=pending&per_page=1", slug=s)[1]["total"] for s in ("shop-a", "shop-b")])
        if state != last:
            last, since = state, time.time()
        elif time.time() - since >= quiet and state[1] and sum(state[2]) == 0:
            return
        time.sleep(0.2)


def key_files(folder):
    """An RSA and an Ed25519 key made by `careloop dkim keygen`, with the TXT records it printed."""
    keys = {}
    for algorithm in ("rsa", "ed25519"):
        path = os.path.join(folder, f"{algorithm}.pem")
        out = subprocess.run([BIN, "dkim", "keygen", "--domain", "mail.test", "--selector", algorithm, "--algorithm", algorithm,
                              "--out", path], capture_output=True, text=True, check=True).stdout
        record = "".join(re.findall(r'"([^"]*)"', out.split("IN TXT", 1)[1]))
        keys[algorithm] = (path, {f"{algorithm}._domainkey.mail.test": record})
    return keys


def samples(folder, env):
    out = os.path.join(folder, "samples")
    subprocess.run([BIN, "mail", "samples", "--out", out], env=dict(os.environ, **env), capture_output=True, text=True, check=True)
    return {name: open(os.path.join(out, name), "rb").read() for name in sorted(os.listdir(out))}


@check("dkim")
def dkim():
    folder = readable_dir("mail-dkim")
    lines, failures = [], []
    try:
        for algorithm, (path, records) in key_files(folder).items():
            env = {"CARELOOP_MAIL_DOMAIN": "mail.test", "CARELOOP_DKIM_SELECTOR": algorithm, "CARELOOP_DKIM_KEY_FILE": path}
            kinds = samples(os.path.join(folder, algorithm), env)
            for name, raw in kinds.items():
                ok, detail = mailcheck.verify_dkim(raw, records)
                if not ok:
                    failures.append(f"{algorithm} {name}: {detail}")
            # And mail a customer really received, through Postfix (which adds its own headers on top).
            inst = Installation(f"mail-dkim-{algorithm}", env={"CARELOOP_DKIM_SELECTOR": algorithm, "CARELOOP_DKIM_KEY_FILE": path})
            try:
                inst.api("POST", "/api/v1/reviews", body=review("jürgen@customers.test".replace("ü", "u"), 1))
                received = wait(lambda: inst.customer_mails("jurgen@customers.test"), 20) or []
                for raw, _ in received:
                    ok, detail = mailcheck.verify_dkim(raw, records)
                    if not ok:
                        failures.append(f"{algorithm} received via Postfix: {detail}")
            finally:
                inst.close()
            lines.append(f"{algorithm}: {len(kinds)} kinds + {len(received)} received through Postfix")
    finally:
        cleanup(folder)
    return not failures and bool(lines), "; ".join(lines) + ("; FAILED: " + " | ".join(failures[:4]) if failures else ", all verify with dkimpy")


@check("spam")
def spam():
    folder = readable_dir("mail-spam")
    try:
        path, _ = key_files(folder)["rsa"]
        kinds = samples(folder, {"CARELOOP_MAIL_DOMAIN": "mail.test", "CARELOOP_DKIM_SELECTOR": "rsa", "CARELOOP_DKIM_KEY_FILE": path})
        scores = {}
        with mailcheck.SpamAssassin() as sa:
            for name, raw in kinds.items():
                scores[name] = sa.score(raw)
    finally:
        cleanup(folder)
    worst = max(scores.items(), key=lambda kv: kv[1][0])
    figures = ", ".join(f"{n.removesuffix('.eml')} {s:.1f}" for n, (s, _) in scores.items())
    return worst[1][0] < 2.0 and len(scores) >= 14, f"{len(scores)} mails, highest {worst[0]} {worst[1][0]:.2f} {worst[1][1][:4]}; {figures}"


if __name__ == "__main__":
    only = sys.argv[1:]
    for name, fn in [("ooo", ooo), ("bounce", bounce), ("loop", loop), ("dkim", dkim), ("spam", spam)]:
        if not only or name in only:
            fn()
    held = sum(1 for r in results if r[2])
    print(f"mail flow: {held} of {len(results)} held")
    sys.exit(0 if held == len(results) else 1)
