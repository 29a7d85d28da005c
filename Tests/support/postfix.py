#!/usr/bin/env python3
"""A throwaway, real Postfix (Debian's) on loopback for CareLoop's tests, and a wrapper around
Postfix's smtp-sink for benchmarks. Standard library only; needs root (Postfix's master must
start as root) and the Debian package `postfix` (3.4 or later for maillog_file).

    pf = Postfix(workdir, routes={"a.test": ["/usr/bin/python3", "/abs/path/pipe_to_dir.py", DIR, "${recipient}"]},
                 dead_domains=["dead.test"], reject_addresses=["gone@a.test"])
    pf.start()            # smtpd on 127.0.0.1:pf.port, no auth, no TLS (or: with Postfix(...) as pf:)
    ...send with smtplib...
    pf.wait_queue_empty(10); print(pf.log()); pf.stop()
    (also: pf.wait_log(regex), pf.flush() to retry deferred mail now, main_cf={...} overrides)

The pipe's argv runs as `nobody` with no PATH, HOME or shell: use absolute paths that nobody can
reach (not /root/.pyenv's python; /usr/bin/python3 is fine) and a writable output folder.

Mail policy of an instance, by recipient:
  - a routed domain: accepted, then piped (pipe(8), one recipient per delivery, as `nobody`) into
    that domain's argv with the raw message on stdin, plus Return-Path: and Delivered-To: on top
    (Postfix also puts its own Received: above the message, as any MTA does; CRLF becomes LF).
    Exit 0 = delivered; 75 EX_TEMPFAIL (also 71, or death by a signal) = deferred and retried
    about every second; any other exit, or running past 60 s, = bounced with a DSN. Output that
    starts with a 4.x.x or 5.x.x status code overrides the exit code.
  - a dead domain: accepted, then bounced by Postfix (error:5.1.1): a real RFC 3464 DSN goes to
    the envelope sender; when that sender is at a routed domain it comes back through the pipe.
  - a reject address: 550 5.1.1 at RCPT TO.
  - anything else: 554 5.7.1 Relay access denied at RCPT TO (nothing is ever relayed out).

    sink = SmtpSink(workdir); sink.start()   # smtp-sink on 127.0.0.1:sink.port, dumps every message
    sink.messages()                          # [(message_id, accepted_time), ...]

Self-test: python3 Tests/support/postfix.py --selftest"""
import atexit, email, email.parser, email.policy, glob, json, os, pwd, re, shutil, signal, smtplib
import socket, subprocess, sys, tempfile, time

SBIN = "/usr/sbin"
HERE = os.path.dirname(os.path.abspath(__file__))
# The environment Postfix's commands see: pyenv shims and the like are no business of theirs.
POSTFIX_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
# pipe(8) expands these in argv; any other "$" is passed literally (written "$$" in master.cf).
PIPE_MACROS = {"client_address", "client_helo", "client_hostname", "client_port", "client_protocol",
               "domain", "extension", "mailbox", "nexthop", "original_recipient", "queue_id",
               "recipient", "sasl_method", "sasl_sender", "sasl_username", "sender", "size", "user"}
MESSAGE_QUEUES = ("maildrop", "incoming", "active", "deferred", "hold", "corrupt")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def master_cf_arg(arg):
    """One argv element as master.cf wants it: literal $ doubled, whitespace inside { }."""
    arg = re.sub(r"\$(?!\{(%s)\})" % "|".join(sorted(PIPE_MACROS)), "$$", str(arg))
    if "{" in arg.replace("${", "") or "}" in re.sub(r"\$\{\w+\}", "", arg) or "\n" in arg:
        raise ValueError("argv element not expressible in master.cf: %r" % arg)
    return "{ %s }" % arg if re.search(r"\s", arg) or arg == "" else arg


def proc_state(pid):
    """(state letter, process group) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[2])
    except (OSError, ValueError, IndexError):
        return None


def live_in_group(pgid):
    """Pids of the group's processes that are not zombies (init may reap them late)."""
    live = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_state(int(name))
            if st and st[1] == pgid and st[0] not in ("Z", "X"):
                live.append(int(name))
    return live


def require_reachable(path, who):
    """Unprivileged users work in PATH: every folder above it must let others through
    (tempfile.mkdtemp makes 0700 folders, /root is 0700)."""
    parent = os.path.dirname(os.path.abspath(path))
    while parent != "/":
        if not os.stat(parent).st_mode & 0o001:
            raise RuntimeError("%s is not searchable by others (chmod o+x it): %s must reach %s"
                               % (parent, who, path))
        parent = os.path.dirname(parent)


def postfix_version():
    out = subprocess.run([SBIN + "/postconf", "-dh", "mail_version"], capture_output=True, text=True,
                         env=POSTFIX_ENV, check=True).stdout.strip()
    return tuple(int(x) for x in out.split(".")[:2]), out


class Postfix:
    """One private Postfix instance in WORKDIR: etc/ (main.cf, master.cf, maps), spool/ (queue),
    data/, maillog. Leaves /etc/postfix and the system's queue and instance alone (`postfix check`
    only reads Debian's postfix-script and postfix-files there)."""

    def __init__(self, workdir, routes, dead_domains=(), reject_addresses=(), hostname="mx.test",
                 pipe_user="nobody", port=None, main_cf=None):
        self.workdir = os.path.abspath(workdir)
        self.routes = {d.lower(): list(argv) for d, argv in routes.items()}
        self.dead_domains = [d.lower() for d in dead_domains]
        self.reject_addresses = list(reject_addresses)
        self.hostname = hostname
        self.pipe_user = pipe_user
        self.requested_port = port
        self.extra_main_cf = dict(main_cf or {})  # overrides, e.g. {"maximal_queue_lifetime": "30s"}
        self.port = None
        self.conf_dir = os.path.join(self.workdir, "etc")
        self.queue_dir = os.path.join(self.workdir, "spool")
        self.data_dir = os.path.join(self.workdir, "data")
        self.maillog = os.path.join(self.workdir, "maillog")
        self.check_output = ""
        self.started = False

    # --- configuration -------------------------------------------------------------------------

    def transport_name(self, index):
        return "careloop%d" % index

    def main_cf_params(self):
        name = "postfix-" + re.sub(r"[^A-Za-z0-9]", "", os.path.basename(self.workdir))[-12:] + "-%d" % self.port
        relay = list(self.routes) + [d for d in self.dead_domains if d not in self.routes]
        p = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            # Distinct names keep several instances apart in logs and in postmulti's eyes.
            "multi_instance_name": name,
            "syslog_name": name,
            # No syslog daemon in a container: log to a file through the postlog service.
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.workdir,
            "myhostname": self.hostname,
            "mydomain": self.hostname,
            "myorigin": "$myhostname",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            # No DNS anywhere: no lookups of clients, and the SMTP client (unused) uses /etc/hosts.
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "lmtp_host_lookup": "native",
            # Nothing is local: no /etc/aliases, no unix mailboxes.
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "local_transport": "error:5.1.1 no local delivery on this test server",
            # Routed and dead domains are "relay" domains whose transport comes from transport_maps.
            "relay_domains": ", ".join(relay),
            "relay_recipient_maps": "",
            # Else smtpd refuses at RCPT whatever resolves to the error transport: dead domains
            # must be accepted first and bounced afterwards, with a DSN.
            "smtpd_reject_unlisted_recipient": "no",
            "transport_maps": "texthash:" + os.path.join(self.conf_dir, "transport"),
            # Mail for other domains (DSNs to outside senders, notices) goes nowhere.
            "relay_transport": "error:5.7.1 this test server relays nowhere",
            "default_transport": "error:5.7.1 this test server relays nowhere",
            # Even 127.0.0.1 may not relay: other domains are refused at RCPT TO.
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_recipient_restrictions": "check_recipient_access texthash:%s, permit"
                                            % os.path.join(self.conf_dir, "reject_recipients"),
            # Keep "+token" whole: no address extensions anywhere.
            "recipient_delimiter": "",
            # Loopback clients count as "local" by default, and their headers would be rewritten
            # (addresses qualified, Message-ID/Date/From added): keep their messages as sent.
            "local_header_rewrite_clients": "",
            "always_add_missing_headers": "no",
            # Fast retries and no throttling, so tests wait seconds rather than minutes.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "delay_warning_time": "0",
            "maximal_queue_lifetime": "1h",
            "bounce_queue_lifetime": "1h",
            "in_flow_delay": "0",
            "smtpd_error_sleep_time": "0",
            "smtpd_soft_error_limit": "1000",
            "smtpd_hard_error_limit": "1000",
            "smtpd_client_connection_count_limit": "0",
            # Bounces go to the sender only; nothing for a postmaster who does not exist.
            "notify_classes": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
            "html_directory": "no",
            "smtpd_banner": "$myhostname ESMTP CareLoop test Postfix",
        }
        for i, _ in enumerate(self.routes):
            t = self.transport_name(i)
            # D (Delivered-To:) needs one recipient per delivery; a stuck command fails after a minute.
            p[t + "_destination_recipient_limit"] = "1"
            p[t + "_time_limit"] = "60s"
        p.update(self.extra_main_cf)
        return p

    def master_cf(self):
        lines = [
            "# service type  private unpriv  chroot  wakeup  maxproc command + args",
            "127.0.0.1:%d inet n - n - - smtpd" % self.port,
            "pickup    unix  n       -       n       60      1       pickup",
            "cleanup   unix  n       -       n       -       0       cleanup",
            "qmgr      unix  n       -       n       300     1       qmgr",
            "rewrite   unix  -       -       n       -       -       trivial-rewrite",
            "bounce    unix  -       -       n       -       0       bounce",
            "defer     unix  -       -       n       -       0       bounce",
            "trace     unix  -       -       n       -       0       bounce",
            "verify    unix  -       -       n       -       1       verify",
            "flush     unix  n       -       n       1000?   0       flush",
            "proxymap  unix  -       -       n       -       -       proxymap",
            "proxywrite unix -       -       n       -       1       proxymap",
            "smtp      unix  -       -       n       -       -       smtp",
            "relay     unix  -       -       n       -       -       smtp",
            "showq     unix  n       -       n       -       -       showq",
            "error     unix  -       -       n       -       -       error",
            "retry     unix  -       -       n       -       -       error",
            "discard   unix  -       -       n       -       -       discard",
            "local     unix  -       n       n       -       -       local",
            "virtual   unix  -       n       n       -       -       virtual",
            "lmtp      unix  -       -       n       -       -       lmtp",
            "anvil     unix  -       -       n       -       1       anvil",
            "scache    unix  -       -       n       -       1       scache",
            "postlog   unix-dgram n  -       n       -       1       postlogd",
        ]
        for i, (domain, argv) in enumerate(self.routes.items()):
            argv = list(argv)
            if not os.path.isabs(argv[0]):
                found = shutil.which(argv[0], path=POSTFIX_ENV["PATH"])
                if not found:
                    raise ValueError("route %s: command not found: %s" % (domain, argv[0]))
                argv[0] = found
            # R: Return-Path:, D: Delivered-To:, X: final delivery. No u/h: the local part keeps
            # its case; no "." or ">": no escaping. null_sender= makes a DSN's Return-Path <>.
            lines += ["# mail for %s" % domain,
                      "%s unix - n n - - pipe" % self.transport_name(i),
                      "  flags=DRX user=%s null_sender= directory=/" % self.pipe_user,
                      "  argv=" + " ".join(master_cf_arg(a) for a in argv)]
        return "\n".join(lines) + "\n"

    def transport_map(self):
        lines = ["%s %s:" % (d, self.transport_name(i)) for i, d in enumerate(self.routes)]
        lines += ["%s error:5.1.1 mailbox unavailable" % d for d in self.dead_domains if d not in self.routes]
        return "\n".join(lines) + "\n"

    def reject_map(self):
        # smtpd puts "<address>: Recipient address rejected: " before the text.
        return "".join("%s 550 5.1.1 mailbox unavailable\n" % a
                       for a in self.reject_addresses)

    def write_config(self):
        # The master takes its lock as user postfix, the pipe runs as pipe_user.
        require_reachable(self.workdir, "postfix and " + self.pipe_user)
        os.makedirs(self.conf_dir, exist_ok=True)
        os.makedirs(self.queue_dir, exist_ok=True)
        os.makedirs(self.data_dir, exist_ok=True)
        # mkdtemp makes 0700 folders; Postfix's daemons (user postfix) and the pipe user need to pass.
        for d in (self.workdir, self.conf_dir, self.queue_dir):
            os.chmod(d, 0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.data_dir, 0o700)
        main = "".join("%s = %s\n" % kv for kv in self.main_cf_params().items())
        files = {"main.cf": main, "master.cf": self.master_cf(), "transport": self.transport_map(),
                 "reject_recipients": self.reject_map()}
        past = time.time() - 60
        for name, text in files.items():
            path = os.path.join(self.conf_dir, name)
            with open(path, "w") as f:
                f.write(text)
            # Postfix reads a file only once its mtime is 2 s old (it may still be changing),
            # polling every 0.3 s: date them back to save those seconds at every start.
            os.utime(path, (past, past))

    # --- running -------------------------------------------------------------------------------

    def postfix(self, *args, check=True, timeout=60):
        r = subprocess.run([SBIN + "/postfix", "-c", self.conf_dir] + list(args), capture_output=True,
                           text=True, env=POSTFIX_ENV, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("postfix %s failed (%d):\n%s%s\n--- maillog ---\n%s"
                               % (" ".join(args), r.returncode, r.stdout, r.stderr, self.log()[-4000:]))
        return r

    def master_pid(self):
        """The running master's pid, from its pid file."""
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        st = proc_state(pid)
        try:  # a stale pid file may name some other process by now
            with open("/proc/%d/comm" % pid) as f:
                is_master = f.read().strip() == "master"
        except OSError:
            is_master = False
        return pid if is_master and st and st[0] not in ("Z", "X") else None

    def start(self, timeout=30):
        if os.geteuid() != 0:
            raise RuntimeError("Postfix's master must be started as root")
        if postfix_version()[0] < (3, 4):
            raise RuntimeError("maillog_file needs Postfix 3.4 or later")
        for attempt in range(3):
            self.port = self.requested_port or free_port()
            self.write_config()
            # `check` creates the queue's subfolders with the right owners and modes
            # (post-install create-missing) and says what it dislikes.
            r = self.postfix("check")
            self.check_output = r.stdout + r.stderr
            # Tells `start` the checks were just done (post-install leaves the same marker).
            open(os.path.join(self.queue_dir, "quick-start"), "w").close()
            # `start` runs master -w: it returns once the master has bound its sockets.
            r = self.postfix("start", check=False, timeout=timeout)
            if r.returncode == 0 and self.wait_banner(timeout):
                self.started = True
                atexit.register(self.stop)  # a test that forgets stop() leaves no master behind
                return self
            self.stop()
            if self.requested_port or "Address already in use" not in self.log() + r.stderr:
                raise RuntimeError("postfix start failed (%d):\n%s%s\n--- maillog ---\n%s"
                                   % (r.returncode, r.stdout, r.stderr, self.log()[-4000:]))
        raise RuntimeError("no free port after 3 tries")

    def wait_banner(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(512).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self, timeout=20):
        pid = self.master_pid()
        if pid is None:
            self.started = False
            return
        # What `postfix stop` does (SIGTERM to the master, which ends its children), minus
        # its one-second polling steps.
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while time.time() < deadline and live_in_group(pid):
            time.sleep(0.02)
        if live_in_group(pid):  # as `postfix stop` does after 5 s: the whole group
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        self.started = False

    def flush(self):
        """Retry deferred mail now (postqueue -f)."""
        subprocess.run([SBIN + "/postqueue", "-c", self.conf_dir, "-f"], env=POSTFIX_ENV, check=True,
                       capture_output=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- observing -----------------------------------------------------------------------------

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10):
        """The first match of a regex in the mail log, waiting for it to appear."""
        deadline = time.time() + timeout
        while True:
            m = re.search(pattern, self.log())
            if m or time.time() > deadline:
                return m
            time.sleep(0.05)

    def queue_files(self):
        found = []
        for q in MESSAGE_QUEUES:
            for root, _, files in os.walk(os.path.join(self.queue_dir, q)):
                found += [os.path.join(root, f) for f in files]
        return found

    def queue_empty(self):
        return not self.queue_files()

    def wait_queue_empty(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.queue_empty():
                return True
            time.sleep(0.05)
        return self.queue_empty()


class SmtpSink:
    """Postfix's smtp-sink on 127.0.0.1: accepts everything (PIPELINING announced), writes each
    accepted message to its own file WORKDIR/dump/<epoch-seconds>.<random>, which starts with
    smtp-sink's own X-Client-Addr/X-Mail-Args/X-Rcpt-Args/Received lines, then the message."""

    def __init__(self, workdir, hostname="sink.test", user="nobody", port=None, extra_args=()):
        self.workdir = os.path.abspath(workdir)
        self.dump_dir = os.path.join(self.workdir, "dump")
        self.hostname, self.user, self.requested_port = hostname, user, port
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None

    def command(self):
        # -u: required as root (drops to that user after binding; it then writes the dumps).
        # -4: IPv4 only. -a: no AUTH offered, clients just send. -d: one file per transaction,
        # name from strftime plus a random suffix. -h: greeting name. Last: listen address, backlog.
        user = ["-u", self.user] if os.geteuid() == 0 else []
        return [SBIN + "/smtp-sink"] + user + ["-4", "-a", "-h", self.hostname, "-d", self.dump_dir + "/%s."] \
            + self.extra_args + ["127.0.0.1:%d" % self.port, "256"]

    def start(self, timeout=10):
        os.makedirs(self.dump_dir, exist_ok=True)
        if os.geteuid() == 0:  # smtp-sink writes the dumps as that user
            require_reachable(self.workdir, self.user)
            os.chmod(self.workdir, 0o755)
            pw = pwd.getpwnam(self.user)
            os.chown(self.dump_dir, pw.pw_uid, pw.pw_gid)
        self.port = self.requested_port or free_port()
        self.stderr = open(os.path.join(self.workdir, "smtp-sink.log"), "wb")
        self.proc = subprocess.Popen(self.command(), stdout=self.stderr, stderr=subprocess.STDOUT,
                                     env=POSTFIX_ENV)
        atexit.register(self.stop)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("smtp-sink exited: " + open(self.stderr.name).read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(512).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtp-sink did not answer")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.stderr.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def records(self):
        """Every dumped transaction: path, message_id, accepted_time (the file's mtime: the last
        write is at the final "."; smtp-sink's own Received: date has only 1-second resolution),
        received_date, mail_from, rcpt_to. Read them once the sending is over: a transaction in
        progress has a partial file."""
        out = []
        parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
        for path in glob.glob(os.path.join(self.dump_dir, "*")):
            st = os.stat(path)
            with open(path, "rb") as f:
                h = parser.parse(f)
            received = (h.get_all("Received") or [""])[0]
            out.append({"path": path, "message_id": (h.get("Message-ID") or "").strip(),
                        "accepted_time": st.st_mtime_ns / 1e9,
                        "received_date": received.rsplit(";", 1)[-1].strip(),
                        "mail_from": h.get("X-Mail-Args", ""), "rcpt_to": h.get_all("X-Rcpt-Args") or []})
        return sorted(out, key=lambda r: r["accepted_time"])

    def messages(self):
        return [(r["message_id"], r["accepted_time"]) for r in self.records()]


# --- self-test ---------------------------------------------------------------------------------


class PipeDir:
    """What pipe_to_dir.py saved: (record, raw bytes) per delivered message."""

    def __init__(self, path, user="nobody"):
        self.path = path
        os.makedirs(path, exist_ok=True)
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)

    def argv(self, *extra):
        return ["/usr/bin/python3", os.path.join(HERE, "pipe_to_dir.py"), self.path] + list(extra)

    def set_exit_codes(self, table):
        with open(os.path.join(self.path, "exit-codes.json"), "w") as f:
            json.dump(table, f)
        os.chmod(os.path.join(self.path, "exit-codes.json"), 0o666)

    def messages(self):
        out = []
        for eml in sorted(glob.glob(os.path.join(self.path, "*.eml"))):
            with open(eml[:-4] + ".json") as f:
                record = json.load(f)
            with open(eml, "rb") as f:
                out.append((record, f.read()))
        return out

    def attempts(self):
        try:
            with open(os.path.join(self.path, "attempts.jsonl")) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []

    def wait(self, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for record, raw in self.messages():
                if predicate(record, raw):
                    return record, raw
            time.sleep(0.02)
        return None


def dsn_summary(raw):
    """(report-type, [(final-recipient, action, status)]) of an RFC 3464 DSN, or None."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report":
        return None
    out = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            # compat32 parses the status groups as sub-messages: group 0 is per-message.
            for group in part.get_payload()[1:]:
                out.append((group.get("Final-Recipient", ""), group.get("Action", ""), group.get("Status", "")))
    return msg.get_param("report-type"), out


def pipelined_send(port, messages, mail_from="bench@client.test", rcpt="x@sink.test"):
    """Several messages on one connection, PIPELINING style: each MAIL+RCPT+DATA goes in one
    write together with the previous message's final "."; returns the reply lines."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        f = s.makefile("rb")

        def reply():
            lines = []
            while True:
                line = f.readline()
                lines.append(line)
                if len(line) < 4 or line[3:4] != b"-":
                    return lines

        reply()
        s.sendall(b"EHLO client.test\r\n")
        ehlo = b"".join(reply())
        assert b"PIPELINING" in ehlo, ehlo
        pending = b""
        replies = []
        for body in messages:
            s.sendall(pending + b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (mail_from.encode(), rcpt.encode()))
            if pending:
                replies.append(reply()[-1])  # the previous message's 250 after "."
            replies += [reply()[-1] for _ in range(3)]
            data = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            data = re.sub(rb"(?m)^\.", b"..", data)
            pending = data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"
        s.sendall(pending + b"QUIT\r\n")
        replies.append(reply()[-1])
        replies.append(reply()[-1])
    return replies


def test_message(mid, to, subject, body_lines):
    """A raw message with CRLF line ends and content that trips careless MTAs."""
    head = ["From: Customer <customer@example.org>", "To: <%s>" % to, "Subject: %s" % subject,
            "Date: Sat, 07 Dec 2024 10:00:00 +0000", "Message-ID: %s" % mid, "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
            "X-Mixed-Case: KeepMe  "]
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(body_lines) + "\r\n").encode()


def selftest(keep=False):
    failures = []

    def check(cond, what):
        print(("  ok   " if cond else "  FAIL ") + what, flush=True)
        if not cond:
            failures.append(what)

    root = tempfile.mkdtemp(prefix="careloop-postfix-")
    os.chmod(root, 0o755)
    print("postfix %s, workdir %s" % (postfix_version()[1], root))
    pipes = PipeDir(os.path.join(root, "piped"))
    pf = Postfix(os.path.join(root, "pf1"), routes={"a.test": pipes.argv("${recipient}", "${original_recipient}")},
                 dead_domains=["dead.test"], reject_addresses=["gone@a.test"])
    pf2 = None
    sink = None
    try:
        t = time.time()
        pf.start()
        print("started on 127.0.0.1:%d in %.2fs" % (pf.port, time.time() - t))
        check("fatal" not in pf.check_output, "postfix check: no fatal (%s)" % (pf.check_output.strip() or "silent"))
        pipes.set_exit_codes({"reply+TempFail1@a.test": [75], "reply+HardFail1@a.test": [1]})

        # 1. A customer's reply to a routed address, with a case-sensitive token.
        rcpt = "reply+AbC123tOkEn@a.test"
        long_line = "x" * 3000
        original = test_message("<selftest-1@example.org>", rcpt, "Re: your order",
                                ["Hello \u00e9t\u00e9,", ".leading dot", ".", "From the start of a line",
                                 "trailing spaces   ", "\ttab", long_line, "", "-- ", "Customer"])
        t0 = time.time()
        with smtplib.SMTP("127.0.0.1", pf.port) as s:
            s.sendmail("customer@example.org", [rcpt], original)
        got = pipes.wait(lambda r, raw: b"<selftest-1@example.org>" in raw, 15)
        check(got is not None, "routed mail piped (%.2fs)" % (time.time() - t0))
        if got:
            record, raw = got
            expected = original.replace(b"\r\n", b"\n")
            check(raw.endswith(expected), "message passed byte for byte (CRLF -> LF), after the added headers")
            added = raw[:len(raw) - len(expected)].decode()
            names = re.findall(r"(?m)^([\w-]+):", added)
            check(names == ["Return-Path", "Delivered-To", "Received"], "only Return-Path, Delivered-To, Received added: %s" % names)
            check("Delivered-To: %s\n" % rcpt in added, "Delivered-To keeps the +token's case")
            check("Return-Path: <customer@example.org>\n" in added, "Return-Path is the envelope sender")
            check(record["argv"] == [rcpt, rcpt], "argv ${recipient} ${original_recipient} = %s" % record["argv"])
            check(record["uid"] == pwd.getpwnam("nobody").pw_uid, "pipe ran as nobody")

        # 2. Mail to a dead domain, sent from a routed address: its DSN comes back through the pipe.
        bounce_from = "bounce+Zq9XyW@a.test"
        t0 = time.time()
        with smtplib.SMTP("127.0.0.1", pf.port) as s:
            refused = s.sendmail(bounce_from, ["Someone@dead.test"],
                                 test_message("<selftest-2@example.org>", "Someone@dead.test", "Order shipped", ["Hi"]))
        check(refused == {}, "dead domain accepted at SMTP time")
        got = pipes.wait(lambda r, raw: r["argv"][0] == bounce_from, 15)
        dsn_seconds = time.time() - t0
        check(got is not None, "DSN came back through the pipe to %s (%.2fs)" % (bounce_from, dsn_seconds))
        if got:
            record, raw = got
            summary = dsn_summary(raw)
            check(summary is not None and summary[0] == "delivery-status", "DSN is multipart/report; report-type=delivery-status")
            groups = summary[1] if summary else []
            check(any("someone@dead.test" in r.lower() and a.lower() == "failed" and s.startswith("5.")
                      for r, a, s in groups), "DSN names the dead recipient, Action: failed, Status 5.x.x: %s" % groups)
            check(b"<selftest-2@example.org>" in raw, "DSN quotes the original Message-ID")
            check(raw.startswith(b"Return-Path: <>\n"), "DSN's Return-Path is <>")

        # 3. Synchronous refusals: a reject address, and a domain that is neither routed nor dead.
        with smtplib.SMTP("127.0.0.1", pf.port) as s:
            s.ehlo("client.test")
            s.mail("customer@example.org")
            code, text = s.rcpt("gone@a.test")
            check(code == 550 and b"5.1.1" in text, "reject address: %d %s" % (code, text.decode()))
            code, text = s.rcpt("someone@elsewhere.test")
            check(code == 554 and b"5.7.1" in text, "other domain: %d %s" % (code, text.decode()))
            s.rset()

        # 4. Exit 75 is retried; exit 1 bounces (DSN back to the routed sender).
        t0 = time.time()
        with smtplib.SMTP("127.0.0.1", pf.port) as s:
            s.sendmail("customer@example.org", ["reply+TempFail1@a.test"],
                       test_message("<selftest-3@example.org>", "reply+TempFail1@a.test", "retry me", ["again"]))
            s.sendmail("bounce+Hard1@a.test", ["reply+HardFail1@a.test"],
                       test_message("<selftest-4@example.org>", "reply+HardFail1@a.test", "fail me", ["no"]))
        got = pipes.wait(lambda r, raw: b"<selftest-3@example.org>" in raw and r["argv"][0] == "reply+TempFail1@a.test", 20)
        tries = [a for a in pipes.attempts() if a["argv"][0] == "reply+TempFail1@a.test"]
        retry_gap = tries[-1]["time"] - tries[0]["time"] if len(tries) > 1 else -1
        check(got is not None and [a["exit"] for a in tries] == [75, 0],
              "exit 75 deferred, then delivered on retry %.2fs later (%.2fs in all)" % (retry_gap, time.time() - t0))
        got = pipes.wait(lambda r, raw: r["argv"][0] == "bounce+Hard1@a.test", 15)
        groups = (dsn_summary(got[1]) or (None, []))[1] if got else []
        check(any("reply+hardfail1@a.test" in r.lower() and a == "failed" and s.startswith("5.") for r, a, s in groups),
              "exit 1 bounced with a DSN: %s" % groups)

        t0 = time.time()
        check(pf.wait_queue_empty(15), "queue empty (%.2fs)" % (time.time() - t0))
        check("status=sent" in pf.log() and "postfix-" in pf.log(), "mail log written to %s" % pf.maillog)

        # 5. A second instance at the same time.
        pipes2 = PipeDir(os.path.join(root, "piped2"))
        pf2 = Postfix(os.path.join(root, "pf2"), routes={"b.test": pipes2.argv("${recipient}")}, hostname="mx2.test")
        pf2.start()
        with smtplib.SMTP("127.0.0.1", pf2.port) as s:
            s.sendmail("c@example.org", ["unsubscribe@b.test"],
                       test_message("<selftest-5@example.org>", "unsubscribe@b.test", "unsubscribe", ["x"]))
        check(pipes2.wait(lambda r, raw: True, 15) is not None and pf.port != pf2.port,
              "second instance alongside (ports %d, %d)" % (pf.port, pf2.port))

        # 6. smtp-sink: plain sends and pipelined ones on one connection.
        sink = SmtpSink(os.path.join(root, "sink")).start()
        with smtplib.SMTP("127.0.0.1", sink.port) as s:
            for i in range(3):
                s.sendmail("bench@client.test", ["x@sink.test"],
                           test_message("<sink-%d@example.org>" % i, "x@sink.test", "bench", ["m%d" % i]))
        replies = pipelined_send(sink.port, [test_message("<sink-p%d@example.org>" % i, "x@sink.test", "bench",
                                                          [".dot", "m%d" % i]) for i in range(5)])
        codes = [r[:3] for r in replies]
        check(codes == [b"250", b"250", b"354"] + [b"250", b"250", b"250", b"354"] * 4 + [b"250", b"221"],
              "pipelined replies: %s" % b" ".join(codes).decode())
        time.sleep(0.1)
        got = sink.messages()
        ids = [m for m, _ in got]
        want = ["<sink-%d@example.org>" % i for i in range(3)] + ["<sink-p%d@example.org>" % i for i in range(5)]
        check(sorted(ids) == sorted(want), "smtp-sink dumped all 8 messages with their Message-IDs")
        # File times tick in steps of a few ms (the kernel's coarse clock), so ties are normal.
        times = dict(got)
        in_order = all(times.get(a, 0) <= times.get(b, 0) for a, b in zip(want, want[1:]))
        check(in_order, "accepted times never go backwards in sending order (%.1f ms from first to last)"
              % ((got[-1][1] - got[0][1]) * 1000 if got else 0))
    finally:
        t = time.time()
        for thing in (sink, pf2, pf):
            if thing:
                thing.stop()
        print("stopped in %.2fs" % (time.time() - t))
    if failures:
        print("FAILED: %d check(s); files kept in %s" % (len(failures), root))
        return 1
    if keep:
        print("files kept in %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    print("selftest passed")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--selftest"] and set(sys.argv[2:]) <= {"--keep"}:
        sys.exit(selftest(keep="--keep" in sys.argv))
    sys.stderr.write(__doc__)
    sys.exit(64)
