#!/usr/bin/env python3
"""HTTP(S) requests to a collector on loopback, for tests.

usage: njhttp.py PORT METHOD PATH [BODYFILE|-] [--token T] [--cafile F]
  prints "STATUS BODY" (body on one line) and exits 0; exit 3 when the
  connection failed.
"""
import http.client
import ssl
import sys


def request(port, method, path, body=None, token=None, cafile=None,
            host='127.0.0.1', timeout=20, headers=None):
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        c = http.client.HTTPSConnection(host, port, timeout=timeout,
                                        context=ctx)
    else:
        c = http.client.HTTPConnection(host, port, timeout=timeout)
    h = {'Content-Type': 'application/msgpack'}
    if token is not None:
        h['Authorization'] = 'Bearer ' + token
    if headers:
        h.update(headers)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


if __name__ == '__main__':
    a = sys.argv[1:]
    token = cafile = None
    if '--token' in a:
        k = a.index('--token')
        token = a[k + 1]
        del a[k:k + 2]
    if '--cafile' in a:
        k = a.index('--cafile')
        cafile = a[k + 1]
        del a[k:k + 2]
    port, method, path = int(a[0]), a[1], a[2]
    body = None
    if len(a) > 3:
        body = sys.stdin.buffer.read() if a[3] == '-' else \
            open(a[3], 'rb').read()
    try:
        st, b = request(port, method, path, body, token, cafile)
    except OSError as e:
        print('000 %s' % e)
        sys.exit(3)
    print(st, b.decode('utf-8', 'replace').strip().replace('\n', ' '))
