#!/usr/bin/env bash
# `make release`: builds the release server and site and assembles them into one directory
# (default dist/milepost) that runs anywhere with the same libc, with nothing else installed:
#
#   bin/milepost        the server (serve, worker, migrate and the operator commands)
#   site/               the site root: pkg/ (wasm, js, css) and public assets
#   migrations/         the schema migrations (also embedded in the binary; here to read and review)
#   milepost.service    systemd units (web with workers; a worker-only unit for scale-out)
#   milepost-worker.service
#   milepost.env        the production profile's settings, to fill in
#   VERSION, SHA256SUMS
#
# The wasm is optimised by wasm-opt from npm's binaryen@132 (Debian's breaks hydration; see
# docs/DEPLOYMENT.md). The Dockerfile (scripts/deploy/Dockerfile) runs this same script, and
# `make test` runs it and serves the result in the browser, so what ships is what is tested.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/milepost}
scripts/ensure-tools.sh --release
export PATH="$PWD/.tools/binaryen/node_modules/.bin:$PATH"
export SQLX_OFFLINE=true LEPTOS_OUTPUT_NAME=milepost
target=${CARGO_TARGET_DIR:-target}

cargo leptos build --release

rm -rf "$out"
mkdir -p "$out/bin"
cp "$target/release/milepost" "$out/bin/milepost"
# cargo-leptos writes the site to the workspace's site-root (target/site), whatever the target dir.
cp -r target/site "$out/site"
cp -r migrations "$out/migrations"
cp scripts/deploy/milepost.service scripts/deploy/milepost-worker.service scripts/deploy/milepost.env "$out/"
git describe --always --dirty 2>/dev/null > "$out/VERSION" || echo unknown > "$out/VERSION"
(cd "$out" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)
echo "release $(cat "$out/VERSION") in $out: $(du -sh "$out" | cut -f1), wasm $(du -h "$out"/site/pkg/*.wasm | cut -f1)"
