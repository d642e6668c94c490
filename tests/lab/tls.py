#!/usr/bin/env python3
"""TLS (and plain TCP) servers for the nightjar test lab.

    tls.py --certs DIR --spec FILE --state FILE [--log FILE]

DIR is what mkcerts.sh made.  The spec file has one server a line ("#"
comments, blank lines ignored):

    NAME MODE ADDR PORT [key=value...]

PORT is a number, 0 (a free port of its own) or "shared": every "shared"
server listens on the same port P, chosen so that all of them can bind it
(targets are HOST:P and every lab address answers on P).  When all
listeners are up, "NAME ADDR PORT" lines are written to --state
(atomically: the file appearing means the lab is ready).  --log gets one
line per connection: "NAME sni=SNI|- EVENT".

Modes:
  genuine      certificate chosen by SNI from DIR/genuine (leaf +
               intermediate); unknown or no SNI: default=NAME (default: the
               first name of DIR/names.txt)
  mitm         forged leaf from the rogue root (C=KZ, CN=Qaznet Trust
               Network) for whatever SNI (made on demand); extra=FILE[,FILE]
               appends certificates to the presented chain
  expired selfsigned wrongname big-cert
               always DIR/special/{expired,selfsigned,wrongname,big}.chain
  long-chain   genuine leaf + the intermediate repeated count=N times (100)
  sni-reset    reads the ClientHello; SNI in blocked=a,b,... gets a TCP RST
               (SO_LINGER 0); other SNIs are served as `genuine`
               (backend=mitm serves them as `mitm`)
  sni-stall    same, but a blocked SNI is never answered
  sni-close    same, but a blocked SNI gets a clean close (FIN)
  reset        RST after reading the ClientHello, whatever the SNI
  stall        accepts, reads, never speaks
  close        accepts and closes at once (FIN, so the client sees EOF)
  garbage      reads the ClientHello, sends bytes=N (4096) random bytes that
               are not a TLS record, then stays open
  trickle      a `genuine` handshake whose server bytes are sent one at a
               time, delay=MS (50) apart
  endless-chain  a hand-made TLS 1.2 ServerHello, then a Certificate message
               announcing 16 MB and streamed (the same certificate over and
               over) until the client gives up
  closed       a socket bound to ADDR:PORT that does not listen: connection
               refused, and the port stays reserved
  timeout      a listener with backlog 0 whose accept queue the lab fills:
               further SYNs are dropped and a connect times out (checked at
               start; tls.py exits 3 when this kernel does not drop them,
               and lab.sh then skips the test)
Options for TLS modes: tls=1.2 (TLS 1.2 only) or tls=1.3 (TLS 1.3 only).
"""

import argparse
import os
import random
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IO_TIMEOUT = 30.0
MAX_HELLO = 65536

MODES = {"genuine", "mitm", "expired", "selfsigned", "wrongname", "big-cert",
         "long-chain", "sni-reset", "sni-stall", "sni-close", "reset",
         "stall", "close", "garbage", "trickle", "endless-chain", "closed",
         "timeout"}


class Lab:
    def __init__(self, certs, logf):
        self.certs = certs
        self.logf = logf
        self.lock = threading.Lock()
        self.ctx_cache = {}
        with open(os.path.join(certs, "names.txt")) as f:
            self.names = [l.strip() for l in f if l.strip()]

    def log(self, line):
        if self.logf:
            with self.lock:
                self.logf.write(line + "\n")
                self.logf.flush()

    def hello(self, name, sni):
        """"NAME sni=SNI" in LOG.hello as each ClientHello is read: the
        order connections began in (LOG has them as they ended)."""
        if self.logf:
            with self.lock, open(self.logf.name + ".hello", "a") as f:
                f.write("%s sni=%s\n" % (name, sni))

    def context(self, cert, opts):
        """A cached SSLContext presenting cert = (chain file, key file)."""
        ck = (cert, opts.get("tls"))
        with self.lock:
            ctx = self.ctx_cache.get(ck)
        if ctx is None:
            ctx = new_ctx(cert, opts)
            with self.lock:
                self.ctx_cache[ck] = ctx
        return ctx

    def front(self, tag, cert_fn, opts):
        """The context a listener hands each connection: it presents
        cert_fn(None) and switches to cert_fn(SNI) from the SNI callback,
        noting the SNI on the socket (sock.nj_sni)."""
        with self.lock:
            ctx = self.ctx_cache.get(("front", tag))
        if ctx is not None:
            return ctx
        ctx = new_ctx(cert_fn(None), opts)

        def sni_cb(sock, name, _ctx):
            sock.nj_sni = name
            if name is None:
                return None
            try:
                sock.context = self.context(cert_fn(name), opts)
            except Exception as e:  # noqa: BLE001 - reported to the peer
                sys.stderr.write("tls.py: sni %r: %s\n" % (name, e))
                return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
            return None
        ctx.sni_callback = sni_cb
        with self.lock:
            self.ctx_cache[("front", tag)] = ctx
        return ctx

    def write_once(self, path, data):
        if not os.path.exists(path):
            tmp = path + ".%d.tmp" % threading.get_ident()
            with open(tmp, "w") as f:
                f.write(data)
            os.rename(tmp, path)
        return path

    def cert_genuine(self, name, opts):
        d = os.path.join(self.certs, "genuine")
        if name is None or not valid_name(name) or \
                not os.path.exists(os.path.join(d, name + ".key")):
            name = opts.get("default", self.names[0])
        return (os.path.join(d, name + ".chain"),
                os.path.join(d, name + ".key"))

    def cert_forged(self, name, opts):
        d = os.path.join(self.certs, "forged")
        if name is None or not valid_name(name):
            name = opts.get("default", self.names[0])
        name = name.lower()
        chain = os.path.join(d, name + ".chain")
        if not os.path.exists(chain):
            with self.lock:
                if not os.path.exists(chain):
                    subprocess.run([os.path.join(HERE, "mkcerts.sh"),
                                    "--forge", self.certs, name], check=True)
        extra = [e for e in opts.get("extra", "").split(",") if e]
        if extra:
            data = open(chain).read()
            for e in extra:
                data += "\n" + open(e).read()
            chain = self.write_once(
                "%s.extra-%08x.pem" % (chain, hash(tuple(extra)) & 0xFFFFFFFF),
                data)
        return chain, os.path.join(d, name + ".key")

    def cert_special(self, which):
        d = os.path.join(self.certs, "special")
        return (os.path.join(d, which + ".chain"),
                os.path.join(d, which + ".key"))

    def cert_long_chain(self, name, opts):
        count = int(opts.get("count", "100"))
        leaf, key = self.cert_genuine(name, opts)
        leaf = leaf[:-len(".chain")] + ".pem"
        data = open(leaf).read() + \
            open(os.path.join(self.certs, "lab-int.pem")).read() * count
        path = "%s.long-%d" % (leaf, count)
        return self.write_once(path, data), key

    def cert_fn(self, mode, opts):
        if mode == "genuine":
            return lambda n: self.cert_genuine(n, opts)
        if mode == "mitm":
            return lambda n: self.cert_forged(n, opts)
        if mode == "long-chain":
            return lambda n: self.cert_long_chain(n, opts)
        which = "big" if mode == "big-cert" else mode
        return lambda n: self.cert_special(which)


def new_ctx(cert, opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert[0], cert[1])
    ctx.options |= ssl.OP_NO_TICKET
    v = opts.get("tls")
    if v == "1.2":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif v == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def valid_name(name):
    return (0 < len(name) < 254 and not name.startswith(".") and
            all(c.isalnum() or c in "-." for c in name))


# --- ClientHello ------------------------------------------------------------

def read_client_hello(conn):
    """Read the first handshake message.  (raw bytes, sni|None, ciphers)
    raw is everything read; sni/ciphers are None when it is not a
    ClientHello."""
    raw, hs = b"", b""
    need = None
    while True:
        while len(raw) < 5:
            chunk = conn.recv(4096)
            if not chunk:
                return raw, None, None
            raw += chunk
        # walk the records read so far
        pos, hs = 0, b""
        complete = False
        while pos + 5 <= len(raw):
            ctype, _ver, ln = struct.unpack("!BHH", raw[pos:pos + 5])
            if ctype != 22 or ln > 16384 + 2048:
                return raw, None, None
            if pos + 5 + ln > len(raw):
                break
            hs += raw[pos + 5:pos + 5 + ln]
            pos += 5 + ln
            if len(hs) >= 4:
                need = 4 + struct.unpack("!I", b"\0" + hs[1:4])[0]
                if len(hs) >= need:
                    complete = True
                    break
        if complete:
            break
        if len(raw) > MAX_HELLO:
            return raw, None, None
        chunk = conn.recv(4096)
        if not chunk:
            return raw, None, None
        raw += chunk
    if hs[0] != 1:
        return raw, None, None
    return raw, *parse_client_hello(hs[4:need])


def parse_client_hello(b):
    try:
        pos = 2 + 32
        pos += 1 + b[pos]
        (n,) = struct.unpack("!H", b[pos:pos + 2])
        ciphers = [struct.unpack("!H", b[i:i + 2])[0]
                   for i in range(pos + 2, pos + 2 + n, 2)]
        pos += 2 + n
        pos += 1 + b[pos]
        if pos + 2 > len(b):
            return None, ciphers
        (elen,) = struct.unpack("!H", b[pos:pos + 2])
        pos += 2
        end = min(len(b), pos + elen)
        while pos + 4 <= end:
            et, el = struct.unpack("!HH", b[pos:pos + 4])
            data = b[pos + 4:pos + 4 + el]
            pos += 4 + el
            if et == 0 and len(data) >= 5:
                (nl,) = struct.unpack("!H", data[3:5])
                return data[5:5 + nl].decode("ascii", "replace"), ciphers
        return None, ciphers
    except (IndexError, struct.error):
        return None, None


# --- helpers ------------------------------------------------------------------

def rst(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


def drain(conn, limit=IO_TIMEOUT):
    """Read and discard until EOF or the time limit; then close."""
    end = time.monotonic() + limit
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            conn.settimeout(left)
            if not conn.recv(65536):
                break
    except OSError:
        pass
    conn.close()


def serve_tls(sock, ctx):
    """Server side of a TLS handshake on sock, then a tiny HTTP answer.
    Returns (event, SNI or None)."""
    sock.settimeout(IO_TIMEOUT)
    try:
        s = ctx.wrap_socket(sock, server_side=True,
                            do_handshake_on_connect=False)
    except (OSError, ssl.SSLError):
        sock.close()
        return "handshake-failed", None
    try:
        s.do_handshake()
    except (OSError, ssl.SSLError):
        s.close()
        return "handshake-failed", getattr(s, "nj_sni", None)
    try:
        data = s.recv(4096)
        if data[:4] in (b"GET ", b"HEAD"):
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                      b"Connection: close\r\n\r\nok\n")
        while data:
            data = s.recv(4096)
    except (OSError, ssl.SSLError):
        pass
    try:
        s.close()
    except OSError:
        pass
    return "handshake-done", getattr(s, "nj_sni", None)


def relay(client, backend, prefix, delay_s=0.0):
    """Copy bytes both ways; server bytes one at a time when delay_s."""
    try:
        backend.sendall(prefix)
        socks = [client, backend]
        pending = b""
        while True:
            timeout = delay_s if pending else IO_TIMEOUT
            r, _, _ = select.select(socks, [], [], timeout)
            if pending and not r:
                client.sendall(pending[:1])
                pending = pending[1:]
                continue
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                if s is client:
                    backend.sendall(data)
                elif delay_s:
                    pending += data
                else:
                    client.sendall(data)
    except OSError:
        pass
    finally:
        client.close()
        backend.close()


def internal_tls(lab, spec, opts):
    """A socketpair whose far end runs a TLS server; returns the near end."""
    near, far = socket.socketpair()
    mode = "mitm" if opts.get("backend") == "mitm" else "genuine"
    ctx = lab.front(spec["name"] + "/backend", lab.cert_fn(mode, opts), opts)
    threading.Thread(target=serve_tls, args=(far, ctx), daemon=True).start()
    return near


# --- endless chain ----------------------------------------------------------

PREFERRED = [0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA9, 0xCCA8, 0x009C,
             0x009D, 0x002F, 0x0035]


def endless_chain(lab, conn, ciphers):
    suite = None
    for c in PREFERRED:
        if ciphers and c in ciphers:
            suite = c
            break
    if suite is None:
        suite = next((c for c in ciphers or [] if c >> 8 != 0x13 and
                      c not in (0x00FF, 0x5600)), 0xC02B)
    rnd = os.urandom(24) + b"NIGHTJAR"
    ext = struct.pack("!HHB", 0xFF01, 1, 0)
    body = struct.pack("!H", 0x0303) + rnd + b"\0" + \
        struct.pack("!HBH", suite, 0, len(ext)) + ext
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    der = ssl.PEM_cert_to_DER_cert(
        open(os.path.join(lab.certs, "lab-int.pem")).read())
    total = 0xFFFFF0
    out = hs + b"\x0b" + struct.pack("!I", total)[1:] + \
        struct.pack("!I", total - 3)[1:]
    entry = struct.pack("!I", len(der))[1:] + der
    sent, limit = 0, 32 << 20
    conn.settimeout(IO_TIMEOUT)
    try:
        while sent < limit:
            while len(out) < 16384:
                out += entry
            rec, out = out[:16384], out[16384:]
            conn.sendall(b"\x16\x03\x03" + struct.pack("!H", len(rec)) + rec)
            sent += len(rec)
    except OSError:
        pass
    drain(conn, 5)


# --- per-connection handler -----------------------------------------------------

def handle(lab, spec, conn):
    name, mode, opts = spec["name"], spec["mode"], spec["opts"]
    sni = "-"
    event = "?"
    try:
        conn.settimeout(IO_TIMEOUT)
        if mode == "close":
            event = "closed"
            conn.shutdown(socket.SHUT_WR)
            drain(conn, 10)
            return
        if mode == "stall":
            event = "stalled"
            drain(conn)
            return
        if mode in ("genuine", "mitm", "expired", "selfsigned", "wrongname",
                    "big-cert", "long-chain"):
            ctx = lab.front(name, lab.cert_fn(mode, opts), opts)
            event, got = serve_tls(conn, ctx)
            sni = got or "-"
            return
        raw, hello_sni, ciphers = read_client_hello(conn)
        sni = hello_sni or "-"
        lab.hello(name, sni)
        if ciphers is None and mode != "garbage":
            event = "no-client-hello"
            rst(conn)
            return
        if mode == "reset":
            event = "reset"
            rst(conn)
            return
        if mode == "garbage":
            event = "garbage"
            n = int(opts.get("bytes", "4096"))
            junk = bytearray(os.urandom(n))
            if junk:
                junk[0] = random.choice([0x00, 0x47, 0x7f, 0xff])
            conn.sendall(bytes(junk))
            drain(conn)
            return
        if mode == "endless-chain":
            event = "endless-chain"
            endless_chain(lab, conn, ciphers)
            return
        if mode in ("sni-reset", "sni-stall", "sni-close"):
            blocked = [b for b in opts.get("blocked", "").split(",") if b]
            if hello_sni and hello_sni.lower() in blocked:
                if mode == "sni-reset":
                    event = "sni-reset"
                    rst(conn)
                elif mode == "sni-stall":
                    event = "sni-stall"
                    drain(conn)
                else:
                    event = "sni-close"
                    conn.shutdown(socket.SHUT_WR)
                    drain(conn, 10)
                return
            event = "relayed"
            relay(conn, internal_tls(lab, spec, opts), raw)
            return
        if mode == "trickle":
            event = "trickled"
            delay = int(opts.get("delay", "50")) / 1000.0
            relay(conn, internal_tls(lab, spec, opts), raw, delay)
            return
        event = "unknown-mode"
        conn.close()
    except Exception as e:  # noqa: BLE001 - one bad connection only
        event = "error:%s" % type(e).__name__
        try:
            conn.close()
        except OSError:
            pass
    finally:
        lab.log("%s sni=%s %s" % (name, sni, event))


# --- listeners ------------------------------------------------------------------

def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def accept_loop(lab, spec, lsock):
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(lab, spec, conn),
                         daemon=True).start()


def check_refused(addr, port):
    c = socket.socket(family(addr))
    c.settimeout(2)
    try:
        c.connect((addr, port))
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        c.close()
    return False


def fill_queue(addr, port, keep):
    """Fill the accept queue of a backlog-0 listener until a connect to it
    times out.  The filling sockets are kept in keep."""
    for _ in range(16):
        c = socket.socket(family(addr))
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except BlockingIOError:
            pass
        keep.append(c)
        time.sleep(0.02)
        probe = socket.socket(family(addr))
        probe.settimeout(0.3)
        try:
            probe.connect((addr, port))
            keep.append(probe)
        except socket.timeout:
            probe.close()
            return True
        except OSError:
            probe.close()
    return False


def parse_spec(path):
    specs = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            w = line.split()
            if len(w) < 4:
                raise ValueError("%s:%d: want NAME MODE ADDR PORT" %
                                 (path, lineno))
            if w[1] not in MODES:
                raise ValueError("%s:%d: unknown mode %s" %
                                 (path, lineno, w[1]))
            opts = {}
            for kv in w[4:]:
                k, sep, v = kv.partition("=")
                if not sep:
                    raise ValueError("%s:%d: bad option %s" %
                                     (path, lineno, kv))
                opts[k] = v.lower() if k == "blocked" else v
            specs.append({"name": w[0], "mode": w[1], "addr": w[2],
                          "port": w[3], "opts": opts})
    return specs


def bind_one(spec, port):
    s = socket.socket(family(spec["addr"]))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((spec["addr"], port))
    except OSError:
        s.close()
        raise
    return s


def bind_all(specs):
    """Bind every spec; "shared" ones on one common port.  Nothing listens
    yet.  Returns {index: socket}."""
    socks = {}
    for i, sp in enumerate(specs):
        if sp["port"] != "shared":
            socks[i] = bind_one(sp, int(sp["port"]))
    shared = [i for i, sp in enumerate(specs) if sp["port"] == "shared"]
    for _ in range(100):
        if not shared:
            break
        got = {}
        try:
            first = bind_one(specs[shared[0]], 0)
            got[shared[0]] = first
            port = first.getsockname()[1]
            for i in shared[1:]:
                got[i] = bind_one(specs[i], port)
        except OSError:
            for s in got.values():
                s.close()
            continue
        socks.update(got)
        break
    else:
        if shared:
            raise OSError("no common free port for the shared servers")
    return socks


def write_atomic(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs", required=True)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    try:
        specs = parse_spec(args.spec)
    except (OSError, ValueError) as e:
        print("tls.py: %s" % e, file=sys.stderr)
        return 2
    logf = open(args.log, "a") if args.log else None
    lab = Lab(args.certs, logf)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    socks = bind_all(specs)
    keep = []
    lines = []
    for i, sp in enumerate(specs):
        s = socks[i]
        port = s.getsockname()[1]
        if sp["mode"] == "closed":
            if not check_refused(sp["addr"], port):
                print("tls.py: %s: connect to a bound, non-listening "
                      "socket is not refused" % sp["name"], file=sys.stderr)
                return 1
        elif sp["mode"] == "timeout":
            s.listen(0)
            if not fill_queue(sp["addr"], port, keep):
                print("tls.py: %s: could not make connects to %s:%d time "
                      "out (accept queue never filled)" %
                      (sp["name"], sp["addr"], port), file=sys.stderr)
                return 3
        else:
            s.listen(128)
            threading.Thread(target=accept_loop, args=(lab, sp, s),
                             daemon=True).start()
        lines.append("%s %s %d\n" % (sp["name"], sp["addr"], port))
    write_atomic(args.state, "".join(lines))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
