# .ci/deps.sh: sourced by run.sh and test.sh; installs what is missing on Debian 12 and skips what is there.
# Usage: canvass_deps app|test

canvass_deps() {
    local want="$1"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # Tauri's WebKitGTK build needs these; xvfb and webkit2gtk-driver are for
    # windows without a display and for the WebDriver tests.
    local pkgs="libwebkit2gtk-4.1-dev build-essential libxdo-dev libssl-dev libayatana-appindicator3-dev
                librsvg2-dev pkg-config file xvfb xauth"
    [ "$want" = test ] && pkgs="$pkgs webkit2gtk-driver"
    local missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "canvass: installing Debian packages:$missing"
        $sudo apt-get update -qq
        # shellcheck disable=SC2086 # the list is meant to split into words
        $sudo apt-get install -y -qq --no-install-recommends $missing
    fi
    export PATH="$HOME/.cargo/bin:$PATH"
    if ! command -v cargo >/dev/null; then
        echo "canvass: Rust (cargo 1.90 or newer) is not installed; install it with rustup, then run this again" >&2
        return 1
    fi
    if [ "$want" = test ] && ! command -v tauri-driver >/dev/null; then
        echo "canvass: installing tauri-driver"
        cargo install tauri-driver --locked --version '^2'
    fi
    if [ "$want" = test ]; then
        canvass_odk_harness || return 1
    fi
    # Builds go to a warm folder outside the clone, so a fresh clone rebuilds only what changed.
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canvass-target}"
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
    # The data-export tests read .sav and .dta files back with pyreadstat, an independent reader.
    if [ "$want" = test ] && ! python3 -c 'import pyreadstat' 2>/dev/null; then
        echo "canvass: installing pyreadstat"
        if ! python3 -m pip --version >/dev/null 2>&1; then
            # A fresh Debian 12 has Python but not pip.
            $sudo apt-get install -y -qq --no-install-recommends python3-pip
        fi
        python3 -m pip install --user --quiet pyreadstat 2>/dev/null \
            || python3 -m pip install --user --quiet --break-system-packages pyreadstat
    fi
}

# Installs ODK's own form engine for the conformance test (tests/it/conformance.rs): Node from
# Debian when it is missing, then `npm ci` in tests/odk, only when node_modules is missing or
# package-lock.json changed since the last install (a copy of the lock is kept inside
# node_modules to tell). It exports CANVASS_ODK_REQUIRED so the test fails, not skips, when the
# harness is still unusable.
canvass_odk_harness() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/odk"
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "canvass: installing Node.js for the ODK conformance test"
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends nodejs npm
    fi
    if [ ! -d "$dir/node_modules/@getodk/xforms-engine" ] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.canvass-lock.json"; then
        echo "canvass: installing ODK's form engine (npm ci in tests/odk)"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
        cp "$dir/package-lock.json" "$dir/node_modules/.canvass-lock.json"
    fi
    export CANVASS_ODK_REQUIRED=1
}

# Starts a throwaway PostgreSQL cluster for the server's PostgreSQL tests and
# exports CANVASS_TEST_POSTGRES_URL; does nothing if that variable is already set.
# The cluster lives in a temporary folder, listens only on 127.0.0.1 on a free
# port, runs as a non-root user (initdb refuses root), and trusts local
# connections because nothing but the tests can reach it.
# canvass_postgres_stop stops it and deletes the folder.
canvass_postgres_start() {
    [ -n "${CANVASS_TEST_POSTGRES_URL:-}" ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "canvass: installing PostgreSQL for the server tests"
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends postgresql
        bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    local port=54329
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    CANVASS_PG_DIR="$(mktemp -d /tmp/canvass-pg.XXXXXX)"
    local as="" user
    user="$(id -un)"
    if [ "$(id -u)" -eq 0 ]; then
        # initdb and postgres refuse to run as root; the postgres package's user runs them.
        chown postgres "$CANVASS_PG_DIR"
        as="runuser -u postgres --"
        user=postgres
    fi
    $as "$bin/initdb" -D "$CANVASS_PG_DIR/data" -U "$user" --auth=trust -E UTF8 >/dev/null
    $as "$bin/pg_ctl" -D "$CANVASS_PG_DIR/data" -o "-p $port -k $CANVASS_PG_DIR -h 127.0.0.1" \
        -l "$CANVASS_PG_DIR/log" -w start >/dev/null
    CANVASS_PG_CTL="$as $bin/pg_ctl"
    export CANVASS_TEST_POSTGRES_URL="postgres://$user@127.0.0.1:$port/postgres"
    echo "canvass: PostgreSQL for the tests at $CANVASS_TEST_POSTGRES_URL"
}

canvass_postgres_stop() {
    [ -n "${CANVASS_PG_DIR:-}" ] || return 0
    $CANVASS_PG_CTL -D "$CANVASS_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$CANVASS_PG_DIR"
    unset CANVASS_PG_DIR CANVASS_TEST_POSTGRES_URL
}
