#!/bin/bash
# tests/dashboard-browser.sh with the collector on PostgreSQL (a throwaway
# cluster, tests/lib-pg.sh): the same page, the same checks.  Skips (77)
# without chromium, or when not root or PostgreSQL is missing.
NJ_DASH_PG=1 exec bash "$top_srcdir/tests/dashboard-browser.sh"
