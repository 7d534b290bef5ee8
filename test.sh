#!/usr/bin/env bash
# test.sh: installs what is missing, then runs every test, the real-window ones under Xvfb included.
set -euo pipefail
cd "$(dirname "$0")"
. .ci/deps.sh
canvass_deps test
# The server's PostgreSQL tests run against a throwaway cluster, stopped on exit.
canvass_postgres_start
log="$(mktemp)"
trap 'rm -f "$log"; canvass_postgres_stop' EXIT
# xvfb-run gives the window tests a display of their own even on a desktop,
# so no window pops up and a missing display can never hang a test.
status=0
xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --locked -- --include-ignored 2>&1 | tee "$log" || status=$?
# cargo prints one result line per test binary; the total over all of them is
# what a reader (and CI) wants as the closing line.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
