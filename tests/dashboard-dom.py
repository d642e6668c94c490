#!/usr/bin/env python3
"""Check the collector dashboard's DOM as headless Chromium dumped it.

usage: dashboard-dom.py DOM.html HOSTILE_TEXT...

Prints what it found and exits 1 on the first failed check.  The page must
show the probes table, hosts with their current status, the heatmap (an
inline SVG with one linked cell per host and hour with data) and the
windows table; no element may come from record text: no <script>, no
event-handler attribute, no element other than the page's own kinds, and
each HOSTILE_TEXT must appear as text.  Standard library only.
"""
import html.parser
import sys

# Every element kind the dashboard itself makes (HTML and inline SVG).
ALLOWED = {
    "html", "head", "meta", "title", "link", "body", "header", "main",
    "h1", "h2", "p", "form", "label", "select", "option", "input",
    "button", "a", "section", "table", "thead", "tbody", "tr", "th", "td",
    "ul", "li", "span", "code", "svg", "defs", "pattern", "rect", "line",
    "style", "text",
}


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.bad_attrs = []
        self.section = None
        self.rows = {}          # section id -> list of rows (cell texts)
        self.row = None
        self.cell = None
        self.texts = []
        self.svg_cells = 0
        self.svg_links = 0
        self.in_a = 0
        self.svg_class_text = {}
        self.cur_text_class = None

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        for k, v in attrs:
            if k.startswith("on") or (v or "").strip().lower().startswith(
                    "javascript:"):
                self.bad_attrs.append((tag, k, v))
        if tag == "section":
            self.section = a.get("id")
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "a":
            self.in_a += 1
        elif tag == "rect" and a.get("class") == "cell":
            self.svg_cells += 1
            if self.in_a:
                self.svg_links += 1
        elif tag == "text":
            self.cur_text_class = a.get("class")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and \
                self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.setdefault(self.section, []).append(self.row)
            self.row = None
        elif tag == "a":
            self.in_a -= 1
        elif tag == "section":
            self.section = None
        elif tag == "text":
            self.cur_text_class = None

    def handle_data(self, data):
        self.texts.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.cur_text_class:
            self.svg_class_text.setdefault(self.cur_text_class,
                                           []).append(data)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    dom = Dom()
    dom.feed(open(sys.argv[1], encoding="utf-8").read())
    hostile = sys.argv[2:]
    text = "".join(dom.texts)

    extra = set(dom.tags) - ALLOWED
    if extra:
        fail("elements the dashboard does not make: %s" % sorted(extra))
    if dom.tags.get("script"):
        fail("a script element")
    if dom.bad_attrs:
        fail("event handler or javascript: attributes: %s" % dom.bad_attrs)
    for h in hostile:
        if h not in text:
            fail("record text %r not shown as text" % h)

    probes = [r for r in dom.rows.get("probes", []) if r and r[0] != "probe id"]
    hosts = [r for r in dom.rows.get("hosts", []) if r and r[0] != "status now"]
    wins = [r for r in dom.rows.get("windows", []) if r and r[0] != "host"]
    print("probes:", probes)
    print("hosts:", len(hosts), [(r[0], r[1], r[2]) for r in hosts])
    print("windows:", [(r[0], r[1], r[2], r[3]) for r in wins])
    print("heatmap cells:", dom.svg_cells, "linked:", dom.svg_links)
    print("window labels:", dom.svg_class_text.get("window-label"))

    # Written to a file for the shell test to compare.
    out = {
        "probes": probes, "hosts": hosts, "windows": wins,
        "cells": dom.svg_cells, "links": dom.svg_links,
        "labels": dom.svg_class_text.get("window-label", []),
        "hostnames": dom.svg_class_text.get("host", []),
    }
    import json
    json.dump(out, open(sys.argv[1] + ".json", "w"))


if __name__ == "__main__":
    main()
