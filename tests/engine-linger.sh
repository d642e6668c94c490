#!/bin/bash
# Engine, DNS linger: a target whose connections are done while its UDP
# queries still listen for later replies (--dns-linger) gives its
# --concurrency slot to the next target, and the late replies still make
# its record.  With --concurrency 1 and a linger far longer than a
# measurement, targets overlap (each next one starts before the one before
# it is finished), and every record still holds the injector's forged
# reply and the real one (blocked/dns_injection).
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls good genuine 127.0.0.10
lab_dns probe 127.0.0.2 --inject 127.0.0.66
lab_zone probe "a.lab.test A 127.0.0.10" "b.lab.test A 127.0.0.10" \
    "c.lab.test A 127.0.0.10"
lab_zone control "a.lab.test A 127.0.0.10" "b.lab.test A 127.0.0.10" \
    "c.lab.test A 127.0.0.10"
lab_start

lab_targets "a.lab.test:$LAB_PORT" "b.lab.test:$LAB_PORT" \
    "c.lab.test:$LAB_PORT"
lab_run --concurrency 1 --dns-linger 4000
lab_records
lab_check - 'len(rs) == 3' \
    'all(len(x["dns"]) == 4 for x in rs)' \
    'all(x["verdict"]["status"] == "blocked" for x in rs)' \
    'all(x["verdict"]["method"] == "dns_injection" for x in rs)' \
    'all(len([d for d in x["dns"] if d["role"] == "probe" and d["query_type"] == "A"][0]["replies"]) == 2 for x in rs)' \
    'all(x["runtime_ms"] >= 3500 for x in rs)'
# Overlap: by start time, each target started before the previous ended.
lab_check - \
    'all(ms(b) < ms(a) + a["runtime_ms"] for a, b in zip(sorted(rs, key=ms), sorted(rs, key=ms)[1:]))'
echo "engine-linger: ok"
