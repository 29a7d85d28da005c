#!/usr/bin/env python3
"""An SMTP relay that misbehaves, for CareLoop's tests. Every message it takes whole is written to
DIR/NNNN.json ({"rcpt": ..., "n": ...}).

  bad_relay.py --port P --dir DIR --mode drip|extra

drip:  answers the end of every message with "250-still working" every half second, for ever.
extra: answers the end of the first message with two replies ("250 ok" and "250 extra"), putting
       the client one reply out of step; later messages are answered normally."""
import argparse, itertools, json, os, signal, socket, threading, time

signal.signal(signal.SIGTERM, signal.SIG_DFL)
p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--dir", required=True)
p.add_argument("--mode", choices=["drip", "extra"], required=True)
a = p.parse_args()
os.makedirs(a.dir, exist_ok=True)
counter = itertools.count(1)
first = threading.Lock()
done_first = []


def serve(conn):
    f = conn.makefile("rb")
    send = lambda line: conn.sendall(line.encode() + b"\r\n")
    send("220 bad.relay ESMTP")
    rcpt = None
    try:
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            upper = cmd.upper()
            if upper.startswith("EHLO"):
                send("250-bad.relay")
                send("250 8BITMIME")
            elif upper.startswith("MAIL"):
                send("250 ok")
            elif upper.startswith("RCPT"):
                rcpt = cmd.split(":", 1)[1].strip(" <>")
                send("250 ok")
            elif upper == "DATA":
                send("354 go on")
                while True:
                    data = f.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                if a.mode == "drip":
                    while True:
                        send("250-still working")
                        time.sleep(0.5)
                n = next(counter)
                with open(os.path.join(a.dir, f"{n:04d}.json"), "w") as out:
                    json.dump({"rcpt": rcpt, "n": n}, out)
                with first:
                    extra = a.mode == "extra" and not done_first
                    done_first.append(True)
                send("250 ok")
                if extra:
                    send("250 extra")
            elif upper == "RSET":
                send("250 reset")
            elif upper == "QUIT":
                send("221 bye")
                return
            else:
                send("502 no")
    except OSError:
        return
    finally:
        conn.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", a.port))
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
