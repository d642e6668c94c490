#!/usr/bin/env python3
"""Assert facts about nightjar records (the JSON Lines of `nightjar show`).

    assert_records.py RECORDS.jsonl [--host HOST | --input INPUT] EXPR...

Each EXPR is a Python expression that must be true.  Names available:
  rs              every record (list of dicts)
  r               with --host/--input: the one record whose target.host
                  (target.input) matches; it is an error when there is not
                  exactly one
  dns(role="probe", qtype="A", resolver=None)
                  the dns entries of r with that role/query type (list)
  tcp(ip=None, source=None)   the tcp entries of r (list), filtered
  tls(sni=None, ip=None, every=False)
                  the tls entries of r (list), filtered; without sni only
                  the target's own (its SNI or none), not the --control-sni
                  baseline (every=True: all of them)
  ips(entry)      sorted answer addresses of a dns entry
  fp(PEM)         SHA-256 hex of a certificate file's DER (openssl)
  spki(PEM)       SHA-256 hex of its SubjectPublicKeyInfo DER (openssl)
  sans(PEM)       its DNS/IP subjectAltNames, as a list (openssl)
  subject(PEM)    its subject in RFC 2253 form, e.g. "CN=x,O=y" (openssl)
  dates(PEM)      its (not_before, not_after) as "YYYY-MM-DDTHH:MM:SSZ"
  E               os.environ (lab.sh exports LAB_DIR, LAB_CERTS, LAB_PORT,
                  LAB_RESOLVER, LAB_CONTROL_RESOLVER)
  P               int($LAB_PORT) when set
  C(path)         os.path.join($LAB_CERTS, path)
  ms(rec)         a record's start_time in ms since the epoch
  json, re, os    modules
A failing or raising EXPR prints the expression, its value and the
record(s), and the exit status is 1.  Exit 2 on usage or input errors.
"""

import functools
import json
import os
import re
import subprocess
import sys


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data,
                          capture_output=True, check=True).stdout


@functools.lru_cache(maxsize=None)
def fp(path):
    import hashlib
    der = openssl("x509", "-in", path, "-outform", "DER")
    return hashlib.sha256(der).hexdigest()


@functools.lru_cache(maxsize=None)
def spki(path):
    import hashlib
    pub = openssl("x509", "-in", path, "-noout", "-pubkey")
    der = openssl("pkey", "-pubin", "-outform", "DER", data=pub)
    return hashlib.sha256(der).hexdigest()


@functools.lru_cache(maxsize=None)
def sans(path):
    out = openssl("x509", "-in", path, "-noout", "-ext",
                  "subjectAltName").decode()
    names = []
    for line in out.splitlines()[1:]:
        for item in line.split(","):
            item = item.strip()
            if item.startswith("DNS:"):
                names.append(item[4:])
            elif item.startswith("IP Address:"):
                names.append(item[11:])
    return names


@functools.lru_cache(maxsize=None)
def subject(path):
    out = openssl("x509", "-in", path, "-noout", "-subject", "-nameopt",
                  "RFC2253").decode().strip()
    return out[len("subject="):] if out.startswith("subject=") else out


@functools.lru_cache(maxsize=None)
def dates(path):
    import time
    out = openssl("x509", "-in", path, "-noout", "-startdate",
                  "-enddate").decode()
    got = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        t = time.strptime(v.strip(), "%b %d %H:%M:%S %Y GMT")
        got[k] = time.strftime("%Y-%m-%dT%H:%M:%SZ", t)
    return got["notBefore"], got["notAfter"]


def start_ms(rec):
    import datetime
    t = datetime.datetime.fromisoformat(
        rec["start_time"].replace("Z", "+00:00"))
    return t.timestamp() * 1000


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, rest = argv[1], argv[2:]
    key = None
    if rest and rest[0] in ("--host", "--input"):
        if len(rest) < 2:
            print("assert_records.py: %s needs a value" % rest[0],
                  file=sys.stderr)
            return 2
        key = (rest[0][2:], rest[1])
        rest = rest[2:]
    rs = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rs.append(json.loads(line))
                    except ValueError as e:
                        print("assert_records.py: %s:%d: not JSON: %s"
                              % (path, n, e), file=sys.stderr)
                        return 2
    except OSError as e:
        print("assert_records.py: %s" % e, file=sys.stderr)
        return 2
    env = {"rs": rs, "json": json, "re": re, "os": os, "fp": fp,
           "ms": start_ms,
           "spki": spki, "sans": sans, "subject": subject,
           "dates": dates,
           "E": os.environ,
           "C": lambda p: os.path.join(os.environ.get("LAB_CERTS", ""), p)}
    if os.environ.get("LAB_PORT", "").isdigit():
        env["P"] = int(os.environ["LAB_PORT"])
    shown = rs
    if key:
        match = [x for x in rs
                 if isinstance(x, dict) and
                 (x.get("target") or {}).get(key[0]) == key[1]]
        if len(match) != 1:
            print("FAIL: %d records with target.%s == %r (of %d records)"
                  % (len(match), key[0], key[1], len(rs)), file=sys.stderr)
            for x in rs:
                print(json.dumps(x, indent=1), file=sys.stderr)
            return 1
        r = match[0]
        shown = [r]
        env["r"] = r

        def dns(role="probe", qtype="A", resolver=None):
            return [d for d in r.get("dns") or []
                    if (role is None or d.get("role") == role) and
                    (qtype is None or d.get("query_type") == qtype) and
                    (resolver is None or d.get("resolver") == resolver)]

        def tcp(ip=None, source=None):
            return [t for t in r.get("tcp") or []
                    if (ip is None or t.get("ip") == ip) and
                    (source is None or t.get("source") == source)]

        def tls(sni=None, ip=None, every=False):
            host = (r.get("target") or {}).get("host")
            return [t for t in r.get("tls") or []
                    if (every or (t.get("sni") in (None, host)
                                  if sni is None else t.get("sni") == sni))
                    and (ip is None or t.get("ip") == ip)]
        env.update(dns=dns, tcp=tcp, tls=tls)
    env["ips"] = lambda e: sorted(a.get("ip") for a in e.get("answers") or []
                                  if a.get("ip") is not None)
    failed = 0
    for expr in rest:
        try:
            value = eval(expr, env)  # noqa: S307 - test code, not input
            ok = bool(value)
            why = "is %r" % (value,)
        except Exception as e:  # noqa: BLE001 - reported as a failure
            ok = False
            why = "raised %s: %s" % (type(e).__name__, e)
        if not ok:
            failed += 1
            print("FAIL: %s  (%s)" % (expr, why), file=sys.stderr)
    if failed:
        for x in shown:
            print(json.dumps(x, indent=1), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
