#!/usr/bin/env python3
"""The collector's early 413, over raw connections (plain or TLS).

usage: early413.py PORT MAX_BODY TOKEN [--cafile F]

A Content-Length over MAX_BODY gets the collector's JSON 413 with
Connection: close while no byte of the body has been sent (each answer is
read before anything more is written): in one piece, with the head
split in several writes, after a request on the same connection, and
after pipelined requests that are answered first.  A client sending the
marker header itself gets no 413.  A chunked body past the limit is
still refused.  Prints "ok" or raises.
"""
import json
import socket
import ssl
import sys
import time


class Conn:
    def __init__(self, port, cafile):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        if cafile:
            ctx = ssl.create_default_context(cafile=cafile)
            s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        self.s = s
        self.f = s.makefile("rb")

    def send(self, data):
        self.s.sendall(data)

    def response(self):
        """(status, headers, body) of one answer with a Content-Length."""
        line = self.f.readline()
        assert line.startswith(b"HTTP/1.1 "), line
        status = int(line.split()[1])
        h = {}
        while True:
            line = self.f.readline().rstrip(b"\r\n")
            if not line:
                break
            k, _, v = line.decode().partition(":")
            h[k.strip().lower()] = v.strip()
        return status, h, self.f.read(int(h.get("content-length", "0")))

    def closed(self):
        return self.f.read(1) == b""


def head(path, length, token, extra=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + token + b"\r\n"
            b"Content-Type: application/msgpack\r\n" + extra +
            b"Content-Length: " + str(length).encode() + b"\r\n\r\n")


def health(extra=b"", body=b""):
    return (b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + extra +
            (b"Content-Length: %d\r\n" % len(body) if body else b"") +
            b"\r\n" + body)


def check_413(c, what):
    st, h, b = c.response()
    assert st == 413, (what, st, b)
    assert h.get("content-type") == "application/json", (what, h)
    assert h.get("connection", "").lower() == "close", (what, h)
    assert "error" in json.loads(b), (what, b)
    assert c.closed(), (what, "connection left open")


def main():
    port, limit, token = int(sys.argv[1]), int(sys.argv[2]), \
        sys.argv[3].encode()
    cafile = sys.argv[5] if len(sys.argv) > 5 else None
    huge = 1000000000

    # One write; no body ever sent.
    c = Conn(port, cafile)
    c.send(head(b"/v1/measurements", huge, token))
    check_413(c, "one write")

    # Just over the limit, the head in three writes.
    c = Conn(port, cafile)
    h = head(b"/v1/measurements", limit + 1, token)
    for part in (h[:10], h[10:60], h[60:]):
        c.send(part)
        time.sleep(0.05)
    check_413(c, "split head")

    # After an answered request on the same connection.
    c = Conn(port, cafile)
    c.send(health())
    st, _, _ = c.response()
    assert st == 200, st
    c.send(head(b"/v1/measurements", huge, token))
    check_413(c, "keep-alive")

    # Pipelined: the requests before it are answered first.
    c = Conn(port, cafile)
    c.send(health() + health(body=b"abc") +
           head(b"/v1/measurements", huge, token))
    for i in range(2):
        st, _, _ = c.response()
        assert st == 200, ("pipelined", i, st)
    check_413(c, "pipelined")

    # The marker header from a client is not the collector's.
    c = Conn(port, cafile)
    c.send(health(extra=b"X-Nightjar-Declared-Length: 1\r\n"))
    st, _, b = c.response()
    assert st == 200, ("forged marker", st, b)

    # Chunked: past the limit, still refused.
    c = Conn(port, cafile)
    c.send(b"POST /v1/measurements HTTP/1.1\r\nHost: x\r\n"
           b"Authorization: Bearer " + token + b"\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 4096
    try:
        for _ in range(limit // len(chunk) + 2):
            c.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    except OSError:
        pass
    st, _, _ = c.response()
    assert st == 413, ("chunked", st)
    print("ok")


if __name__ == "__main__":
    main()
