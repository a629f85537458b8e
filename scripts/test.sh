#!/usr/bin/env bash
# Run the test suite against the real services, after the set-up step, in a
# network namespace that has only the loopback interface: nothing the tests
# start (LiveKit, Redis, the orchestrator, aiortc, Chromium) can reach any
# address but 127.0.0.1. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
LIVEKIT_VERSION="$(sed -n 's/^LIVEKIT_VERSION = "\(.*\)"$/\1/p' orchestrator/version.py)"
export ONLIVE_LIVEKIT_BIN="${ONLIVE_LIVEKIT_BIN:-${ONLIVE_CACHE:-$HOME/.cache/onlive}/livekit-v$LIVEKIT_VERSION/livekit-server}"
mkdir -p .state/test-artifacts
run=(.venv/bin/python -m pytest "$@")
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${run[@]}"
elif [ "${CI:-}" = true ]; then
    echo "CI must run the tests in a loopback-only network namespace (needs root and unshare)" >&2
    exit 1
else
    echo "note: not root, so the tests run without a loopback-only namespace" >&2
    exec "${run[@]}"
fi
