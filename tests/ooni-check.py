#!/usr/bin/env python3
"""Check `nightjar show --format ooni` against OONI's data formats.

  ooni-check.py gen OUT.msgpack VERSION
      write hand-made nightjar records (every step kind, kept DER, HTTP,
      a vantage's answer, a collector's probe_asn/probe_cc) as msgpack
  ooni-check.py check OONI.jsonl RECORDS.jsonl
      check each OONI measurement (one a line) against the keys and types
      of github.com/ooni/spec data-formats df-000 (base), df-002 (dnst),
      df-005 (tcpconnect), df-006 (tlshandshake) and df-001 (httpt), and
      against the nightjar record it came from (same order, from
      `nightjar show`).  Keys outside the spec must start with "x_".
"""
import base64
import hashlib
import json
import re
import struct
import sys

NUM = (int, float)
STR = (str,)
NULLSTR = (str, type(None))
BOOL = (bool,)
LIST = (list,)
DICT = (dict,)

# key: (types, required) -- written from the spec's field lists.
BASE = {
    "annotations": (DICT, True),
    "backend_version": (STR, False),
    "data_format_version": (STR, True),
    "extensions": (DICT, False),
    "id": (STR, False),
    "input": (NULLSTR, True),
    "input_hashes": (LIST, False),
    "measurement_start_time": (STR, True),
    "options": (LIST, False),
    "probe_asn": (STR, True),
    "probe_network_name": (STR, False),
    "probe_cc": (STR, True),
    "probe_ip": (STR, True),
    "report_id": (STR, True),
    "resolver_asn": (STR, False),
    "resolver_ip": (STR, False),
    "resolver_network_name": (STR, False),
    "software_name": (STR, True),
    "software_version": (STR, True),
    "test_helpers": (DICT, False),
    "test_keys": (DICT, True),
    "test_name": (STR, True),
    "test_runtime": (NUM, True),
    "test_start_time": (STR, True),
    "test_version": (STR, True),
}
QUERY = {  # df-002 Query
    "answers": (LIST, True),
    "engine": (STR, False),
    "failure": (NULLSTR, True),
    "getaddrinfo_error": ((int,), False),
    "hostname": (STR, True),
    "query_type": (STR, True),
    "raw_response": (STR, False),
    "rcode": ((int,), False),
    "resolver_address": (STR, True),
    "t0": (NUM, True),
    "t": (NUM, True),
    "tags": (LIST, False),
    "transaction_id": ((int,), False),
    "dial_id": ((int,), False),
    "resolver_hostname": (NULLSTR, False),
    "resolver_port": (NULLSTR, False),
}
ANSWER = {  # df-002 Answer
    "answer_type": (STR, True),
    "asn": ((int,), False),
    "as_org_name": (STR, False),
    "hostname": (STR, False),
    "ipv4": (STR, False),
    "ipv6": (STR, False),
    "ttl": ((int, type(None)), True),
}
ENGINES = {"unknown", "system", "getaddrinfo", "golang_net_resolver", "go",
           "udp", "tcp", "dot", "doh"}
TCP = {  # df-005 TCPConnect
    "ip": (STR, True),
    "port": ((int,), True),
    "status": (DICT, True),
    "t0": (NUM, True),
    "t": (NUM, True),
    "tags": (LIST, False),
    "transaction_id": ((int,), False),
    "conn_id": ((int,), False),
    "dial_id": ((int,), False),
}
STATUS = {
    "blocked": ((str, bool, type(None)), False),
    "failure": (NULLSTR, True),
    "success": (BOOL, True),
}
TLS = {  # df-006 TLSHandshake
    "network": (STR, False),
    "address": (STR, True),
    "cipher_suite": (STR, True),
    "conn_id": ((int,), False),
    "failure": (NULLSTR, True),
    "so_error": (STR, False),
    "negotiated_protocol": (STR, True),
    "no_tls_verify": (BOOL, True),
    "peer_certificates": (LIST, True),
    "server_name": (STR, False),
    "outer_server_name": (STR, False),
    "echconfig": (STR, False),
    "t0": (NUM, True),
    "t": (NUM, True),
    "tags": (LIST, False),
    "tls_version": (STR, True),
    "transaction_id": ((int,), False),
}
BINARY = {"format": (STR, True), "data": (STR, True)}  # df-001 BinaryData
TRANSACTION = {  # df-001 Transaction
    "network": (STR, False),
    "address": (STR, False),
    "alpn": (STR, False),
    "failure": (NULLSTR, True),
    "request": (DICT, True),
    "response": (DICT, True),
    "response_length": ((int, type(None)), False),
    "t0": (NUM, True),
    "t": (NUM, True),
    "tags": (LIST, False),
    "transaction_id": ((int,), False),
}
REQUEST = {
    "url": (STR, True),
    "body": ((str, dict), True),
    "body_is_truncated": (BOOL, False),
    "headers": (DICT, True),
    "headers_list": (LIST, True),
    "method": (STR, True),
    "tor": (DICT, True),
    "x_transport": (STR, False),
}
RESPONSE = {
    "body": ((str, dict), True),
    "body_is_truncated": (BOOL, False),
    "code": ((int,), True),
    "headers": (DICT, True),
    "headers_list": (LIST, True),
}
TOR = {"exit_ip": (NULLSTR, True), "exit_name": (NULLSTR, True),
       "is_tor": (BOOL, True)}
TEST_KEYS = {
    "agent": (STR, False),                       # df-001
    "requests": (LIST, False),                   # df-001
    "socksproxy": (NULLSTR, False),              # df-001
    "queries": (LIST, True),                     # df-002
    "tcp_connect": (LIST, True),                 # df-005
    "tls_handshakes": (LIST, True),              # df-006
    "blocking": ((bool, str, type(None)), True),  # Web Connectivity
    "accessible": ((bool, type(None)), True),
}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

# nightjar's verdict as Web Connectivity's pair (written independently).
def blocking_of(status, method):
    method = method or ""
    if status == "ok":
        return False, True
    if status == "blocked":
        if method.startswith("dns_"):
            return "dns", False
        if method.startswith("tcp_"):
            return "tcp_ip", False
        if method == "http_blockpage":
            return "http-diff", False
        return "http-failure", False
    if status == "intercepted":
        return "http-failure", False
    if status == "throttled":
        return None, True
    if status == "down":
        return False, False
    return None, None


class Bad(Exception):
    pass


def check_obj(where, obj, table):
    if not isinstance(obj, dict):
        raise Bad(f"{where}: not an object")
    for k, (types, required) in table.items():
        if k not in obj:
            if required:
                raise Bad(f"{where}: missing {k}")
            continue
        v = obj[k]
        # JSON has no int/bool distinction problem in Python: bool is int.
        if isinstance(v, bool) and bool not in types:
            raise Bad(f"{where}.{k}: bool where {types} wanted")
        if not isinstance(v, types):
            raise Bad(f"{where}.{k}: {type(v).__name__} where "
                      f"{[t.__name__ for t in types]} wanted")
    for k in obj:
        if k not in table and not k.startswith("x_"):
            raise Bad(f"{where}: key {k} is not in OONI's spec")


def check_strlist(where, v):
    if not all(isinstance(s, str) for s in v):
        raise Bad(f"{where}: not a list of strings")


def close(a, b):
    return abs(a - b) < 1e-6 + 1e-9 * abs(b)


def check_times(where, o, e):
    t0 = e.get("t0_ms", 0) / 1000
    t = t0 + e["t_ms"] / 1000
    if not close(o["t0"], t0) or not close(o["t"], t):
        raise Bad(f"{where}: t0/t {o['t0']}/{o['t']} != {t0}/{t}")
    if o["t"] < o["t0"]:
        raise Bad(f"{where}: t before t0")


def addr(ip, port):
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def check_one(n, m, r):
    check_obj(f"line {n}", m, BASE)
    if m["data_format_version"] != "0.2.0":
        raise Bad("data_format_version")
    for k, v in m["annotations"].items():
        if not isinstance(v, str):
            raise Bad(f"annotations.{k}: not a string")
    for k, v in m.get("extensions", {}).items():
        if not isinstance(v, int):
            raise Bad(f"extensions.{k}: not an int")
    for k in ("measurement_start_time", "test_start_time"):
        if not TIME_RE.match(m[k]):
            raise Bad(f"{k}: {m[k]!r}")
    if m["measurement_start_time"] != r["start_time"][:19].replace("T", " "):
        raise Bad("measurement_start_time is not the record's start_time")
    if m["test_start_time"] > m["measurement_start_time"]:
        raise Bad("test_start_time after measurement_start_time")
    if not re.match(r"^AS\d+$", m["probe_asn"]):
        raise Bad(f"probe_asn {m['probe_asn']!r}")
    if not re.match(r"^[A-Z]{2}$", m["probe_cc"]):
        raise Bad(f"probe_cc {m['probe_cc']!r}")
    if m["probe_asn"] != r.get("probe_asn", "AS0"):
        raise Bad("probe_asn is not the collector's")
    if m["probe_cc"] != r.get("probe_cc", "ZZ"):
        raise Bad("probe_cc is not the collector's")
    if "probe_network" in r and m.get("probe_network_name") != \
            r["probe_network"]:
        raise Bad("probe_network_name")
    if m["probe_ip"] != "127.0.0.1":
        raise Bad("probe_ip is not 127.0.0.1")
    if not re.match(r"^\d{8}T\d{6}Z_AS\d+_[A-Za-z0-9]+$", m["report_id"]):
        raise Bad(f"report_id {m['report_id']!r}")
    if m["input"] != r["target"]["input"]:
        raise Bad("input is not the target's input")
    if m["software_name"] != "nightjar" or \
            m["software_version"] != r["software"]["version"]:
        raise Bad("software")
    if not close(m["test_runtime"], r["runtime_ms"] / 1000):
        raise Bad("test_runtime")
    if m.get("id") != r["id"]:
        raise Bad("id")

    tk = m["test_keys"]
    check_obj("test_keys", tk, TEST_KEYS)
    http = r.get("http") or []
    if ("requests" in tk) != bool(http):
        raise Bad("requests present without HTTP, or missing with HTTP")
    if len(tk["queries"]) != len(r["dns"]) or \
            len(tk["tcp_connect"]) != len(r["tcp"]) or \
            len(tk["tls_handshakes"]) != len(r["tls"]):
        raise Bad("a step is missing or extra")
    for i, (q, d) in enumerate(zip(tk["queries"], r["dns"])):
        w = f"queries[{i}]"
        check_obj(w, q, QUERY)
        if q.get("engine", "unknown") not in ENGINES:
            raise Bad(f"{w}.engine {q['engine']!r}")
        if "transport" in d and q["engine"] != d["transport"]:
            raise Bad(f"{w}.engine is not the transport")
        if q["hostname"] != r["target"]["host"] or \
                q["query_type"] != d["query_type"] or \
                q["failure"] != d["failure"]:
            raise Bad(f"{w}: hostname, query_type or failure")
        if d.get("server") and q["resolver_address"] != d["server"]:
            raise Bad(f"{w}.resolver_address is not the server asked")
        check_strlist(w + ".tags", q.get("tags", []))
        check_times(w, q, d)
        if len(q["answers"]) != len(d["answers"]):
            raise Bad(f"{w}.answers")
        for j, (a, ra) in enumerate(zip(q["answers"], d["answers"])):
            check_obj(f"{w}.answers[{j}]", a, ANSWER)
            key = {"A": "ipv4", "AAAA": "ipv6", "CNAME": "hostname"}
            k = key[ra["type"]]
            if a["answer_type"] != ra["type"] or \
                    a.get(k) != ra.get("ip", ra.get("hostname")):
                raise Bad(f"{w}.answers[{j}]: {a} vs {ra}")
    for i, (c, e) in enumerate(zip(tk["tcp_connect"], r["tcp"])):
        w = f"tcp_connect[{i}]"
        check_obj(w, c, TCP)
        check_obj(w + ".status", c["status"], STATUS)
        if c["status"]["success"] != (c["status"]["failure"] is None):
            raise Bad(f"{w}.status: success and failure disagree")
        if (c["ip"], c["port"], c["status"]["failure"]) != \
                (e["ip"], e["port"], e["failure"]):
            raise Bad(f"{w}: not the record's connect")
        check_times(w, c, e)
    for i, (h, e) in enumerate(zip(tk["tls_handshakes"], r["tls"])):
        w = f"tls_handshakes[{i}]"
        check_obj(w, h, TLS)
        if h.get("network", "tcp") not in ("tcp", "udp"):
            raise Bad(f"{w}.network")
        if h["address"] != addr(e["ip"], e["port"]):
            raise Bad(f"{w}.address {h['address']}")
        if h["failure"] != e["failure"] or \
                h["tls_version"] != (e["version"] or "") or \
                h["cipher_suite"] != (e["cipher"] or ""):
            raise Bad(f"{w}: failure, version or cipher")
        if h.get("server_name") != (e["sni"] or e["ip"]):
            raise Bad(f"{w}.server_name")
        check_times(w, h, e)
        kept = [c for c in e["chain"] if "der" in c]
        if len(h["peer_certificates"]) != len(kept):
            raise Bad(f"{w}.peer_certificates: {len(kept)} kept")
        for j, pc in enumerate(h["peer_certificates"]):
            check_obj(f"{w}.peer_certificates[{j}]", pc, BINARY)
            if pc["format"] != "base64":
                raise Bad("BinaryData.format")
            der = base64.b64decode(pc["data"], validate=True)
            if hashlib.sha256(der).hexdigest() != kept[j]["sha256"]:
                raise Bad(f"{w}.peer_certificates[{j}]: not the DER of "
                          f"the chain's certificate")
    for i, (t, e) in enumerate(zip(tk.get("requests", []), http)):
        w = f"requests[{i}]"
        check_obj(w, t, TRANSACTION)
        check_obj(w + ".request", t["request"], REQUEST)
        check_obj(w + ".request.tor", t["request"]["tor"], TOR)
        check_obj(w + ".response", t["response"], RESPONSE)
        for part in ("request", "response"):
            hl = t[part]["headers_list"]
            if not all(isinstance(p, list) and len(p) == 2 and
                       all(isinstance(s, str) for s in p) for p in hl):
                raise Bad(f"{w}.{part}.headers_list")
            for k, v in t[part]["headers"].items():
                if not isinstance(v, (str, dict)):
                    raise Bad(f"{w}.{part}.headers.{k}")
        if t["request"]["url"] != e["url"] or t["failure"] != e["failure"]:
            raise Bad(f"{w}: url or failure")
        if t["response"]["code"] != (e["status"] or 0):
            raise Bad(f"{w}.response.code")
        hdr = {k.lower(): v for k, v in t["response"]["headers"].items()}
        for k, v in (e.get("headers") or {}).items():
            if v is not None and hdr.get(k) != v:
                raise Bad(f"{w}.response.headers.{k}")
        check_times(w, t, e)

    v = r["verdict"]
    if tk["x_nightjar_verdict"] != v:
        raise Bad("x_nightjar_verdict is not the record's verdict")
    want = blocking_of(v["status"], v["method"])
    if (tk["blocking"], tk["accessible"]) != want:
        raise Bad(f"blocking/accessible {tk['blocking']!r}/"
                  f"{tk['accessible']!r} for {v['status']}/{v['method']}")
    if r.get("control"):
        if m["test_helpers"].get("backend", {}).get("address") != \
                r["control"]["url"]:
            raise Bad("test_helpers.backend is not the vantage")
        if tk.get("x_nightjar_control") != r["control"]:
            raise Bad("x_nightjar_control")


def check(ooni_path, records_path):
    ms = [json.loads(l) for l in open(ooni_path, encoding="utf-8")]
    rs = [json.loads(l) for l in open(records_path, encoding="utf-8")]
    if len(ms) != len(rs) or not ms:
        raise Bad(f"{len(ms)} measurements for {len(rs)} records")
    runs = {}
    for n, (m, r) in enumerate(zip(ms, rs), 1):
        try:
            check_one(n, m, r)
        except Bad as e:
            raise Bad(f"line {n} ({r['target']['input']}): {e}")
        # One round, one report.
        runs.setdefault(r["run_id"], set()).add(
            (m["report_id"], m["test_start_time"]))
    for run, ids in runs.items():
        if len(ids) != 1:
            raise Bad(f"run {run}: several report ids {ids}")
    if len({next(iter(v))[0] for v in runs.values()}) != len(runs):
        raise Bad("two runs share a report id")
    kept = sum(len(h["peer_certificates"]) for m in ms
               for h in m["test_keys"]["tls_handshakes"])
    print(f"{len(ms)} OONI measurements match the spec and their records; "
          f"{kept} peer certificates")


# --- a minimal msgpack encoder for hand-made records ------------------------

class Bin(bytes):
    pass


def mp(o):
    if o is None:
        return b"\xc0"
    if o is True:
        return b"\xc3"
    if o is False:
        return b"\xc2"
    if isinstance(o, int):
        if 0 <= o < 128:
            return bytes([o])
        if -32 <= o < 0:
            return struct.pack("b", o)
        return b"\xd3" + struct.pack(">q", o)
    if isinstance(o, float):
        return b"\xcb" + struct.pack(">d", o)
    if isinstance(o, Bin):
        return b"\xc6" + struct.pack(">I", len(o)) + bytes(o)
    if isinstance(o, str):
        b = o.encode()
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(o, list):
        return b"\xdd" + struct.pack(">I", len(o)) + b"".join(map(mp, o))
    if isinstance(o, dict):
        return b"\xdf" + struct.pack(">I", len(o)) + b"".join(
            mp(k) + mp(v) for k, v in o.items())
    raise TypeError(o)


def gen(out):
    import uuid
    seq = [0]

    def uid():
        seq[0] += 1
        return str(uuid.UUID(int=0x1234 << 64 | seq[0], version=4))

    def cert(name, issuer, der=None):
        body = der if der is not None else ("cert of " + name).encode()
        c = {"subject": "CN=" + name, "issuer": "CN=" + issuer,
             "sha256": hashlib.sha256(body).hexdigest(),
             "spki_sha256": hashlib.sha256(b"spki " + body).hexdigest(),
             "not_before": "2026-01-01T00:00:00Z",
             "not_after": "2027-01-01T00:00:00Z", "san": [name]}
        if der is not None:
            c["der"] = Bin(der)
        return c

    def dns(qtype, answers, failure=None, rcode="NOERROR", role="probe",
            transport="udp", server="192.0.2.53:53", t0=0.25, t=3.5):
        return {"resolver": "system", "server": server,
                "transport": transport, "role": role, "query_type": qtype,
                "failure": failure, "rcode": rcode, "answers": answers,
                "t0_ms": t0, "t_ms": t}

    def tcp(ip, port=443, failure=None, source="probe", t0=4.0, t=1.5):
        return {"ip": ip, "port": port, "source": source, "failure": failure,
                "t0_ms": t0, "t_ms": t}

    def tls(ip, sni, chain, failure=None, trusted=True, port=443, t0=6.0,
            t=20.25, version="TLSv1.3", cipher="TLS_AES_128_GCM_SHA256"):
        return {"ip": ip, "port": port, "source": "probe", "sni": sni,
                "failure": failure, "version": version, "cipher": cipher,
                "chain": chain, "trusted": trusted,
                "trusted_by_system": trusted,
                "verify_error": None if trusted else "unable to get local "
                "issuer certificate", "t0_ms": t0, "t_ms": t}

    def http(url, ip, sni, status=200, failure=None):
        return {"url": url, "ip": ip, "sni": sni, "failure": failure,
                "status": status,
                "headers": {"server": "nginx", "content-type": "text/html"},
                "body_length": 1234,
                "body_sha256": hashlib.sha256(b"body").hexdigest(),
                "title": "Example", "truncated": False,
                "samples": [[10.0, 512], [110.0, 1234]],
                "t0_ms": 30.0, "t_ms": 120.5}

    def record(run, start, input_, host, port, steps, status, method,
               category=None, **extra):
        r = {"schema": 1, "id": uid(), "run_id": run, "probe_id": "probe-kz",
             "campaign": "kz-2026-12",
             "software": {"name": "nightjar", "version": extra.pop(
                 "version")},
             "start_time": start, "tz_offset": 18000, "runtime_ms": 812.5,
             "target": {"input": input_, "host": host, "port": port,
                        "category": category},
             "dns": [], "tcp": [], "tls": [], "http": [], "control": None,
             "verdict": {"status": status, "method": method,
                         "interception_ca": None, "blockpage": None,
                         "detail": f"{status} {method}"}}
        r.update(steps)
        r.update(extra)
        return r

    ver = sys.argv[3]
    run1, run2 = uid(), uid()
    leaf = b"\x30\x82" + bytes(range(200))
    root = b"\x30\x82" + bytes(range(255, 50, -1))
    recs = [
        record(run1, "2026-12-01T18:00:00.500Z", "https://www.youtube.com/",
               "www.youtube.com", 443, {
                   "dns": [dns("A", [{"type": "CNAME",
                                      "hostname": "youtube-ui.l.google.com"},
                                     {"type": "A", "ip": "203.0.113.7",
                                      "ttl": 300}]),
                           dns("AAAA", [{"type": "AAAA", "ip": "2001:db8::7",
                                         "ttl": 60}])],
                   "tcp": [tcp("203.0.113.7"), tcp("2001:db8::7")],
                   "tls": [tls("203.0.113.7", "www.youtube.com",
                               [cert("www.youtube.com", "GTS CA"),
                                cert("GTS CA", "GTS Root")]),
                           tls("2001:db8::7", "www.youtube.com",
                               [cert("www.youtube.com", "GTS CA")])]},
               "ok", None, "MMED", version=ver),
        # Qaznet-style interception: the chain is not trusted, DER kept.
        record(run1, "2026-12-01T18:00:01.250Z", "https://www.facebook.com/",
               "www.facebook.com", 443, {
                   "dns": [dns("A", [{"type": "A", "ip": "203.0.113.8",
                                      "ttl": 300}])],
                   "tcp": [tcp("203.0.113.8")],
                   "tls": [tls("203.0.113.8", "www.facebook.com",
                               [cert("www.facebook.com", "Qaznet Trust "
                                     "Network", leaf),
                                cert("Qaznet Trust Network", "Qaznet Trust "
                                     "Network", root)],
                               failure="ssl_unknown_authority",
                               trusted=False)]},
               "intercepted", "tls_mitm", "GRP", version=ver,
               probe_asn="AS9198", probe_cc="KZ",
               probe_network="JSC Kazakhtelecom"),
        record(run2, "2026-12-01T18:15:00.000Z", "http://www.bbc.com/news",
               "www.bbc.com", 443, {
                   "dns": [dns("A", [], failure="dns_nxdomain_error",
                               rcode="NXDOMAIN", transport="doh",
                               server="https://dns.example/dns-query")],
                   "control": {"url": "https://vantage.example:8443",
                               "failure": None,
                               "time": "2026-12-01T18:15:01.000Z",
                               "clock_skew_ms": -12.0, "dns": [], "tcp": [],
                               "tls": [], "http": [], "t_ms": 95.1}},
               "blocked", "dns_nxdomain", "NEWS,HUMR", version=ver),
        record(run2, "2026-12-01T18:15:00.400Z", "http://example.org/",
               "example.org", 443, {
                   "dns": [dns("A", [{"type": "A", "ip": "198.51.100.9",
                                      "ttl": 30}])],
                   "tcp": [tcp("198.51.100.9"),
                           tcp("198.51.100.9", 80, t0=5.0)],
                   "tls": [tls("198.51.100.9", "example.org",
                               [cert("example.org", "R3")], t0=7.0)],
                   "http": [http("http://example.org/", "198.51.100.9",
                                 None),
                            http("https://example.org:8443/x",
                                 "198.51.100.9", "example.org",
                                 status=403)]},
               "blocked", "http_blockpage", "CTRL", version=ver),
        record(run2, "2026-12-01T18:15:02.000Z", "192.0.2.1:8443",
               "192.0.2.1", 8443, {
                   "tcp": [tcp("192.0.2.1", 8443, "connection_reset")]},
               "anomaly", "tcp_reset", None, version=ver),
        record(run2, "2026-12-01T18:15:03.000Z", "[2001:db8::1]",
               "2001:db8::1", 443, {
                   "tcp": [tcp("2001:db8::1")],
                   "tls": [tls("2001:db8::1", None, [], t=2600.0,
                               failure=None, version="TLSv1.2",
                               cipher="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
                               )]},
               "throttled", "tls_throttled", None, version=ver),
    ]
    with open(out, "wb") as f:
        for r in recs:
            f.write(mp(r))


if __name__ == "__main__":
    try:
        if sys.argv[1] == "gen":
            gen(sys.argv[2])
        else:
            check(sys.argv[2], sys.argv[3])
    except Bad as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
