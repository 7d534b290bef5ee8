#!/usr/bin/env bash
# test.sh: installs what is missing, then runs every test, the real-window ones under Xvfb included.
set -euo pipefail
cd "$(dirname "$0")"
. .ci/deps.sh
canvass_deps test
# xvfb-run gives the window tests a display of their own even on a desktop,
# so no window pops up and a missing display can never hang a test.
exec xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --locked -- --include-ignored
