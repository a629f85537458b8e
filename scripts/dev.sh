#!/usr/bin/env bash
# A local pass: set up what is missing, then `onlive dev` starts redis-server
# and livekit-server for you. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/onlive dev "$@"
