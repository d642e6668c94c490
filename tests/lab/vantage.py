#!/usr/bin/env python3
"""Ask a nightjar vantage (POST /v1/control) from a test.

usage: vantage.py [--host H] [--token T] [--raw FILE] PORT REQUEST
  REQUEST is JSON (or "-" for stdin), sent as msgpack unless --raw FILE
  gives the body's bytes as they are.  Prints one JSON line:
  {"status": N, "headers": {...}, "body": <decoded msgpack or text>}.
  Exit 3 when the connection failed.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpids  # noqa: E402


def pack(v):
    """A minimal msgpack encoder (the standard library has none)."""
    if v is None:
        return b'\xc0'
    if v is True:
        return b'\xc3'
    if v is False:
        return b'\xc2'
    if isinstance(v, int):
        if 0 <= v <= 0x7f:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack('>b', v)
        if 0 <= v <= 0xffffffff:
            return b'\xce' + struct.pack('>I', v)
        return b'\xd3' + struct.pack('>q', v)
    if isinstance(v, float):
        return b'\xcb' + struct.pack('>d', v)
    if isinstance(v, str):
        v = v.encode('utf-8')
        if len(v) <= 31:
            return bytes([0xa0 | len(v)]) + v
        return b'\xdb' + struct.pack('>I', len(v)) + v
    if isinstance(v, bytes):
        return b'\xc6' + struct.pack('>I', len(v)) + v
    if isinstance(v, (list, tuple)):
        return b'\xdd' + struct.pack('>I', len(v)) + b''.join(
            pack(x) for x in v)
    if isinstance(v, dict):
        return b'\xdf' + struct.pack('>I', len(v)) + b''.join(
            pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


def ask(port, body, token=None, host='127.0.0.1', timeout=60):
    import http.client
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    h = {'Content-Type': 'application/msgpack'}
    if token is not None:
        h['Authorization'] = 'Bearer ' + token
    try:
        c.request('POST', '/v1/control', body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, dict(r.getheaders()), data
    finally:
        c.close()


def main(argv):
    token = None
    raw = None
    host = '127.0.0.1'
    while argv and argv[0].startswith('--'):
        if argv[0] == '--token':
            token = argv[1]
        elif argv[0] == '--raw':
            raw = argv[1]
        elif argv[0] == '--host':
            host = argv[1]
        else:
            sys.exit(__doc__)
        argv = argv[2:]
    if len(argv) != 2:
        sys.exit(__doc__)
    port = int(argv[0])
    if raw is not None:
        with open(raw, 'rb') as f:
            body = f.read()
    else:
        text = sys.stdin.read() if argv[1] == '-' else argv[1]
        body = pack(json.loads(text))
    try:
        status, headers, data = ask(port, body, token, host)
    except OSError as e:
        print(json.dumps({'error': str(e)}))
        return 3
    if headers.get('Content-Type') == 'application/msgpack':
        dec, _ = mpids.decode(data, 0)
    else:
        dec = data.decode('utf-8', 'replace')
    print(json.dumps({'status': status, 'headers': headers, 'body': dec},
                     default=lambda b: b.hex()))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
