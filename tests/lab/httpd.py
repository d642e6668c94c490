#!/usr/bin/env python3
"""HTTP and HTTPS servers for the nightjar test lab, and a relay that
shapes traffic by SNI.

    httpd.py --certs DIR --state FILE --log FILE SERVER...

SERVER is NAME,KIND,ADDR,PORT[,key=value...]; PORT 0 = a free port.  When
every listener is up, "NAME ADDR PORT" lines are written to --state
(atomically).  --log gets one line per event: "NAME EVENT key=value...".

Kinds:
  http     plain HTTP; a connection whose first bytes are a TLS record is
           logged as "tls-attempt" and closed
  https    TLS (certificate chosen by SNI from DIR/genuine, leaf +
           intermediate), then HTTP
  shaper   a TCP relay to backend=ADDR:PORT that reads the ClientHello,
           and sends the backend's bytes back at rate=BYTES/s when the
           SNI is in shape=a,b,... (shape=all: every connection)

Modes of http/https (mode=..., default page):
  page       200, an HTML page with <title>Lab page</title>, size=N bytes
             (default 2000), Content-Length (chunked=1: chunked coding)
  blockpage  200, a real censor's page (page=ru|ir, default ru) whose body
             matches OONI's fingerprints (ooni.ru_0, ooni.ir_0)
  redirect   302 to Turk Telekom's filter page (fingerprint ooni.tr_3)
  reset      reads the request, then a TCP RST
  stall      reads the request, never answers
Each request is logged as "NAME get host=HOST path=PATH sni=SNI ua=UA".
"""

import argparse
import os
import socket
import ssl
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tls import read_client_hello  # noqa: E402

IO_TIMEOUT = 30.0

BLOCKPAGES = {
    "ru": ("<html><head><meta charset=\"utf-8\"><title>Доступ ограничен"
           "</title></head><body><h1>Доступ к сайту ограничен в "
           "соответствии с Федеральными законами</h1><p>Ресурс включён в "
           "единый реестр.</p></body></html>"),
    "ir": ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/"
           "html; charset=windows-1256\"><title>M1-6\r\n</title></head>"
           "<body><iframe src=\"http://10.10.34.34?type=Invalid Site&"
           "policy=MainPolicy \" style=\"width: 100%; height: 100%\" "
           "scrolling=\"no\" marginwidth=\"0\" marginheight=\"0\" "
           "frameborder=\"0\" vspace=\"0\" hspace=\"0\"></iframe></body>"
           "</html>"),
}
REDIRECT = "http://bilgi.turktelekom.com.tr/guvenli_internet_uyari"


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else None
        self.lock = threading.Lock()

    def __call__(self, line):
        if self.f:
            with self.lock:
                self.f.write(line + "\n")


def rst(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return parts, hdrs


def page_body(size):
    head = "<html><head><title>Lab page</title></head><body>"
    tail = "</body></html>"
    fill = max(0, size - len(head) - len(tail))
    line = "nightjar lab page, nothing to see here.\n"
    body = (line * (fill // len(line) + 1))[:fill]
    return (head + body + tail).encode()


def respond(name, conn, opts, sni, log):
    req = read_request(conn)
    if req is None:
        log(f"{name} no-request sni={sni or '-'}")
        conn.close()
        return
    parts, hdrs = req
    path = parts[1] if len(parts) > 1 else "?"
    log(f"{name} get host={hdrs.get('host', '-')} path={path} "
        f"sni={sni or '-'} ua={hdrs.get('user-agent', '-').replace(' ', '_')}")
    mode = opts.get("mode", "page")
    if mode == "reset":
        rst(conn)
        return
    if mode == "stall":
        time.sleep(IO_TIMEOUT)
        conn.close()
        return
    status, extra = "200 OK", ""
    if mode == "blockpage":
        body = BLOCKPAGES[opts.get("page", "ru")].encode()
    elif mode == "redirect":
        status = "302 Found"
        extra = f"Location: {REDIRECT}\r\n"
        body = b"<html><body>Moved</body></html>"
    else:
        body = page_body(int(opts.get("size", "2000")))
    head = (f"HTTP/1.1 {status}\r\nServer: nightjar-lab\r\n"
            f"Content-Type: text/html; charset=utf-8\r\n{extra}"
            "Connection: close\r\n")
    try:
        if opts.get("chunked") == "1":
            conn.sendall((head + "Transfer-Encoding: chunked\r\n\r\n")
                         .encode())
            for i in range(0, len(body), 4096):
                piece = body[i:i + 4096]
                conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        else:
            conn.sendall((head + f"Content-Length: {len(body)}\r\n\r\n")
                         .encode() + body)
        try:
            if isinstance(conn, ssl.SSLSocket):
                conn = conn.unwrap()
            conn.shutdown(socket.SHUT_WR)
        except (OSError, ValueError):
            pass
    except OSError:
        pass
    conn.close()


def serve_http(name, conn, opts, log):
    conn.settimeout(IO_TIMEOUT)
    try:
        first = conn.recv(5, socket.MSG_PEEK)
    except OSError:
        conn.close()
        return
    if len(first) >= 3 and first[0] == 0x16 and first[1] == 0x03:
        log(f"{name} tls-attempt")
        conn.close()
        return
    respond(name, conn, opts, None, log)


def serve_https(name, conn, opts, log, certs):
    seen = {"sni": None}

    def sni_cb(sock, sname, _ctx):
        seen["sni"] = sname
        path = os.path.join(certs, "genuine", f"{sname}.chain")
        if sname and os.path.exists(path):
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            c.load_cert_chain(path, os.path.join(certs, "genuine",
                                                 f"{sname}.key"))
            sock.context = c

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    default = opts.get("default", "lab.test")
    ctx.load_cert_chain(os.path.join(certs, "genuine", f"{default}.chain"),
                        os.path.join(certs, "genuine", f"{default}.key"))
    ctx.sni_callback = sni_cb
    conn.settimeout(IO_TIMEOUT)
    try:
        tconn = ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError) as e:
        log(f"{name} handshake-failed sni={seen['sni'] or '-'} {e}")
        conn.close()
        return
    respond(name, tconn, opts, seen["sni"], log)


def pump(src, dst, rate):
    """Copy src to dst; rate bytes/s (0: as fast as possible)."""
    try:
        t0, sent = time.monotonic(), 0
        while True:
            data = src.recv(1024 if rate else 65536)
            if not data:
                dst.shutdown(socket.SHUT_WR)
                return
            dst.sendall(data)
            if rate:
                sent += len(data)
                ahead = sent / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
    except OSError:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_shaper(name, conn, opts, log):
    conn.settimeout(IO_TIMEOUT)
    try:
        raw, sni, _ = read_client_hello(conn)
    except OSError:
        conn.close()
        return
    shape = opts.get("shape", "")
    shaped = shape == "all" or (sni is not None and sni in shape.split(","))
    rate = int(opts.get("rate", "16000")) if shaped else 0
    log(f"{name} relay sni={sni or '-'} shaped={int(shaped)}")
    host, port = opts["backend"].rsplit(":", 1)
    try:
        up = socket.create_connection((host, int(port)), timeout=5)
        up.sendall(raw)
    except OSError:
        rst(conn)
        return
    a = threading.Thread(target=pump, args=(conn, up, 0), daemon=True)
    b = threading.Thread(target=pump, args=(up, conn, rate), daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.close()
    up.close()


def accept_loop(name, kind, lsock, opts, log, certs):
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        if kind == "http":
            fn, args = serve_http, (name, conn, opts, log)
        elif kind == "https":
            fn, args = serve_https, (name, conn, opts, log, certs)
        else:
            fn, args = serve_shaper, (name, conn, opts, log)
        threading.Thread(target=fn, args=args, daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certs")
    ap.add_argument("--state", required=True)
    ap.add_argument("--log")
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    log = Log(a.log)
    lines = []
    for spec in a.servers:
        f = spec.split(",")
        name, kind, addr, port = f[0], f[1], f[2], int(f[3])
        opts = dict(kv.split("=", 1) for kv in f[4:])
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        lines.append(f"{name} {addr} {s.getsockname()[1]}\n")
        threading.Thread(target=accept_loop,
                         args=(name, kind, s, opts, log, a.certs),
                         daemon=True).start()
    tmp = a.state + ".tmp"
    with open(tmp, "w") as fh:
        fh.writelines(lines)
    os.rename(tmp, a.state)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
