#!/usr/bin/env python3
"""Independent checks of CareLoop's outbound mail: DKIM signatures verified by dkimpy, spam scores
from SpamAssassin (local tests only, no Bayes, no learning, nothing written outside a temp dir).

  python3 Tests/support/mailcheck.py --selftest       keys, signing, verifying, scoring, and a check
                                                       that Tests/fixtures/dkim/vectors.json still holds
  python3 Tests/support/mailcheck.py --write-vectors  regenerates that file (with dkimpy)

As a module (Tests/support on sys.path):
  ok, detail = verify_dkim(raw, {"sel._domainkey.example.com": "v=DKIM1; k=ed25519; p=..."})
  with SpamAssassin() as sa:        # spamd on a free loopback port: ~1-2 s to start, ~0.1 s a message
      score, rules = sa.score(raw)
  score, rules = spam_score(raw)    # the running SpamAssassin() if any, else one `spamassassin -L` (~1.5 s)

Needs dkimpy and PyNaCl (pip; dkimpy imports PyNaCl only for Ed25519), Debian's spamassassin, openssl."""
import argparse, base64, datetime, email, email.charset, email.header, email.utils, hashlib, json
import logging, os, quopri, re, shutil, socket, subprocess, tempfile, time
from pathlib import Path
from unittest import mock

import dkim
import nacl.encoding, nacl.signing  # PyNaCl: dkimpy's Ed25519 support; without it Ed25519 never verifies
from dkim.canonicalization import CanonicalizationPolicy, Relaxed, Simple

VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "dkim" / "vectors.json"
SIGNED = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]


# --- DKIM -----------------------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def verify_dkim(raw: bytes, records: dict) -> tuple[bool, str]:
    """Verifies every DKIM-Signature in raw with dkimpy; keys come from records (DNS name -> TXT
    text), never from DNS. ok: there is at least one signature and each verifies. detail: a line a
    signature: pass/FAIL, a=, c=, d=, s=, the signed headers (h=), the key size or dkimpy's reason."""
    table = {name.lower().rstrip("."): txt for name, txt in records.items()}

    def dnsfunc(name, timeout=5):
        txt = table.get(name.decode().lower().rstrip("."))
        return txt.encode() if txt is not None else None

    collect = _Collect()
    logger = logging.Logger("mailcheck.dkim", logging.INFO)
    logger.addHandler(collect)
    d = dkim.DKIM(raw, logger=logger)
    count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
    if count == 0:
        return False, "no DKIM-Signature header"
    ok, lines = True, []
    for i in range(count):
        collect.lines.clear()
        d.signature_fields = {}
        try:
            good = d.verify(idx=i, dnsfunc=dnsfunc)
        except Exception as e:  # dkimpy raises for malformed signatures and keys
            good = False
            collect.lines.append(f"{type(e).__name__}: {e}")
        tags = {k.decode(): re.sub(r"\s+", "", v.decode("ascii", "replace")) for k, v in d.signature_fields.items()}
        line = (f"{'pass' if good else 'FAIL'}: a={tags.get('a')} c={tags.get('c', 'simple/simple')} "
                f"d={tags.get('d')} s={tags.get('s')} h={tags.get('h')}")
        line += f" key={d.keysize}-bit" if good else ""
        if not good and not collect.lines:
            collect.lines.append("the signature does not match the signed headers")
        lines.append("; ".join([line] + collect.lines))
        ok = ok and good
    return ok, "\n".join(lines)


def dns_records_for(selector: str, domain: str, pem: bytes) -> dict:
    """The TXT record a DNS admin publishes for a PKCS#8 PEM private key (RSA or Ed25519):
    RSA: p= is base64 of the SubjectPublicKeyInfo DER; Ed25519 (RFC 8463): base64 of the raw
    32-byte key, which is the last 32 bytes of its 44-byte SubjectPublicKeyInfo."""
    spki = _openssl("pkey", "-pubout", "-outform", "DER", input=pem)
    if spki.startswith(bytes.fromhex("302a300506032b6570032100")):
        txt = "v=DKIM1; k=ed25519; p=" + base64.b64encode(spki[-32:]).decode()
    else:
        txt = "v=DKIM1; k=rsa; p=" + base64.b64encode(spki).decode()
    return {f"{selector}._domainkey.{domain}": txt}


def ed25519_seed(pem: bytes) -> bytes:
    """dkimpy's Ed25519 private key form: base64 of the 32-byte seed, the end of the PKCS#8 DER."""
    der = _openssl("pkey", "-outform", "DER", input=pem)
    assert der.startswith(bytes.fromhex("302e020100300506032b657004220420")) and len(der) == 48
    return base64.b64encode(der[-32:])


def _openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True, check=True).stdout


def sign(raw: bytes, selector: str, domain: str, key: bytes, algorithm: bytes = b"rsa-sha256") -> bytes:
    """raw with a dkimpy relaxed/relaxed signature prepended (key: PEM for RSA, seed for Ed25519)."""
    sig = dkim.sign(raw, selector.encode(), domain.encode(), key, canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=algorithm, include_headers=[h.encode() for h in SIGNED])
    return sig + raw


# --- SpamAssassin ---------------------------------------------------------------------------------

# -L: no DNS or network tests (and so no DKIM verification). -C: the rules the Debian package ships, not
# whatever sa-update may have put in /var/lib/spamassassin, so scores are the same on every machine.
# report_safe 0: never wrap the message; X-Spam-Tests: every rule that hit with its points (3 decimals).
SA_RULES = "/usr/share/spamassassin"
SA_OPTIONS = ["-L", *(["-C", SA_RULES] if os.path.isdir(SA_RULES) else []), "--cf=use_bayes 0",
              "--cf=bayes_auto_learn 0", "--cf=report_safe 0", "--cf=add_header all Tests _TESTSSCORES(,)_"]
_running = None


def _points(message: bytes) -> dict:
    tests = email.message_from_bytes(message)["X-Spam-Tests"]
    if tests is None:
        raise RuntimeError("SpamAssassin's answer has no X-Spam-Tests header")
    tests = re.sub(r"\s+", "", tests)
    return {} if tests == "none" else {n: float(p) for n, p in (t.split("=") for t in tests.split(","))}


def spam_points(raw: bytes) -> dict:
    """{rule: points} for raw, from the running SpamAssassin() or else one `spamassassin` run."""
    if _running is not None:
        return _running.points(raw)
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(["spamassassin", "-x", *SA_OPTIONS], input=raw, capture_output=True,
                             check=True, timeout=300, env={**os.environ, "HOME": home}).stdout
    return _points(out)


def spam_score(raw: bytes) -> tuple[float, list[str]]:
    """SpamAssassin's score of raw (the sum of its rules' points) and the rule names, highest first."""
    return _summary(spam_points(raw))


def _summary(points: dict) -> tuple[float, list[str]]:
    return round(sum(points.values()), 3), sorted(points, key=lambda n: (-points[n], n))


class SpamAssassin:
    """spamd on a free 127.0.0.1 port, as `nobody` when root, with a throwaway home; spoken to in the
    spamc protocol (HEADERS). Use as a context manager or call start()/stop()."""

    def __init__(self):
        self.proc = self.home = None

    def start(self, timeout: float = 120):
        global _running
        self.home = tempfile.mkdtemp(prefix="mailcheck-spamd-")
        os.chmod(self.home, 0o755)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.log = os.path.join(self.home, "spamd.log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(["spamd", "-x", "-m", "2", "-i", f"127.0.0.1:{self.port}", "-H", self.home,
                                          "-s", "stderr", *user, *SA_OPTIONS], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if b"PONG" in self._call(b"PING"):
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = Path(self.log).read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"spamd did not start:\n{tail}")
            time.sleep(0.1)
        _running = self
        return self

    def stop(self):
        global _running
        if _running is self:
            _running = None
        if self.proc is not None:
            self.proc.terminate()  # spamd's parent stops its children
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)

    __enter__ = start

    def __exit__(self, *exc):
        self.stop()

    def _call(self, command: bytes, raw: bytes = b"") -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=120) as s:
            s.sendall(b"%s SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % (command, len(raw)) + raw)
            s.shutdown(socket.SHUT_WR)
            return b"".join(iter(lambda: s.recv(65536), b""))

    def points(self, raw: bytes) -> dict:
        status, _, rest = self._call(b"HEADERS", raw).partition(b"\r\n")
        if not status.endswith(b" EX_OK"):
            raise RuntimeError(f"spamd answered {status!r}")
        return _points(rest.partition(b"\r\n\r\n")[2])

    def score(self, raw: bytes) -> tuple[float, list[str]]:
        return _summary(self.points(raw))


# --- sample mail ----------------------------------------------------------------------------------

def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _qp(text: str) -> str:
    return quopri.encodestring(text.encode()).decode()  # soft breaks keep lines <= 76


def _subject(text: str) -> str:
    if text.isascii():
        return text
    utf8 = email.charset.Charset("utf-8")
    utf8.header_encoding = email.charset.QP
    return email.header.Header(text, utf8, header_name="Subject").encode(linesep="\n")


def sample_messages(domain: str = "example.com") -> dict:
    """The three shapes of CareLoop mail: plain English, German (UTF-8, QP, RFC 2047 subject), and
    multipart/alternative text+HTML with a button link. Dated now; CRLF line ends."""
    def head(subject, content_type, extra=""):
        return (f"From: Acme Support <support@{domain}>\n"
                f"To: Jane Doe <jane.doe@example.org>\n"
                f"Subject: {_subject(subject)}\n"
                f"Date: {email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc))}\n"
                f"Message-ID: {email.utils.make_msgid('careloop', domain)}\n"
                f"MIME-Version: 1.0\n"
                f"Content-Type: {content_type}\n{extra}"
                f"Auto-Submitted: auto-generated\n\n")
    link = f"https://support.{domain}/requests/4711"
    english = ("Hello Jane,\n\nTom from the Acme support team has replied to your request #4711 "
               "\"Printer does not turn on\":\n\n"
               "> Could you please check whether the power cable is firmly plugged in?\n\n"
               f"You can read the whole conversation and reply here:\n{link}\n\nKind regards,\nAcme Support\n")
    german = ("Hallo Frau Müller,\n\nTom vom Acme-Support hat auf Ihre Anfrage #4711 „Drucker lässt sich nicht "
              "einschalten“ geantwortet:\n\n> Könnten Sie bitte prüfen, ob das Netzkabel fest eingesteckt ist? "
              "Größere Störungen sind uns derzeit nicht bekannt.\n\n"
              f"Den gesamten Verlauf lesen und antworten können Sie hier:\n{link}\n\n"
              "Mit freundlichen Grüßen\nIhr Acme-Support\n")
    html = ('<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>New reply to your request #4711'
            '</title></head>\n<body style="font-family: Arial, sans-serif; color: #222222;">\n<p>Hello Jane,</p>\n'
            '<p>Tom from the Acme support team has replied to your request #4711 "Printer does not turn on":</p>\n'
            '<blockquote>Could you please check whether the power cable is firmly plugged in?</blockquote>\n'
            f'<p><a href="{link}" style="display: inline-block; padding: 10px 18px; background-color: #1a56db; '
            'color: #ffffff; text-decoration: none; border-radius: 4px;">View the conversation</a></p>\n'
            '<p>Kind regards,<br>\nAcme Support</p>\n</body>\n</html>\n')
    text = english.replace(f"You can read the whole conversation and reply here:\n{link}",
                           f"View the conversation: {link}")
    boundary = "=_careloop_5f1c2e9a"
    qp = "Content-Transfer-Encoding: quoted-printable\n"
    return {
        "plain English": _crlf(head("New reply to your request #4711", "text/plain; charset=utf-8",
                                    "Content-Transfer-Encoding: 7bit\n") + english),
        "German, UTF-8 quoted-printable": _crlf(
            head("Neue Antwort auf Ihre Anfrage #4711 – Drucker lässt sich nicht einschalten",
                 "text/plain; charset=utf-8", qp) + _qp(german)),
        "multipart/alternative text+HTML": _crlf(
            head("New reply to your request #4711", f'multipart/alternative; boundary="{boundary}"')
            + f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n{qp}\n{_qp(text)}\n"
            + f"--{boundary}\nContent-Type: text/html; charset=utf-8\n{qp}\n{_qp(html)}\n--{boundary}--\n"),
    }


# --- known-answer vectors for the Swift signer --------------------------------------------------------

_H = ("From: Acme Support <support@example.com>\r\nTo: jane.doe@example.org\r\n"
      "Subject: Vector\r\nDate: Mon, 06 May 2024 10:00:00 +0000\r\nMessage-ID: <v@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n")
BODY_VECTORS = [
    ("no-final-crlf", "The body's last line has no CRLF. RFC 6376 3.4.3/3.4.4: both canonicalizations add one.",
     _H + "\r\nHello Jane,\r\n\r\nyour request #4711 has a new reply."),
    ("trailing-whitespace-blank-lines",
     "Trailing SP/HTAB on lines, runs of inner WSP, whitespace-only and empty lines at the end; messy headers "
     "(upper case name, folded value with tabs and trailing spaces) for relaxed header canonicalization.",
     "FROM:   Acme Support   <support@example.com>  \r\nTo: jane.doe@example.org\r\n"
     "Subject: A folded\t \r\n\tsubject   with  spaces \r\nDate: Mon, 06 May 2024 10:00:00 +0000\r\n"
     "Message-ID: <v@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
     "\r\nHello  Jane,\t\r\n  indented \t line  \r\n\r\nBye \r\n\r\n \t\r\n\r\n"),
    ("utf8-quoted-printable",
     "German UTF-8 text in quoted-printable: soft line breaks (=CRLF), an encoded trailing space (=20, not WSP).",
     _H.replace("charset=utf-8\r\n", "charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n") + "\r\n"
     + _qp("Grüße aus Köln!\nIhre Anfrage „Drucker lässt sich nicht einschalten“ wurde beantwortet; "
           "größere Störungen sind uns derzeit nicht bekannt. \nMit freundlichen Grüßen\n").replace("\n", "\r\n")),
    ("empty-body", "No body at all: relaxed hashes the empty string, simple hashes one CRLF.", _H + "\r\n"),
    ("utf8-8bit-unicode-spaces",
     "8bit UTF-8 body: only SP and HTAB are WSP. A trailing NO-BREAK SPACE (U+00A0) and an inner IDEOGRAPHIC "
     "SPACE (U+3000) stay as they are (Swift's whitespace character sets would strip them).",
     _H.replace("charset=utf-8\r\n", "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
     + "\r\nGrüße aus Köln\u00a0\r\nZeile\u3000mit  Leerzeichen \t\r\n"),
]

# RFC 8463 Appendix A: its Ed25519 key (A.1 seed, A.2 record) and signed message (A.3, the Ed25519 signature).
RFC8463_SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
RFC8463 = {
    "name": "rfc8463-appendix-a",
    "description": "RFC 8463 A.3's Ed25519-SHA256 signature, verbatim; h= over-signs from/subject/date "
                   "(the absent second instances hash as nothing). Seed from A.1.",
    "message": ("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=football.example.com; "
                "i=@football.example.com;\r\n q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n subject : date : "
                "message-id : from : subject : date;\r\n bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n "
                "b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
                "From: Joe SixPack <joe@football.example.com>\r\nTo: Suzie Q <suzie@shopping.example.net>\r\n"
                "Subject: Is dinner ready?\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n\r\n"
                "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n"),
    "records": {"brisbane._domainkey.football.example.com":
                "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
    "ed25519_seed": RFC8463_SEED,
}

# Mail::DKIM (SpamAssassin's verifier, Debian's libmail-dkim-perl) body hash, to show where it differs.
_MAIL_DKIM_BH = r"""use Mail::DKIM::Signature; use Mail::DKIM::Algorithm::rsa_sha256; binmode STDIN; local $/;
my $body = <STDIN>; for my $m ("relaxed/relaxed", "relaxed/simple") {
  my $sig = Mail::DKIM::Signature->new(Algorithm => "rsa-sha256", Method => $m, Headers => "from");
  my $alg = Mail::DKIM::Algorithm::rsa_sha256->new(Signature => $sig);
  $alg->add_header("From: a\@b\015\012"); $alg->finish_header(Headers => ["From: a\@b\015\012"]);
  $alg->add_body($body); $alg->finish_body; print $sig->body_hash, "\n"; }"""


def _b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def body_vector(name: str, description: str, message: str) -> dict:
    headers, body = dkim.rfc822_parse(message.encode())
    v = {"name": name, "description": description, "message": message, "body": body.decode()}
    for c in (Relaxed, Simple):
        canon = c.canonicalize_body(body)
        v[f"canonical_body_{c.name.decode()}"] = canon.decode()
        v[f"bh_{c.name.decode()}"] = _b64sha256(canon)
    v["canonical_headers_relaxed"] = [(n + b":" + val).decode() for n, val in Relaxed.canonicalize_headers(headers)]
    try:
        out = subprocess.run(["perl", "-e", _MAIL_DKIM_BH], input=body, capture_output=True, check=True).stdout
        relaxed, simple = out.decode().split()
        v["mail_dkim"] = {"bh_relaxed": relaxed, "bh_simple": simple,
                          "agrees": (relaxed, simple) == (v["bh_relaxed"], v["bh_simple"])}
    except (OSError, subprocess.CalledProcessError, ValueError):
        pass
    return v


def header_hash_input(message: bytes, idx: int = 0) -> bytes:
    """The exact bytes dkimpy hashes for the headers of signature idx (b= emptied, no final CRLF)."""
    d = dkim.DKIM(message)
    sigs = [(n, v) for n, v in d.headers if n.lower() == b"dkim-signature"]
    tags = dkim.util.parse_tag_value(sigs[idx][1])
    policy = CanonicalizationPolicy.from_c_value(tags.get(b"c"))
    include = [h.lower() for h in re.split(rb"\s*:\s*", re.sub(rb"\s+", b"", tags[b"h"]))]
    h = dkim.HashThrough(hashlib.sha256(), True)
    dkim.hash_headers(h, policy, policy.canonicalize_headers(d.headers), include, sigs[idx], tags)
    return h.hashed()


def signature_vector(v: dict) -> dict:
    message = v["message"].encode()
    count = sum(1 for n, _ in dkim.DKIM(message).headers if n.lower() == b"dkim-signature")
    return {**v, "header_hash_input": [header_hash_input(message, i).decode() for i in range(count)]}


def write_vectors(path: Path = VECTORS):
    rsa = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    records = {**dns_records_for("rsa", "example.com", rsa),
               "ed._domainkey.example.com": RFC8463["records"]["brisbane._domainkey.football.example.com"]}
    raw = BODY_VECTORS[0][2].encode()
    with mock.patch("time.time", return_value=1715000000):  # fixes t=, so the signatures are exact
        raw = sign(raw, "ed", "example.com", RFC8463_SEED.encode(), b"ed25519-sha256")
        raw = sign(raw, "rsa", "example.com", rsa)
    careloop = {"name": "dkimpy-dual-signed",
                "description": "dkimpy 'relaxed/relaxed' RSA-SHA256 (2048-bit, key below) and Ed25519-SHA256 "
                               "(RFC 8463 seed) signatures over the no-final-crlf message, t=1715000000; both "
                               "are deterministic: a signer given the same DKIM-Signature text must produce this b=.",
                "message": raw.decode(), "records": records, "rsa_private_key_pem": rsa.decode(),
                "ed25519_seed": RFC8463_SEED}
    doc = {"generator": f"Tests/support/mailcheck.py --write-vectors (dkimpy {_version('dkimpy')})",
           "notes": ["All strings are exact bytes: UTF-8, CRLF line ends, no trailing newline added.",
                     "bh_* = base64(SHA-256(canonical body)). canonical_headers_relaxed: name:value CRLF, in order.",
                     "header_hash_input: per DKIM-Signature (topmost first), what is hashed for b= "
                     "(signature header last, b= empty, no final CRLF). Ed25519-SHA256 signs SHA-256 of it.",
                     "mail_dkim: Mail::DKIM's (SpamAssassin's) body hashes; 'agrees': false marks a body "
                     "implementations disagree on. A signer should never emit one: end the body with CRLF."],
           "body_hash": [body_vector(*v) for v in BODY_VECTORS],
           "signatures": [signature_vector(RFC8463), signature_vector(careloop)]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _version(dist):
    from importlib.metadata import version
    return version(dist)


def check_vectors(path: Path = VECTORS):
    doc = json.loads(path.read_text())
    for v in doc["body_hash"]:
        fresh = body_vector(v["name"], v["description"], v["message"])
        for key in ("bh_relaxed", "bh_simple", "canonical_body_relaxed", "canonical_body_simple",
                    "canonical_headers_relaxed"):
            assert fresh[key] == v[key], f"{v['name']}: {key} {fresh[key]!r} != {v[key]!r}"
        note = "" if fresh.get("mail_dkim", {}).get("agrees", True) else f"  (Mail::DKIM differs: {fresh['mail_dkim']})"
        print(f"  vector {v['name']}: bh relaxed {v['bh_relaxed']} simple {v['bh_simple']}{note}")
    for v in doc["signatures"]:
        message = v["message"].encode()
        ok, detail = verify_dkim(message, v["records"])
        assert ok, f"{v['name']}: {detail}"
        for i, expected in enumerate(v["header_hash_input"]):
            assert header_hash_input(message, i).decode() == expected, f"{v['name']}: header hash input {i}"
        # Ed25519 is deterministic: re-signing SHA-256(header hash input) with the seed gives b= exactly.
        d = dkim.DKIM(message)
        for i, (_, value) in enumerate(h for h in d.headers if h[0].lower() == b"dkim-signature"):
            tags = dkim.util.parse_tag_value(value)
            if tags[b"a"] == b"ed25519-sha256":
                key = nacl.signing.SigningKey(v["ed25519_seed"].encode(), encoder=nacl.encoding.Base64Encoder)
                digest = hashlib.sha256(v["header_hash_input"][i].encode()).digest()
                assert base64.b64encode(key.sign(digest).signature) == re.sub(rb"\s+", b"", tags[b"b"])
        print(f"  vector {v['name']}:\n    " + detail.replace("\n", "\n    "))


# --- self-test ------------------------------------------------------------------------------------

def selftest():
    rsa = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    ed = _openssl("genpkey", "-algorithm", "ed25519")
    assert rsa.startswith(b"-----BEGIN PRIVATE KEY-----") and ed.startswith(b"-----BEGIN PRIVATE KEY-----")
    records = {**dns_records_for("rsa2048", "example.com", rsa), **dns_records_for("ed", "example.com", ed)}
    for name, txt in records.items():
        print(f"{name}. IN TXT \"{txt[:60]}...\" ({len(txt.split('p=')[1])} base64 chars)")
    assert len(records["ed._domainkey.example.com"].split("p=")[1]) == 44
    seed = ed25519_seed(ed)

    print("DKIM (dkimpy):")
    messages = sample_messages()
    for label, raw in messages.items():
        signed = sign(sign(raw, "ed", "example.com", seed, b"ed25519-sha256"), "rsa2048", "example.com", rsa)
        ok, detail = verify_dkim(signed, records)
        assert ok and detail.count("pass:") == 2 and "c=relaxed/relaxed" in detail, detail
        print(f"  {label}: verified\n    " + detail.replace("\n", "\n    "))
        messages[label] = signed
    signed = messages["plain English"]
    i = signed.index(b"Hello Jane")
    for what, bad, records_used in [
        ("tampered body", signed[:i] + b"Hallo" + signed[i + 5:], records),
        ("tampered Subject", signed.replace(b"Subject: New", b"Subject: Old"), records),
        ("Ed25519 record published as SubjectPublicKeyInfo (wrong per RFC 8463)", signed,
         {**records, "ed._domainkey.example.com": "v=DKIM1; k=ed25519; p=" + base64.b64encode(
             _openssl("pkey", "-pubout", "-outform", "DER", input=ed)).decode()}),
        ("no key record", signed, {}),
    ]:
        ok, detail = verify_dkim(bad, records_used)
        assert not ok, f"{what} verified: {detail}"
        print(f"  {what}: fails as it should\n    " + detail.replace("\n", "\n    "))

    print(f"vectors ({VECTORS.relative_to(Path.cwd()) if VECTORS.is_relative_to(Path.cwd()) else VECTORS}):")
    check_vectors()

    print("SpamAssassin (local tests only, no Bayes):")
    started = time.monotonic()
    with SpamAssassin() as sa:
        print(f"  spamd up in {time.monotonic() - started:.1f} s")
        for label, raw in messages.items():
            started = time.monotonic()
            points = sa.points(raw)
            score = round(sum(points.values()), 3)
            elapsed = time.monotonic() - started
            print(f"  {label}: {score:.3f} in {elapsed:.2f} s: " + ", ".join(f"{r} {p:+g}" for r, p in points.items()))
            assert score < 2.0, f"{label} scores {score}"
    started = time.monotonic()
    score, rules = spam_score(messages["plain English"])
    print(f"  without spamd (spamassassin -L): {score:.3f} in {time.monotonic() - started:.1f} s: {', '.join(rules)}")
    print("selftest: ok")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--write-vectors", action="store_true")
    args = parser.parse_args()
    if args.write_vectors:
        write_vectors()
        print(f"wrote {VECTORS}")
    if args.selftest:
        selftest()
    if not (args.selftest or args.write_vectors):
        parser.print_help()
