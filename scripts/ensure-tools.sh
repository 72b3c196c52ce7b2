#!/usr/bin/env bash
# Installs what Milepost's build needs, each only when missing, at the versions verified together
# (see docs/ARCHITECTURE.md and the README). `--test` adds what `make test` needs.
set -euo pipefail
cd "$(dirname "$0")/.."

LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
SQLX_VERSION=0.8.6
DENY_VERSION=0.20.2

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root to run: $*  (install it yourself, then rerun)" >&2; return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || { echo "please install: $* (no apt-get on this machine)" >&2; return 1; }
  say "installing $* with apt-get"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! cargo leptos --version 2>/dev/null | grep -q "$LEPTOS_VERSION"; then
  say "installing cargo-leptos $LEPTOS_VERSION (about 25 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "$LEPTOS_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  # Not --locked: its lockfile pins a webpki-roots version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# The embedded Postgres needs the server binaries (initdb, pg_ctl, postgres), not a running server.
have_pg_server() {
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  [ -n "${MILEPOST_PG_BINDIR:-}" ] && return 0
  return 1
}
if [ -z "${DATABASE_URL:-}" ] && ! have_pg_server; then
  apt_install postgresql
fi

# Release builds (and `make test`, which builds one): wasm-opt from npm's binaryen, the version
# verified to keep hydration working (Debian's binaryen breaks it; TOOLCHAIN notes).
BINARYEN_VERSION=132.0.0
if [ "${1:-}" = "--release" ] || [ "${1:-}" = "--test" ]; then
  if ! .tools/binaryen/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into .tools/binaryen"
    npm install --silent --no-audit --no-fund --prefix .tools/binaryen "binaryen@$BINARYEN_VERSION"
  fi
fi

if [ "${1:-}" = "--test" ]; then
  if ! cargo sqlx --version 2>/dev/null | grep -q "$SQLX_VERSION"; then
    say "installing sqlx-cli $SQLX_VERSION (about 5 minutes, once)"
    cargo install sqlx-cli --version "$SQLX_VERSION" --no-default-features --features postgres,rustls --locked
  fi
  if ! cargo deny --version 2>/dev/null | grep -q "$DENY_VERSION"; then
    say "installing cargo-deny $DENY_VERSION (about 5 minutes, once)"
    cargo install cargo-deny --version "$DENY_VERSION" --locked
  fi
  command -v chromium >/dev/null || apt_install chromium chromium-driver
  command -v npm >/dev/null || apt_install nodejs npm
  if ! .tools/schemathesis/bin/st --version 2>/dev/null | grep -qF "$(cut -d= -f3 scripts/schemathesis/requirements.txt)"; then
    say "installing Schemathesis (pinned in scripts/schemathesis/requirements.txt) into .tools"
    command -v python3 >/dev/null || apt_install python3 python3-venv
    python3 -m venv .tools/schemathesis || { apt_install python3-venv && python3 -m venv .tools/schemathesis; }
    .tools/schemathesis/bin/pip install --quiet --disable-pip-version-check -r scripts/schemathesis/requirements.txt
  fi
  if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules ]; then
    say "installing the browser test runner (Playwright, no browser download)"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
fi
