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
    # Builds go to a warm folder outside the clone, so a fresh clone rebuilds only what changed.
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canvass-target}"
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
}
