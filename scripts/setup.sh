#!/usr/bin/env bash
# Install what onlive needs, skipping whatever is already there:
# Debian's redis-server, postgresql, chromium and nginx, a virtualenv with the Python
# dependencies, the pinned LiveKit server (orchestrator/version.py) built with
# `go install` and cached outside the clone (keyed by version), and the web
# build.
set -euo pipefail
cd "$(dirname "$0")/.."

# The one place the LiveKit version is written is orchestrator/version.py.
LIVEKIT_VERSION="$(sed -n 's/^LIVEKIT_VERSION = "\(.*\)"$/\1/p' orchestrator/version.py)"
[ -n "$LIVEKIT_VERSION" ] || { echo "no LIVEKIT_VERSION in orchestrator/version.py" >&2; exit 1; }
CACHE="${ONLIVE_CACHE:-$HOME/.cache/onlive}"
LIVEKIT_BIN="${ONLIVE_LIVEKIT_BIN:-$CACHE/livekit-v$LIVEKIT_VERSION/livekit-server}"
# The interpreter of .venv: $PYTHON if set, else Debian's python3.11 when there is one
# (the lock files are made for 3.11; Debian builds it with profile-guided and link-time
# optimisation, as the worker image's python:3.11 is built: 7 % less worker CPU per
# join than pyenv's default build, README "Benchmarks"), else python3.
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3.11 ]; then PYTHON=/usr/bin/python3.11; else PYTHON=python3; fi
fi

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages ----------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
# The PostgreSQL server binaries (initdb, postgres): onlive runs its own cluster.
if [ -n "${ONLIVE_POSTGRES_BIN:-}" ]; then
    [ -x "$ONLIVE_POSTGRES_BIN/postgres" ] || missing+=(postgresql)
else
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
fi
[ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
# The proxy of the production layout (tests/production/ runs it as in compose.yaml).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
# Debian's python3.11 makes virtualenvs only with python3.11-venv (its ensurepip).
if [ "$PYTHON" = /usr/bin/python3.11 ] && ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    missing+=(python3.11-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (Debian packages)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts a system redis on 6379; onlive runs its own.
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
    as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
# Debian's nginx starts a default site on port 80; the production test runs its own.
if command -v systemctl >/dev/null && systemctl is-enabled --quiet nginx 2>/dev/null; then
    as_root systemctl disable --now nginx >/dev/null 2>&1 || true
fi
# Debian's postgresql makes and starts a system cluster (main, port 5432); onlive runs its
# own (`onlive dev`, the test fixtures), so the system one is stopped and stays off.
if command -v systemctl >/dev/null && systemctl is-enabled --quiet postgresql 2>/dev/null; then
    as_root systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _ status _; do
        if [ "$status" = online ] || [ "${status#online}" != "$status" ]; then
            say "stopping the system PostgreSQL cluster $version/$cluster (onlive runs its own)"
            as_root pg_ctlcluster "$version" "$cluster" stop || true
        fi
    done
fi

# --- Python -------------------------------------------------------------------
# Every dependency comes pinned with its hash from scripts/requirements-test.lock
# (`make lock` makes it from pyproject.toml), then the project itself without
# dependencies. Reinstalled when pyproject.toml or the lock changes. A lock that is
# behind pyproject.toml's dependency lists (someone added one without `make lock`)
# is said loudly, and what is missing is then installed from pyproject.toml as is.
lock="scripts/requirements-test.lock"
stamp=".venv/.onlive-deps"
want="$(cat pyproject.toml "$lock" | sha256sum | cut -d' ' -f1)"
# A .venv made with another interpreter than the one chosen above is made again.
real_python() { "$1" -c 'import os, sys; print(os.path.realpath(sys.executable))'; }
made_with="$(real_python .venv/bin/python 2>/dev/null || true)"
if [ -n "$made_with" ] && [ "$made_with" != "$(real_python "$PYTHON")" ]; then
    say "making .venv again with $PYTHON (it was made with $made_with)"
    rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PYTHON" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python dependencies (hash-pinned, $lock)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q --require-hashes --no-deps -r "$lock"
    if [ "$(head -1 "$lock" | sed -n 's/^# pyproject.toml dependencies: //p')" \
            = "$(.venv/bin/python scripts/deps-hash.py)" ]; then
        .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
    else
        say "WARNING: $lock is behind pyproject.toml's dependencies: run \`make lock\` and commit it"
        .venv/bin/python -m pip install -q --no-build-isolation -e '.[test]'
    fi
    echo "$want" > "$stamp"
fi

# --- LiveKit server -----------------------------------------------------------
if [ ! -x "$LIVEKIT_BIN" ] || ! "$LIVEKIT_BIN" --version 2>/dev/null | grep -q "version $LIVEKIT_VERSION\$"; then
    say "building livekit-server v$LIVEKIT_VERSION with go install (takes a few minutes once)"
    command -v go >/dev/null || { echo "Go 1.26+ is needed to build LiveKit server" >&2; exit 1; }
    build="$(mktemp -d)"
    GOBIN="$build" GOFLAGS=-trimpath go install "github.com/livekit/livekit-server/cmd/server@v$LIVEKIT_VERSION"
    mkdir -p "$(dirname "$LIVEKIT_BIN")"
    mv "$build/server" "$LIVEKIT_BIN"
    rm -rf "$build"
    "$LIVEKIT_BIN" --version
fi

# --- Web build ----------------------------------------------------------------
# npm packages are reinstalled when package.json or the lock file changes; the
# pages are rebuilt when anything they are built from changes (the stamp is
# a hash of those files and lives in dist/, so a deleted dist/ rebuilds too).
if [ -f web/package.json ]; then
    deps_stamp="web/node_modules/.onlive-deps"
    want_deps="$(cat web/package.json web/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)" || true
    if [ "$(cat "$deps_stamp" 2>/dev/null)" != "$want_deps" ]; then
        say "installing the web build's npm packages"
        (cd web && { npm ci --no-audit --no-fund -s || npm install --no-audit --no-fund -s; })
        echo "$want_deps" > "$deps_stamp"
    fi
    build_stamp="web/dist/.onlive-build"
    want_build="$(cd web && find package.json package-lock.json build.mjs src -type f -print0 2>/dev/null \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)" || true
    if [ "$(cat "$build_stamp" 2>/dev/null)" != "$want_build" ]; then
        say "building the web pages"
        (cd web && npm run -s build)
        echo "$want_build" > "$build_stamp"
    fi
fi
# The benchmarks' load generator and reference server (`onlive bench fanout|join|breakout`):
# a package of its own, so the pages' build does not carry them.
if [ -f web/bench/package.json ]; then
    bench_stamp="web/bench/node_modules/.onlive-deps"
    want_bench="$(cat web/bench/package.json web/bench/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)" || true
    if [ "$(cat "$bench_stamp" 2>/dev/null)" != "$want_bench" ]; then
        say "installing the benchmarks' npm packages"
        (cd web/bench && { npm ci --no-audit --no-fund -s || npm install --no-audit --no-fund -s; })
        echo "$want_bench" > "$bench_stamp"
    fi
fi
# The single sign-on tests' OpenID provider (the certified oidc-provider package, run on
# loopback by tests/conftest.py): a package of its own under tests/oidc.
if [ -f tests/oidc/package.json ]; then
    oidc_stamp="tests/oidc/node_modules/.onlive-deps"
    want_oidc="$(cat tests/oidc/package.json tests/oidc/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)" || true
    if [ "$(cat "$oidc_stamp" 2>/dev/null)" != "$want_oidc" ]; then
        say "installing the test OpenID provider's npm packages"
        (cd tests/oidc && { npm ci --no-audit --no-fund -s || npm install --no-audit --no-fund -s; })
        echo "$want_oidc" > "$oidc_stamp"
    fi
fi
say "set-up complete"
