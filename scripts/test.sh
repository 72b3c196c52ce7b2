#!/usr/bin/env bash
# Every test: unit, database, HTTP, embedded Postgres, and browser. Uses a throwaway Postgres
# cluster under target/test-pg (fsync off), or TEST_DATABASE_URL when given. Never DATABASE_URL:
# tests create and drop databases, and must not touch the data you run Milepost with.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh --test

export SQLX_OFFLINE=true
# Plain cargo builds then name the wasm file as cargo-leptos does (no `_bg` suffix).
export LEPTOS_OUTPUT_NAME=milepost
unset DATABASE_URL
target_dir=${CARGO_TARGET_DIR:-target}
milepost=$(realpath -m "$target_dir/debug/milepost")
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "building the server and the tests"
cargo test --workspace --features app/ssr,server/tools --no-run

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  export DATABASE_URL="$TEST_DATABASE_URL"
else
  step "starting a throwaway Postgres under target/test-pg"
  rm -rf target/test-pg
  mkdir -p target && chmod 755 target
  DATABASE_URL=$("$milepost" db start --unsafe-fast --data-dir target/test-pg)
  export DATABASE_URL
  # DATABASE_URL now names this cluster; `milepost db` refuses to act while it is set.
  trap 'env -u DATABASE_URL "$milepost" db stop --data-dir target/test-pg >/dev/null 2>&1 || true' EXIT
fi
"$milepost" migrate

step "checking that .sqlx matches the queries (cargo sqlx prepare --check)"
SQLX_OFFLINE=false cargo sqlx prepare --workspace --check -- --all-targets --features app/ssr,server/tools

step "cargo deny: advisories, licences, sources, duplicates (deny.toml)"
scripts/deny.sh

step "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --features app/ssr,server/tools -- -D warnings
# The serving binary without the demo, the stand-ins and the benchmarks must build on its own.
cargo clippy -p server --bin milepost -- -D warnings

step "unit, database, HTTP and embedded-Postgres tests"
cargo test --workspace --features app/ssr,server/tools

step "Schemathesis against the ingest API's OpenAPI document"
scripts/schemathesis.sh "$milepost"

step "building the site and the server with cargo-leptos"
# Last, so the binary the browser tests run is the one cargo-leptos built together with the
# wasm: a plain cargo build renders slightly different hydration markers in debug. With `tools`,
# so the same binary can load the browser tests' demo history.
cargo leptos build --bin-features tools

step "browser tests (Playwright, headless Chromium)"
"$milepost" demo --orders 400 --days 30 >/dev/null
(cd end2end && E2E_DATABASE_URL="$DATABASE_URL" MILEPOST_BIN="$milepost" npx playwright test)

step "the release directory (scripts/release.sh, what the Dockerfile runs), served and hydrated in the browser"
release_dir=$(realpath -m "$target_dir/dist/milepost")
scripts/release.sh "$release_dir"
(cd "$release_dir" && sha256sum --quiet -c SHA256SUMS)
(cd end2end && E2E_DATABASE_URL="$DATABASE_URL" MILEPOST_BIN="$release_dir/bin/milepost" \
  E2E_SITE_ROOT="$release_dir/site" E2E_PORT=3101 npx playwright test tests/hydration.spec.ts)

step "all tests passed"
