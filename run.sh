#!/usr/bin/env bash
# run.sh: installs what is missing, builds the app and opens it with the built-in demo study.
set -euo pipefail
cd "$(dirname "$0")"
. .ci/deps.sh
canvass_deps app
# Say so before a long build when there is nowhere to show the window.
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "canvass: no display found (DISPLAY and WAYLAND_DISPLAY are empty)." >&2
    echo "canvass: to run it on a virtual display:  xvfb-run -a -s '-screen 0 1280x800x24' ./run.sh" >&2
    exit 1
fi
cargo build --release --locked --bin canvass-desktop
app="$CARGO_TARGET_DIR/release/canvass-desktop"
echo "canvass: data folder ${CANVASS_DATA_DIR:-$HOME/.local/share/org.canvass.desktop}"
exec "$app" "$@"
