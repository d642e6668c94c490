#!/usr/bin/env python3
"""Minimal TLS client for the lab's self-test.

    tlsc.py ADDR PORT SNI|- [--ca FILE] [--timeout S]

Prints one JSON object: {"outcome": "ok"|"refused"|"reset"|"eof"|"timeout"|
"ssl_error", "detail": "...", "leaf_sha256": "...", "version": "..."};
with --ca, "verified" tells whether the chain verified for SNI.
"""
import hashlib
import json
import socket
import ssl
import sys


def main():
    args = sys.argv[1:]
    ca, timeout = None, 2.0
    if "--ca" in args:
        i = args.index("--ca")
        ca = args[i + 1]
        del args[i:i + 2]
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    addr, port, sni = args[0], int(args[1]), args[2]
    sni = None if sni == "-" else sni
    out = {}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam)
    s.settimeout(timeout)
    try:
        s.connect((addr, port))
    except ConnectionRefusedError as e:
        out = {"outcome": "refused", "detail": str(e)}
    except socket.timeout:
        out = {"outcome": "timeout", "detail": "connect"}
    if out:
        print(json.dumps(out))
        return 0
    try:
        t = ctx.wrap_socket(s, server_hostname=sni)
        der = t.getpeercert(True)
        out = {"outcome": "ok", "version": t.version(),
               "leaf_sha256": hashlib.sha256(der).hexdigest()}
        t.close()
    except ConnectionResetError as e:
        out = {"outcome": "reset", "detail": str(e)}
    except socket.timeout:
        out = {"outcome": "timeout", "detail": "handshake"}
    except ssl.SSLEOFError as e:
        out = {"outcome": "eof", "detail": str(e)}
    except ssl.SSLError as e:
        out = {"outcome": "ssl_error", "detail": e.reason or str(e)}
    except OSError as e:
        out = {"outcome": "eof" if "EOF" in str(e) else "error",
               "detail": str(e)}
    if ca and out["outcome"] == "ok":
        v = ssl.create_default_context(cafile=ca)
        s = socket.create_connection((addr, port), timeout=timeout)
        try:
            v.wrap_socket(s, server_hostname=sni).close()
            out["verified"] = True
        except ssl.SSLCertVerificationError as e:
            out["verified"] = False
            out["verify_error"] = e.verify_message
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
