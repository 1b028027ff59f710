#!/usr/bin/env bash
# Runs every test of the project. Installs what the tests need first: Debian's
# chromium, for the tests that open pages in a headless browser, and Debian's
# nats-server, for the guard service's NATS ingestion test (each test starts its own
# nats-server on 127.0.0.1 with a free port; nothing is started here).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v chromium >/dev/null 2>&1 && [ -z "${BULWARK_CHROMIUM:-}" ]; then
    missing+=(chromium)
fi
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ] && [ -z "${BULWARK_NATS_SERVER:-}" ]; then
    missing+=(nats-server)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages) for the browser and NATS tests" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    # The package enables a system-wide service where systemd runs; the tests need none.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nats-server 2>/dev/null; then
        $SUDO systemctl disable --now nats-server >/dev/null 2>&1 || true
    fi
fi

cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
