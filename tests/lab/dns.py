#!/usr/bin/env python3
"""Canned-answer DNS server (UDP and TCP) for the nightjar test lab.

    dns.py --zone FILE --listen ADDR[:PORT] [--state FILE] [--log FILE]
           [--force-tcp] [--inject ADDR]
           [--dot CHAIN:KEY | --doh CHAIN:KEY [--doh-path PATH]]

Binds UDP and TCP on the same ADDR:PORT (PORT 0 or absent: a free port
chosen by the kernel), then writes "ADDR PORT" to --state (atomically: the
file appearing means the server is ready).  --log gets one line per query:
"udp|tcp NAME TYPE ACTION".  --force-tcp answers every UDP query with TC=1
and no records, so clients must retry over TCP.  --inject ADDR answers
every UDP query twice, as an on-path injector racing the real server
would: first a forged reply (A: ADDR, AAAA: no answer), then, 50 ms later,
the real one.

--dot serves DNS over TLS (RFC 7858) on the TCP port instead of plain
TCP; --doh serves DNS over HTTPS (RFC 8484: POST application/dns-message
to --doh-path, default /dns-query; HTTP/1.1 with keep-alive) there.  CHAIN
is the PEM certificate chain the server presents, KEY its key.  Each new
connection is logged as "dot-conn" or "doh-conn"; queries as
"dot|doh NAME TYPE ACTION".

Zone file: one rule a line, "#" comments, blank lines ignored.

    NAME TYPE VALUE [TTL] [delay=MS]

NAME is a domain name ("*" matches names that have no rule of their own).
TYPE is A, AAAA, CNAME or "*" (any query type).  VALUE is:
  - an address (A, AAAA) or a target name (CNAME); TTL defaults to 300;
  - an action, for the query types the rule covers:
      NXDOMAIN SERVFAIL REFUSED NODATA (NOERROR, no answer) DROP (no reply)
  - a hostile reply (the hardening tests):
      compression-loop  answer owner name is a compression pointer loop
      truncated         two answers announced, the second cut in its rdata
      wrong-id          a correct answer with a different query id
      long-label        CNAME whose target has an 80-byte label (0x50)
      long-name         CNAME whose target is 321 bytes long (> 255)
      other-name        an address answer for other.lab.test instead
      garbage           right id and QR bit, then random bytes
delay=MS delays the reply.  A CNAME is followed (up to 8 hops) for A and
AAAA queries, as a recursive resolver would.  A name without rules gets
NXDOMAIN; a name with rules but none for the type gets NODATA.
"""

import argparse
import ipaddress
import os
import random
import signal
import socket
import ssl
import struct
import sys
import threading
import time

TYPES = {"A": 1, "AAAA": 28, "CNAME": 5, "*": 255}
TYPENAMES = {1: "A", 28: "AAAA", 5: "CNAME", 2: "NS", 6: "SOA", 15: "MX",
             16: "TXT", 33: "SRV", 65: "HTTPS", 255: "ANY"}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3,
          "REFUSED": 5}
ACTIONS = {"nxdomain", "servfail", "refused", "nodata", "drop",
           "compression-loop", "truncated", "wrong-id", "long-label",
           "long-name", "other-name", "garbage"}
MAX_CNAME_HOPS = 8


class ZoneError(Exception):
    pass


class Rule:
    def __init__(self, name, rtype, value, ttl, delay_ms):
        self.name = name
        self.rtype = rtype
        self.value = value
        self.ttl = ttl
        self.delay_ms = delay_ms
        self.action = value.lower() if value.lower() in ACTIONS else None


def norm(name):
    name = name.strip().lower()
    if name.endswith(".") and name != ".":
        name = name[:-1]
    return name


def load_zone(path):
    rules = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            where = "%s:%d" % (path, lineno)
            words = line.split()
            if len(words) < 3:
                raise ZoneError("%s: want NAME TYPE VALUE [TTL]" % where)
            name, rtype, value = norm(words[0]), words[1].upper(), words[2]
            if rtype not in TYPES:
                raise ZoneError("%s: unknown type %s" % (where, words[1]))
            ttl, delay = 300, 0
            for w in words[3:]:
                if w.startswith("delay="):
                    delay = int(w[6:])
                else:
                    ttl = int(w)
            rule = Rule(name, rtype, value, ttl, delay)
            if rule.action is None:
                if rtype == "A":
                    ipaddress.IPv4Address(value)
                elif rtype == "AAAA":
                    ipaddress.IPv6Address(value)
                elif rtype == "CNAME":
                    rule.value = norm(value)
                else:
                    raise ZoneError("%s: type * needs an action, not %s"
                                    % (where, value))
            rules.setdefault(name, []).append(rule)
    return rules


def encode_name(name):
    out = b""
    if name:
        for label in name.split("."):
            raw = label.encode("ascii")
            if not 0 < len(raw) < 64:
                raise ValueError("bad label in %r" % name)
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def parse_query(msg):
    """(id, flags, qname, qtype, question bytes) or None when malformed."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n > 63 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
        if pos > 12 + 255:
            return None
    if pos + 4 > len(msg):
        return None
    qtype, _qclass = struct.unpack("!HH", msg[pos:pos + 4])
    return qid, flags, norm(".".join(labels)), qtype, msg[12:pos + 4]


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def addr_rdata(rtype, value):
    if rtype == 1:
        return socket.inet_pton(socket.AF_INET, value)
    return socket.inet_pton(socket.AF_INET6, value)


class Server:
    def __init__(self, rules, log, force_tcp):
        self.rules = rules
        self.logf = log
        self.force_tcp = force_tcp
        self.lock = threading.Lock()
        self.inject = None
        self.tls = None
        self.tls_proto = None
        self.doh_path = "/dns-query"

    def log(self, line):
        if self.logf:
            with self.lock:
                self.logf.write(line + "\n")
                self.logf.flush()

    def rules_for(self, name):
        if name in self.rules:
            return self.rules[name], True
        if "*" in self.rules:
            return self.rules["*"], True
        return [], False

    def resolve(self, qname, qtype):
        """(action|None, rcode, [(owner, rtype, ttl, rdata)], delay_ms)"""
        answers = []
        name, hops, delay = qname, 0, 0
        while True:
            rules, known = self.rules_for(name)
            if not known:
                if name == qname:
                    return None, RCODES["NXDOMAIN"], [], 0
                return None, 0, answers, delay
            for r in rules:
                if r.action and (r.rtype == "*" or TYPES[r.rtype] == qtype):
                    if name != qname and r.action not in (
                            "nxdomain", "servfail", "refused", "nodata",
                            "drop"):
                        continue
                    return r.action, 0, answers, max(delay, r.delay_ms)
            cname = [r for r in rules if r.rtype == "CNAME" and not r.action]
            if cname and qtype != 5:
                r = cname[0]
                answers.append((name, 5, r.ttl, r.value))
                delay = max(delay, r.delay_ms)
                hops += 1
                if hops > MAX_CNAME_HOPS:
                    return None, RCODES["SERVFAIL"], [], delay
                name = r.value
                continue
            for r in rules:
                if r.action is None and TYPES[r.rtype] == qtype:
                    answers.append((name, qtype, r.ttl, r.value))
                    delay = max(delay, r.delay_ms)
            return None, 0, answers, delay

    def build(self, query, tcp):
        """(reply bytes or None for no reply, action name, delay_ms)"""
        parsed = parse_query(query)
        if parsed is None:
            if len(query) >= 12:
                qid = struct.unpack("!H", query[:2])[0]
                return (struct.pack("!HHHHHH", qid, 0x8001, 0, 0, 0, 0),
                        "formerr", 0)
            return None, "ignored", 0
        qid, qflags, qname, qtype, question = parsed
        rd = qflags & 0x0100
        if self.force_tcp and not tcp:
            hdr = struct.pack("!HHHHHH", qid, 0x8000 | 0x0200 | rd | 0x80,
                              1, 0, 0, 0)
            return hdr + question, "tc", 0
        action, rcode, answers, delay = self.resolve(qname, qtype)
        flags = 0x8000 | rd | 0x0080
        qend = 12 + len(question)

        def header(rc, an, qid=qid):
            return struct.pack("!HHHHHH", qid, flags | rc, 1, an, 0, 0)

        def body(answers):
            out = b""
            for owner, rtype, ttl, value in answers:
                own = b"\xc0\x0c" if owner == qname else encode_name(owner)
                if rtype == 5:
                    rdata = encode_name(value)
                else:
                    rdata = addr_rdata(rtype, value)
                out += rr(own, rtype, ttl, rdata)
            return out

        if action is None:
            return header(rcode, len(answers)) + question + body(answers), \
                RCODE_NAMES.get(rcode, str(rcode)), delay
        if action == "drop":
            return None, action, delay
        if action in ("nxdomain", "servfail", "refused"):
            return header(RCODES[action.upper()], 0) + question, action, delay
        if action == "nodata":
            return header(0, 0) + question, action, delay
        t = qtype if qtype in (1, 28) else 1
        addr = "127.0.0.66" if t == 1 else "::66"
        if action == "compression-loop":
            # owner name at qend: label "a" then a pointer back to qend
            owner = b"\x01a" + struct.pack("!H", 0xC000 | qend)
            return (header(0, 1) + question +
                    rr(owner, t, 60, addr_rdata(t, addr))), action, delay
        if action == "truncated":
            full = rr(b"\xc0\x0c", t, 60, addr_rdata(t, addr))
            return header(0, 2) + question + full + full[:-2], action, delay
        if action == "wrong-id":
            good = header(0, 1, qid=(qid + 1) & 0xFFFF) + question + \
                rr(b"\xc0\x0c", t, 60, addr_rdata(t, addr))
            return good, action, delay
        if action == "long-label":
            target = b"\x50" + b"x" * 0x50 + b"\x03lab\x04test\x00"
            return (header(0, 1) + question +
                    rr(b"\xc0\x0c", 5, 60, target)), action, delay
        if action == "long-name":
            target = (b"\x3f" + b"y" * 63) * 5 + b"\x00"
            return (header(0, 1) + question +
                    rr(b"\xc0\x0c", 5, 60, target)), action, delay
        if action == "other-name":
            return (header(0, 1) + question +
                    rr(encode_name("other.lab.test"), t, 60,
                       addr_rdata(t, addr))), action, delay
        if action == "garbage":
            return (struct.pack("!HH", qid, 0x8180) +
                    os.urandom(random.randint(8, 300))), action, delay
        raise AssertionError(action)


RCODE_NAMES = {v: k.lower() for k, v in RCODES.items()}


def serve_udp(server, sock):
    while True:
        try:
            query, peer = sock.recvfrom(4096)
        except OSError:
            return
        reply, action, delay = server.build(query, False)
        p = parse_query(query)
        server.log("udp %s %s %s" % (p[2] if p else "?",
                                     TYPENAMES.get(p[3], str(p[3]))
                                     if p else "?", action))
        if reply is None:
            continue
        if len(reply) > 512 and action != "garbage":
            # classic UDP limit: header and question only, TC set
            p = parse_query(query)
            flags = struct.unpack("!H", reply[2:4])[0] | 0x0200
            reply = reply[:2] + struct.pack("!HHHHH", flags, 1, 0, 0, 0) + \
                (p[4] if p else b"")
        if server.inject and p is not None and action != "drop":
            try:
                sock.sendto(forged_reply(p, server.inject), peer)
            except OSError:
                pass
            delay = max(delay, 50)
        if delay:
            threading.Timer(delay / 1000.0, sock.sendto,
                            (reply, peer)).start()
        else:
            try:
                sock.sendto(reply, peer)
            except OSError:
                pass


def forged_reply(parsed, addr):
    """What an injector sends: the right id and question, its address."""
    qid, qflags, qname, qtype, question = parsed
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | (qflags & 0x0100), 1,
                      1 if qtype == 1 else 0, 0, 0)
    if qtype != 1:
        return hdr + question
    return hdr + question + rr(b"\xc0\x0c", 1, 60, addr_rdata(1, addr))


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve_tcp_conn(server, conn):
    conn.settimeout(30)
    proto = "tcp"
    if server.tls is not None:
        proto = server.tls_proto
        server.log("%s-conn" % proto)
        try:
            conn = server.tls.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        if proto == "doh":
            return serve_doh_conn(server, conn)
    try:
        while True:
            hdr = recv_exact(conn, 2)
            if hdr is None:
                return
            (n,) = struct.unpack("!H", hdr)
            query = recv_exact(conn, n)
            if query is None:
                return
            reply, action, delay = server.build(query, True)
            p = parse_query(query)
            server.log("%s %s %s %s" % (proto, p[2] if p else "?",
                                         TYPENAMES.get(p[3], str(p[3]))
                                         if p else "?", action))
            if reply is None:
                continue
            if delay:
                time.sleep(delay / 1000.0)
            conn.sendall(struct.pack("!H", len(reply)) + reply)
    except OSError:
        return
    finally:
        conn.close()


def serve_doh_conn(server, conn):
    """HTTP/1.1 over TLS: POST PATH with a DNS message; keep-alive."""
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
                if len(buf) > 65536:
                    return
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = (lines[0].split(" ") + ["", ""])[:2]
            hdrs = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get("content-length", "0"))
            while len(buf) < n:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
            body, buf = buf[:n], buf[n:]
            if method != "POST" or path != server.doh_path or \
                    hdrs.get("content-type") != "application/dns-message":
                server.log("doh ? ? refused %s %s" % (method, path))
                conn.sendall(b"HTTP/1.1 415 Unsupported\r\n"
                             b"Content-Length: 0\r\n\r\n")
                continue
            reply, action, delay = server.build(body, True)
            p = parse_query(body)
            server.log("doh %s %s %s" % (p[2] if p else "?",
                                         TYPENAMES.get(p[3], str(p[3]))
                                         if p else "?", action))
            if reply is None:
                continue
            if delay:
                time.sleep(delay / 1000.0)
            conn.sendall(b"HTTP/1.1 200 OK\r\n"
                         b"Content-Type: application/dns-message\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(reply) +
                         reply)
    except (OSError, ValueError, ssl.SSLError):
        return
    finally:
        conn.close()


def serve_tcp(server, sock):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=serve_tcp_conn, args=(server, conn),
                         daemon=True).start()


def split_addr(spec):
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 0
    elif spec.count(":") == 1:
        host, port = spec.split(":")
        port = int(port)
    else:
        host, port = spec, 0
    return host, port


def bind_pair(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((host, port))
        p = u.getsockname()[1]
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((host, p))
        except OSError:
            u.close()
            t.close()
            if port:
                raise
            continue
        t.listen(64)
        return u, t, p
    raise OSError("no free port pair on %s" % host)


def write_atomic(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zone", required=True)
    ap.add_argument("--listen", required=True)
    ap.add_argument("--state")
    ap.add_argument("--log")
    ap.add_argument("--force-tcp", action="store_true")
    ap.add_argument("--inject")
    ap.add_argument("--dot")
    ap.add_argument("--doh")
    ap.add_argument("--doh-path", default="/dns-query")
    args = ap.parse_args()
    try:
        rules = load_zone(args.zone)
    except (OSError, ValueError, ZoneError) as e:
        print("dns.py: %s" % e, file=sys.stderr)
        return 2
    host, port = split_addr(args.listen)
    udp, tcp, port = bind_pair(host, port)
    logf = open(args.log, "a") if args.log else None
    server = Server(rules, logf, args.force_tcp)
    server.inject = args.inject
    server.doh_path = args.doh_path
    if args.dot or args.doh:
        chain, _, key = (args.dot or args.doh).partition(":")
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(chain, key)
        server.tls_proto = "dot" if args.dot else "doh"
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    threading.Thread(target=serve_udp, args=(server, udp),
                     daemon=True).start()
    threading.Thread(target=serve_tcp, args=(server, tcp),
                     daemon=True).start()
    if args.state:
        write_atomic(args.state, "%s %d\n" % (host, port))
    else:
        print("%s %d" % (host, port), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
