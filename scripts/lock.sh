#!/usr/bin/env bash
# `make lock`: pin every Python dependency of pyproject.toml, with hashes.
#
#   scripts/requirements-test.lock   the runtime, the test tools and the build backend:
#                                    what scripts/setup.sh (so `make test` and CI) installs
#   scripts/requirements.lock        the runtime and the build backend, at the same
#                                    versions: what scripts/Dockerfile installs
#
# Both are installed with `pip install --require-hashes --no-deps -r LOCK`, then the
# project itself with `--no-deps --no-build-isolation`: nothing unpinned comes in.
# Each lock starts with the hash of the dependency lists of pyproject.toml it was
# made from; setup.sh compares it and says when the lock is behind.
# Run it after changing a dependency in pyproject.toml and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || scripts/setup.sh
# uv resolves in seconds; it comes with the test tools (pyproject.toml).
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q uv

stamp="$("$PYTHON" scripts/deps-hash.py)"
build="$(mktemp)"
trap 'rm -f "$build"' EXIT
# The build backend (pyproject.toml's build-system.requires) is pinned too.
"$PYTHON" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' > "$build"

compile() {
    local out="$1"; shift
    # The pins already made are uv's preferences: a new dependency moves nothing else.
    [ -f "$out" ] && cp "$out" "$out.new"
    .venv/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
        --python-platform x86_64-unknown-linux-gnu --no-header --no-annotate \
        "$@" pyproject.toml "$build" -o "$out.new"
    { echo "# pyproject.toml dependencies: $stamp"
      echo "# Made by \`make lock\` (scripts/lock.sh); do not edit by hand."
      cat "$out.new"; } > "$out"
    rm -f "$out.new"
}
compile scripts/requirements-test.lock --extra test
compile scripts/requirements.lock --constraints scripts/requirements-test.lock
echo "wrote scripts/requirements-test.lock and scripts/requirements.lock ($stamp)"
