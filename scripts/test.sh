#!/usr/bin/env bash
# Runs every test of the project. Installs what the tests need first: Debian's
# chromium, for the test that opens the HTML report in a headless browser.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ -z "${BULWARK_CHROMIUM:-}" ]; then
    echo "installing chromium (Debian package) for the browser test" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
