#!/usr/bin/env python3
"""A DNS server for tests that answers TXT questions from DIR/records.json ({"name": ["record", ...]}),
read again on every question (so a test can publish a record while it runs). Anything else, or a
name not in the file, is answered NXDOMAIN. UDP on 127.0.0.1.

  dns_txt.py --port P --dir DIR      (prints "ready" once it listens)"""
import argparse, json, os, signal, socket, struct

signal.signal(signal.SIGTERM, signal.SIG_DFL)
p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--dir", required=True)
a = p.parse_args()
os.makedirs(a.dir, exist_ok=True)
a.records = os.path.join(a.dir, "records.json")


def question(data):
    """The queried name, its type, and where the question ends."""
    labels, i = [], 12
    while data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode())
        i += 1 + data[i]
    qtype = struct.unpack(">H", data[i + 1:i + 3])[0]
    return ".".join(labels).lower(), qtype, i + 5


def answer(data):
    name, qtype, end = question(data)
    try:
        with open(a.records) as f:
            records = {k.lower().rstrip("."): v for k, v in json.load(f).items()}
    except (OSError, ValueError):
        records = {}
    texts = records.get(name, []) if qtype == 16 else []
    flags = 0x8180 if texts else 0x8183  # a response, recursion available; NXDOMAIN when nothing
    out = data[:2] + struct.pack(">HHHHH", flags, 1, len(texts), 0, 0) + data[12:end]
    for text in texts:
        raw = text.encode()
        strings = b"".join(bytes([len(raw[k:k + 255])]) + raw[k:k + 255] for k in range(0, len(raw), 255))
        out += b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 60, len(strings)) + strings
    return out


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", a.port))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(4096)
    try:
        s.sendto(answer(data), peer)
    except (IndexError, struct.error):
        pass
