#!/usr/bin/env python3
"""A TCP listener that counts connections open at once (tests only).

    campaign-listener.py --listen ADDR --state FILE --peak FILE [--hold S]

Binds ADDR on a free port and writes "ADDR PORT" to --state (atomically:
the file appearing means it is ready).  Every accepted connection is held
open for --hold seconds (default 0.5) without a byte sent, then closed.
--peak always holds "PEAK TOTAL": the most connections open at once so far
and the number accepted.  Standard library only; stops on SIGTERM.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--peak", required=True)
    ap.add_argument("--hold", type=float, default=0.5)
    a = ap.parse_args()

    lock = threading.Lock()
    st = {"open": 0, "peak": 0, "total": 0}

    def write_peak():
        tmp = a.peak + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d\n" % (st["peak"], st["total"]))
        os.replace(tmp, a.peak)

    def serve(conn):
        try:
            time.sleep(a.hold)
        finally:
            with lock:
                st["open"] -= 1
            conn.close()

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((a.listen, 0))
    s.listen(512)
    with lock:
        write_peak()
    tmp = a.state + ".tmp"
    with open(tmp, "w") as f:
        f.write("%s %d\n" % s.getsockname())
    os.replace(tmp, a.state)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        conn, _ = s.accept()
        with lock:
            st["open"] += 1
            st["total"] += 1
            st["peak"] = max(st["peak"], st["open"])
            write_peak()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
