#!/usr/bin/env python3
"""Pinned measurement scenarios for the report tests.

  report-gen.py spec [--days N] [--hosts H,...]
      print spec lines for tests/gen-records --spec:
      START_TIME TZ_OFFSET HOST STATUS METHOD|- TCP_MS|- TLS_MS|- PROBE_ID
  report-gen.py download [--days N]
      spec lines whose ok records also carry a GET over the handshake
      (GET_MS:BYTES): downloads slow 20:00-22:00 local on every day, slow
      at every hour, slow 20:00-22:00 on two days only, and a host with
      no GET at all
  report-gen.py bench [--records N] [--hosts H]
      spec lines for the benchmark: H hosts (default 50) measured every 15
      minutes until N records (default 1000000); every fifth host is
      reset 18:00-24:00 local, every seventh is slow 20:00-22:00
  report-gen.py db FILE.msgpack|DIR... --db DB
      split record files (concatenated msgpack maps) and store each record
      in a collector-shaped SQLite table measurements(..., record BLOB)

Everything is deterministic: rounds every 15 minutes of local time from
Monday 2026-11-02 00:00 local, 3 s after the round start, and a fixed-seed
generator for the random failures.  Standard library only.
"""
import datetime
import os
import sqlite3
import struct
import sys

START = datetime.datetime(2026, 11, 2, 0, 0, 0)   # a Monday, local time
ROUND_S = 15 * 60


class Lcg:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s * 1103515245 + 12345) & 0x7fffffff
        return self.s >> 8


def ok(rng=None, slow=False):
    # (status, method, tcp_ms, tls_ms)
    jitter = (rng.next() % 20) if rng else 0
    tls = 80.0 + jitter
    if slow:
        tls *= 30
    return ("ok", "-", "%.1f" % (20.0 + jitter / 4), "%.1f" % tls)


def fail(status, method):
    if method == "tls_mitm":
        return (status, method, "21.0", "95.0")
    if method.startswith("tls"):
        return (status, method, "21.0", "5000.0")
    if method.startswith("tcp"):
        return (status, method, "5000.0", "-")
    return (status, method, "-", "-")


# Each scenario: host, probes [(probe_id, tz_offset)], outcome(local datetime, rng)
def evening(t, rng):
    return fail("blocked", "tcp_reset") if t.hour >= 18 else ok(rng)


def weekday_morning(t, rng):
    if 8 <= t.hour < 12 and t.weekday() < 5:
        return fail("blocked", "tls_sni")
    return ok(rng)


def midnight(t, rng):
    if t.hour >= 22 or t.hour < 2:
        return fail("blocked", "dns_nxdomain")
    return ok(rng)


def intercepted(t, rng):
    return fail("intercepted", "tls_mitm")


def always_ok(t, rng):
    return ok(rng)


def random3(t, rng):
    if rng.next() % 100 < 3:
        return fail("anomaly", "tcp_timeout")
    return ok(rng)


def social(t, rng):
    return fail("blocked", "tls_reset") if 20 <= t.hour < 23 else ok(rng)


def slow(t, rng):
    return ok(rng, slow=20 <= t.hour < 22)


SCENARIOS = [
    ("www.facebook.com", [("probe-kz", 18000)], evening),
    ("news.example", [("probe-kz", 18000)], weekday_morning),
    ("chat.example", [("probe-kz", 18000)], midnight),
    ("mitm.example", [("probe-kz", 18000)], intercepted),
    ("ok.example", [("probe-kz", 18000)], always_ok),
    ("flaky.example", [("probe-kz", 18000)], random3),
    ("social.example", [("probe-east", 18000), ("probe-west", -18000)],
     social),
    ("slow.example", [("probe-kz", 18000)], slow),
]


def spec(days, hosts):
    out = []
    for host, probes, fn in SCENARIOS:
        if hosts and host not in hosts:
            continue
        for probe, tz in probes:
            rng = Lcg(sum(map(ord, host + probe)))
            for i in range(days * 86400 // ROUND_S):
                local = START + datetime.timedelta(seconds=i * ROUND_S)
                utc = local - datetime.timedelta(seconds=tz) + \
                    datetime.timedelta(seconds=3)
                status, method, tcp, tls = fn(local, rng)
                out.append("%s.000Z %d %s %s %s %s %s %s" % (
                    utc.strftime("%Y-%m-%dT%H:%M:%S"), tz, host, status,
                    method, tcp, tls, probe))
    # Interleave as a probe writes rounds: by time, then host.
    out.sort()
    sys.stdout.write("\n".join(out) + "\n")


# Downloads of 64000 bytes: about 200 ms (2.5 Mbit/s) or 4 s (128 kbit/s).
DL_BYTES = 64000


def dl(rng, slow):
    ms = 200.0 + rng.next() % 40
    if slow:
        ms = 4000.0 + rng.next() % 400
    return "%.1f:%d" % (ms, DL_BYTES)


DL_SCENARIOS = [
    ("dl-evening.example", lambda t, day: 20 <= t.hour < 22),
    ("dl-uniform.example", lambda t, day: True),
    ("dl-twodays.example", lambda t, day: day < 2 and 20 <= t.hour < 22),
    ("dl-none.example", None),
]


def download(days):
    out = []
    tz = 18000
    for host, slow in DL_SCENARIOS:
        rng = Lcg(sum(map(ord, host)))
        for i in range(days * 86400 // ROUND_S):
            local = START + datetime.timedelta(seconds=i * ROUND_S)
            utc = local - datetime.timedelta(seconds=tz) + \
                datetime.timedelta(seconds=3)
            status, method, tcp, tls = ok(rng)
            line = "%s.000Z %d %s %s %s %s %s probe-kz" % (
                utc.strftime("%Y-%m-%dT%H:%M:%S"), tz, host, status,
                method, tcp, tls)
            if slow is not None:
                line += " " + dl(rng, slow(local, i * ROUND_S // 86400))
            out.append(line)
    out.sort()
    sys.stdout.write("\n".join(out) + "\n")


def bench(records, nhosts):
    w = sys.stdout.write
    rng = Lcg(7)
    tz = 18000
    rounds = (records + nhosts - 1) // nhosts
    n = 0
    for i in range(rounds):
        local = START + datetime.timedelta(seconds=i * ROUND_S)
        stamp = (local - datetime.timedelta(seconds=tz - 3)).strftime(
            "%Y-%m-%dT%H:%M:%S") + ".000Z"
        lines = []
        for h in range(nhosts):
            if n == records:
                break
            n += 1
            host = "host%02d.example" % h
            if h % 5 == 0 and local.hour >= 18:
                r = fail("blocked", "tcp_reset")
            elif rng.next() % 100 < 2:
                r = fail("anomaly", "tcp_timeout")
            else:
                r = ok(rng, slow=(h % 7 == 0 and 20 <= local.hour < 22))
            lines.append("%s %d %s %s %s %s %s probe-bench\n" % (
                stamp, tz, host, r[0], r[1], r[2], r[3]))
        w("".join(lines))


def skip(b, i):
    """Offset just past the msgpack object at b[i]."""
    c = b[i]
    i += 1
    if c <= 0x7f or c >= 0xe0 or c in (0xc0, 0xc2, 0xc3):
        return i
    if 0x80 <= c <= 0x8f:
        for _ in range(2 * (c & 0x0f)):
            i = skip(b, i)
        return i
    if 0x90 <= c <= 0x9f:
        for _ in range(c & 0x0f):
            i = skip(b, i)
        return i
    if 0xa0 <= c <= 0xbf:
        return i + (c & 0x1f)
    fixed = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2,
             0xd2: 4, 0xd3: 8, 0xca: 4, 0xcb: 8, 0xd4: 2, 0xd5: 3,
             0xd6: 5, 0xd7: 9, 0xd8: 17}
    if c in fixed:
        return i + fixed[c]
    lens = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4,
            0xc7: 1, 0xc8: 2, 0xc9: 4}
    if c in lens:
        n = int.from_bytes(b[i:i + lens[c]], "big")
        i += lens[c]
        if c in (0xc7, 0xc8, 0xc9):
            i += 1
        return i + n
    if c in (0xdc, 0xdd, 0xde, 0xdf):
        w = 2 if c in (0xdc, 0xde) else 4
        n = int.from_bytes(b[i:i + w], "big")
        i += w
        for _ in range(n * (2 if c in (0xde, 0xdf) else 1)):
            i = skip(b, i)
        return i
    raise ValueError("bad msgpack byte 0x%02x" % c)


def db(paths, path):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p)
                            if f.endswith(".msgpack") and f[0] != ".")
        else:
            files.append(p)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS measurements(id TEXT PRIMARY "
                "KEY, probe_id TEXT, received_at TEXT, start_time TEXT, "
                "host TEXT, status TEXT, method TEXT, record BLOB)")
    n = 0
    for f in files:
        b = open(f, "rb").read()
        i = 0
        while i < len(b):
            j = skip(b, i)
            con.execute("INSERT INTO measurements(id, record) VALUES(?, ?)",
                        ("rec-%d" % n, b[i:j]))
            n += 1
            i = j
    con.commit()
    con.close()
    print(n)


def main(argv):
    if len(argv) >= 2 and argv[1] == "spec":
        days, hosts = 14, None
        args = argv[2:]
        while args:
            if args[0] == "--days":
                days = int(args[1])
            elif args[0] == "--hosts":
                hosts = args[1].split(",")
            else:
                raise SystemExit("unknown option " + args[0])
            args = args[2:]
        spec(days, hosts)
    elif len(argv) >= 2 and argv[1] == "download":
        days = 5
        args = argv[2:]
        while args:
            if args[0] == "--days":
                days = int(args[1])
            else:
                raise SystemExit("unknown option " + args[0])
            args = args[2:]
        download(days)
    elif len(argv) >= 2 and argv[1] == "bench":
        records, nhosts = 1000000, 50
        args = argv[2:]
        while args:
            if args[0] == "--records":
                records = int(args[1])
            elif args[0] == "--hosts":
                nhosts = int(args[1])
            else:
                raise SystemExit("unknown option " + args[0])
            args = args[2:]
        bench(records, nhosts)
    elif len(argv) >= 4 and argv[1] == "db" and argv[-2] == "--db":
        db(argv[2:-2], argv[-1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
