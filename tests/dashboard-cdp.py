#!/usr/bin/env python3
"""Load a page in headless Chromium over the DevTools protocol.

usage: dashboard-cdp.py CHROMIUM URL AUTHORIZATION OUTDIR

One browser: the page is loaded with the Authorization header on every
request, its DOM written to OUTDIR/dom.html and a full-page screenshot to
OUTDIR/dashboard.png; then JavaScript is turned off, the page loaded again
and its DOM written to OUTDIR/dom-nojs.html.  (--dump-dom cannot do the
last part: it reads the DOM with JavaScript.)  Standard library only: a
small WebSocket client.  Exit 0, or 1 with a message.
"""
import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time


class Ws:
    def __init__(self, url, timeout=60):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))),
                                             timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
            % (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise OSError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise OSError("websocket handshake: %r" % head[:80])

    def _exact(self, n):
        b = b""
        while len(b) < n:
            chunk = self.sock.recv(n - len(b))
            if not chunk:
                raise OSError("websocket closed")
            b += chunk
        return b

    def send(self, text):
        data = text.encode()
        head = bytearray([0x81])
        if len(data) < 126:
            head.append(0x80 | len(data))
        elif len(data) < 65536:
            head.append(0x80 | 126)
            head += struct.pack("!H", len(data))
        else:
            head.append(0x80 | 127)
            head += struct.pack("!Q", len(data))
        mask = os.urandom(4)
        body = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
        self.sock.sendall(bytes(head) + mask + body)

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            data = self._exact(n)
            if mask:
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
            op = b0 & 0x0f
            if op == 8:
                raise OSError("websocket closed by the browser")
            if op == 9:
                continue
            msg += data
            if b0 & 0x80:
                return msg.decode()


class Cdp:
    def __init__(self, ws):
        self.ws = ws
        self.next = 0
        self.events = []

    def call(self, method, session=None, **params):
        self.next += 1
        msg = {"id": self.next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next:
                if "error" in m:
                    raise OSError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait(self, method, deadline):
        while time.time() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    del self.events[i]
                    return e
            self.events.append(json.loads(self.ws.recv()))
        raise OSError("timed out waiting for " + method)


def load(cdp, s, url):
    cdp.events = []
    r = cdp.call("Page.navigate", s, url=url)
    if r.get("errorText"):
        raise OSError("navigate: " + r["errorText"])
    cdp.wait("Page.loadEventFired", time.time() + 60)


def dom(cdp, s, path):
    root = cdp.call("DOM.getDocument", s, depth=-1)["root"]
    html = cdp.call("DOM.getOuterHTML", s, nodeId=root["nodeId"])
    with open(path, "w", encoding="utf-8") as f:
        f.write(html["outerHTML"])


def main():
    chromium, url, auth, out = sys.argv[1:5]
    log = open(os.path.join(out, "chromium.err"), "wb")
    profile = os.path.join(out, "profile")
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--disable-extensions", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0",
         "--user-data-dir=" + profile, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, HOME=out))
    try:
        # Chromium writes its port and path there once it listens.
        ws_url = None
        deadline = time.time() + 60
        port_file = os.path.join(profile, "DevToolsActivePort")
        while time.time() < deadline and proc.poll() is None:
            try:
                lines = open(port_file).read().split("\n")
                if len(lines) >= 2 and lines[1]:
                    ws_url = "ws://127.0.0.1:%s%s" % (lines[0], lines[1])
                    break
            except OSError:
                pass
            time.sleep(0.1)
        if ws_url is None:
            raise OSError("chromium did not open its DevTools port")
        cdp = Cdp(Ws(ws_url))
        target = cdp.call("Target.createTarget", url="about:blank")
        s = cdp.call("Target.attachToTarget", targetId=target["targetId"],
                     flatten=True)["sessionId"]
        cdp.call("Network.enable", s)
        cdp.call("Network.setExtraHTTPHeaders", s,
                 headers={"Authorization": auth})
        cdp.call("Page.enable", s)
        cdp.call("Emulation.setDeviceMetricsOverride", s, width=1280,
                 height=900, deviceScaleFactor=1, mobile=False)

        load(cdp, s, url)
        dom(cdp, s, os.path.join(out, "dom.html"))
        size = cdp.call("Page.getLayoutMetrics", s)["cssContentSize"]
        height = min(int(size["height"]) + 1, 8000)
        cdp.call("Emulation.setDeviceMetricsOverride", s, width=1280,
                 height=height, deviceScaleFactor=1, mobile=False)
        png = cdp.call("Page.captureScreenshot", s, format="png")["data"]
        with open(os.path.join(out, "dashboard.png"), "wb") as f:
            f.write(base64.b64decode(png))

        cdp.call("Emulation.setScriptExecutionDisabled", s, value=True)
        load(cdp, s, url)
        dom(cdp, s, os.path.join(out, "dom-nojs.html"))
        try:
            cdp.call("Browser.close")
        except OSError:
            pass
    except OSError as e:
        print("FAIL: " + str(e))
        return 1
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
