#!/usr/bin/env python3
"""An SNI-filtering censor for the network-namespace lab (tests/lab/netns.sh).

    dpi.py --listen PORT --blocked NAME[,NAME] [--residual SECONDS]
           [--state FILE] [--log FILE]

Runs in the censor's namespace; nftables there redirects the probe's
connections to the guarded addresses to PORT.  Each connection's original
destination comes from SO_ORIGINAL_DST.  The ClientHello is read: a blocked
SNI gets a TCP RST; any other is relayed to the original destination.
With --residual S, a blocked SNI also blocks its destination address:port
for S seconds, whatever SNI comes next (residual censorship).  --log gets
one line a connection: "DST:PORT sni=SNI|- reset|residual|pass".
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tls  # noqa: E402

SO_ORIGINAL_DST = 80


def original_dst(conn):
    raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port = struct.unpack("!H", raw[2:4])[0]
    return socket.inet_ntoa(raw[4:8]), port


class Censor:
    def __init__(self, blocked, residual, log):
        self.blocked = set(blocked)
        self.residual = residual
        self.until = {}
        self.lock = threading.Lock()
        self.log = log

    def note(self, line):
        if self.log:
            with self.lock, open(self.log, "a") as f:
                f.write(line + "\n")

    def handle(self, conn):
        try:
            dst = original_dst(conn)
        except OSError:
            conn.close()
            return
        raw, sni, _ = tls.read_client_hello(conn)
        key = "%s:%d" % dst
        now = time.monotonic()
        with self.lock:
            held = self.until.get(key, 0) > now
            if sni in self.blocked and self.residual:
                self.until[key] = now + self.residual
        if sni in self.blocked or held:
            self.note("%s sni=%s %s" % (key, sni or "-",
                                        "reset" if sni in self.blocked
                                        else "residual"))
            tls.rst(conn)
            return
        self.note("%s sni=%s pass" % (key, sni or "-"))
        try:
            up = socket.create_connection(dst, timeout=5)
        except OSError:
            tls.rst(conn)
            return
        up.settimeout(None)
        tls.relay(conn, up, raw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--blocked", default="")
    ap.add_argument("--residual", type=float, default=0)
    ap.add_argument("--state")
    ap.add_argument("--log")
    a = ap.parse_args()
    censor = Censor([n for n in a.blocked.split(",") if n], a.residual,
                    a.log)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.listen))
    ls.listen(128)
    if a.state:
        tls.write_atomic(a.state, "dpi 0.0.0.0 %d\n" % a.listen)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=censor.handle, args=(conn,),
                         daemon=True).start()


if __name__ == "__main__":
    main()
