#!/usr/bin/env bash
# run.sh: installs what is missing, builds the app and a local sync server, and opens the app with the demo study.
# The local canvass-server (SQLite, in the data folder's `server/`, on 127.0.0.1 only) gets a demo
# supervisor and a demo interviewer on every start (kept if they exist), the app signs in as the
# interviewer and syncs with it, and the server stops when the app exits.
# Set CANVASS_SERVER_URL (and CANVASS_SERVER_USER, CANVASS_SERVER_PASSWORD) to use another server instead.
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
cargo build --release --locked -p canvass-desktop -p canvass-server
app="$CARGO_TARGET_DIR/release/canvass-desktop"
server="$CARGO_TARGET_DIR/release/canvass-server"
data="${CANVASS_DATA_DIR:-$HOME/.local/share/org.canvass.desktop}"
echo "canvass: data folder $data"

if [ -z "${CANVASS_SERVER_URL:-}" ]; then
    server_data="$data/server"
    mkdir -p "$server_data"
    # The same port every time when it is free, so the app's sign-in stays valid between runs.
    port="${CANVASS_SERVER_PORT:-8787}"
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    CANVASS_PASSWORD=demo-supervisor "$server" --data "$server_data" \
        user add demo-supervisor --role supervisor --team demo --exists-ok >/dev/null
    CANVASS_PASSWORD=demo-interviewer "$server" --data "$server_data" \
        user add demo-interviewer --role interviewer --team demo --exists-ok >/dev/null
    "$server" --data "$server_data" --listen "127.0.0.1:$port" 2>>"$server_data/server.log" &
    server_pid=$!
    # SIGTERM lets the server finish requests in flight before it stops.
    trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true' EXIT
    export CANVASS_SERVER_URL="http://127.0.0.1:$port"
    export CANVASS_SERVER_USER=demo-interviewer CANVASS_SERVER_PASSWORD=demo-interviewer
    echo "canvass: local sync server at $CANVASS_SERVER_URL (log: $server_data/server.log)"
    echo "canvass: demo accounts demo-interviewer / demo-interviewer and demo-supervisor / demo-supervisor"
fi
"$app" "$@"
