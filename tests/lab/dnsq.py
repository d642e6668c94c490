#!/usr/bin/env python3
"""Minimal DNS query client for the lab's self-test.

    dnsq.py ADDR PORT NAME TYPE [--tcp] [--timeout S]

Prints one JSON object: {"rcode": "NOERROR", "tc": false, "id_ok": true,
"answers": [{"type": "A", "name": ..., "ip": ..., "ttl": ...},
{"type": "CNAME", "name": ..., "hostname": ...}]} or {"error": "timeout"}
or {"error": "malformed", "bytes": N}.  Compression pointers are followed
with a hop limit, so hostile replies come out as "malformed".
"""
import json
import os
import socket
import struct
import sys

TYPES = {"A": 1, "AAAA": 28, "CNAME": 5}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          5: "REFUSED"}


class Malformed(Exception):
    pass


def read_name(msg, pos):
    labels, hops, end = [], 0, None
    while True:
        if pos >= len(msg):
            raise Malformed("name past end")
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise Malformed("pointer past end")
            hops += 1
            if hops > 16:
                raise Malformed("pointer loop")
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            continue
        if n & 0xC0:
            raise Malformed("bad label type")
        pos += 1
        if n == 0:
            break
        if pos + n > len(msg):
            raise Malformed("label past end")
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
    name = ".".join(labels)
    if len(name) > 253:
        raise Malformed("name too long")
    return name, (end if end is not None else pos)


def parse(msg, qid):
    if len(msg) < 12:
        raise Malformed("short header")
    rid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    out = {"rcode": RCODES.get(flags & 15, str(flags & 15)),
           "tc": bool(flags & 0x0200), "id_ok": rid == qid, "answers": []}
    pos = 12
    for _ in range(qd):
        _, pos = read_name(msg, pos)
        pos += 4
    for _ in range(an):
        name, pos = read_name(msg, pos)
        if pos + 10 > len(msg):
            raise Malformed("rr header past end")
        rtype, _cls, ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        pos += 10
        if pos + rdlen > len(msg):
            raise Malformed("rdata past end")
        rd = msg[pos:pos + rdlen]
        if rtype == 1 and rdlen == 4:
            out["answers"].append({"type": "A", "name": name, "ttl": ttl,
                                   "ip": socket.inet_ntop(socket.AF_INET, rd)})
        elif rtype == 28 and rdlen == 16:
            out["answers"].append({"type": "AAAA", "name": name, "ttl": ttl,
                                   "ip": socket.inet_ntop(socket.AF_INET6,
                                                          rd)})
        elif rtype == 5:
            target, _ = read_name(msg, pos)
            out["answers"].append({"type": "CNAME", "name": name,
                                   "ttl": ttl, "hostname": target})
        pos += rdlen
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tcp = "--tcp" in sys.argv
    timeout = 2.0
    if "--timeout" in sys.argv:
        timeout = float(sys.argv[sys.argv.index("--timeout") + 1])
        args.remove(sys.argv[sys.argv.index("--timeout") + 1])
    addr, port, name, qtype = args[0], int(args[1]), args[2], args[3]
    qid = struct.unpack("!H", os.urandom(2))[0]
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", TYPES[qtype], 1)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        if tcp:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect((addr, port))
            s.sendall(struct.pack("!H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(
                    "!H", buf[:2])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            msg = buf[2:]
        else:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(timeout)
            s.sendto(q, (addr, port))
            msg = s.recv(65536)
    except socket.timeout:
        print(json.dumps({"error": "timeout"}))
        return 0
    try:
        print(json.dumps(parse(msg, qid)))
    except Malformed as e:
        print(json.dumps({"error": "malformed", "why": str(e),
                          "bytes": len(msg)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
