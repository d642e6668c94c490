#!/usr/bin/env python3
"""A TCP proxy on loopback that forwards to 127.0.0.1:TARGET at a limited
rate, so that an upload takes long enough for a test to crash things in
the middle of it.  Prints "listening on PORT" once ready; runs until
killed.  A connection to the target that fails or breaks closes the
client's connection too.

usage: throttle_proxy.py TARGET_PORT BYTES_PER_SECOND
"""
import socket
import sys
import threading
import time


def pump(src, dst, rate):
    chunk = max(1024, rate // 50)
    try:
        while True:
            data = src.recv(chunk)
            if not data:
                dst.shutdown(socket.SHUT_WR)	# pass the EOF on
                return
            dst.sendall(data)
            time.sleep(len(data) / rate)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, target, rate):
    try:
        upstream = socket.create_connection(('127.0.0.1', target), timeout=5)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    a = threading.Thread(target=pump, args=(client, upstream, rate),
                         daemon=True)
    b = threading.Thread(target=pump, args=(upstream, client, rate),
                         daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    client.close()
    upstream.close()


def main():
    target, rate = int(sys.argv[1]), int(sys.argv[2])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', 0))
    ls.listen(64)
    print('listening on %d' % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c, target, rate),
                         daemon=True).start()


if __name__ == '__main__':
    main()
