#!/usr/bin/env python3
"""A real SMTP server for CareLoop's tests (aiosmtpd). Every accepted message is written to
DIR/NNNN.json: the envelope, the headers, and the decoded text and HTML parts.

  smtp_sink.py --port P --dir DIR [--refuse ADDRESS ...] [--silent] [--tls-cert C --tls-key K] [--idle-timeout S]

--refuse makes RCPT TO fail with 550 for that address; --silent accepts connections and never
answers (to test client timeouts); --tls-cert/--tls-key offer STARTTLS and require it before
MAIL (each record then says whether the session was encrypted). Each record names the client's
port (`peer`: one per connection). --idle-timeout closes a connection silent for S seconds, as real
servers do. --delay S takes S seconds over each message, as a slow relay does."""
import argparse, asyncio, email, email.policy, itertools, json, os, signal, socket, sys, time

# The parent may ignore SIGTERM (and children inherit that): be stoppable.
signal.signal(signal.SIGTERM, signal.SIG_DFL)

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--dir", required=True)
parser.add_argument("--refuse", action="append", default=[])
parser.add_argument("--silent", action="store_true")
parser.add_argument("--tls-cert")
parser.add_argument("--tls-key")
parser.add_argument("--idle-timeout", type=float)
parser.add_argument("--delay", type=float, default=0, help="seconds to take over each message, as a slow relay does")
args = parser.parse_args()
os.makedirs(args.dir, exist_ok=True)

if args.silent:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", args.port))
    s.listen(16)
    print("ready", flush=True)
    held = []
    while True:
        conn, _ = s.accept()
        held.append(conn)

from aiosmtpd.controller import Controller

counter = itertools.count(1)

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in (a.lower() for a in args.refuse):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if args.delay:
            await asyncio.sleep(args.delay)
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k.lower(): str(v) for k, v in msg.items()},
            "text": text.get_content().replace("\r\n", "\n") if text else None,
            "html": html.get_content().replace("\r\n", "\n") if html else None,
            "raw": (envelope.original_content or envelope.content).decode("utf-8", "replace"),
            "received_at": time.time(),
            "tls": session.ssl is not None,
            "peer": session.peer[1] if session.peer else None,
        }
        n = next(counter)
        tmp = os.path.join(args.dir, f".{n:04d}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(args.dir, f"{n:04d}.json"))
        return "250 Message accepted for delivery"

tls = {}
if args.tls_cert:
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    tls = {"tls_context": context, "require_starttls": True}
server_kwargs = {"timeout": args.idle_timeout} if args.idle_timeout else {}
controller = Controller(Handler(), hostname="127.0.0.1", port=args.port, decode_data=False, server_kwargs=server_kwargs, **tls)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
