#!/bin/bash
# A censor's HTTP box serving real blockpages (OONI's fingerprints, as
# shipped): a body (Russia's federal-law page, Iran's 10.10.34.34 iframe),
# a redirect whose Location is Turk Telekom's filter page, and a blockpage
# behind a genuine TLS handshake with --http: each is blocked,
# http_blockpage, with the fingerprint's name, without any control.  An
# ordinary page is ok.
set -eu
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/http-lab.sh"

lab_init
lab_zone probe "www.facebook.com A 127.0.0.31" \
    "www.youtube.com A 127.0.0.32" "www.wordpress.com A 127.0.0.33" \
    "lab.test A 127.0.0.34" "example.org A 127.0.0.35"
lab_zone control "www.facebook.com A 127.0.0.31" \
    "www.youtube.com A 127.0.0.32" "www.wordpress.com A 127.0.0.33" \
    "lab.test A 127.0.0.34" "example.org A 127.0.0.35"
lab_start
http_start httpd "ru,http,127.0.0.31,0,mode=blockpage,page=ru" \
    "tr,http,127.0.0.32,0,mode=redirect" \
    "ir,http,127.0.0.33,0,mode=blockpage,page=ir" \
    "page,http,127.0.0.34,0"
http_start httpsd "tls,https,127.0.0.35,0,mode=blockpage,page=ru"
lab_targets "http://www.facebook.com:$(http_port ru)/" \
    "http://www.youtube.com:$(http_port tr)/watch" \
    "http://www.wordpress.com:$(http_port ir)/" \
    "http://lab.test:$(http_port page)/" \
    "example.org:$(http_port tls)"

lab_run --http --fingerprints "$top_srcdir/targets/fingerprints"
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "http_blockpage"' \
    'r["verdict"]["blockpage"] == "ooni.ru_0"' \
    'r["http"][0]["status"] == 200' \
    'r["http"][0]["title"] == "Доступ ограничен"'
lab_check www.youtube.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "http_blockpage"' \
    'r["verdict"]["blockpage"] == "ooni.tr_3"' \
    'r["http"][0]["status"] == 302' \
    'r["http"][0]["headers"]["location"].startswith("http://bilgi.turktelekom.com.tr/")'
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["blockpage"] == "ooni.ir_0"'
lab_check lab.test \
    'r["verdict"]["status"] == "ok"' \
    'r["verdict"]["blockpage"] is None' \
    'r["http"][0]["status"] == 200'
lab_check example.org \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "http_blockpage"' \
    'r["verdict"]["blockpage"] == "ooni.ru_0"' \
    'any(h["sni"] == "example.org" and h["url"].startswith("https://") for h in r["http"])' \
    'any(t["sni"] == "example.org" and t["failure"] is None for t in r["tls"])'
echo "ok: real blockpages from a censor's HTTP box are blocked, http_blockpage"
