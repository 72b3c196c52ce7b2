#!/usr/bin/env bash
# cargo deny: advisories (RustSec), licences, sources, duplicates; the rules and every exception
# are in deny.toml. The advisory database comes, in this order, from: MILEPOST_ADVISORY_DB (a
# local clone or mirror of rustsec/advisory-db), GitHub, or the dated snapshot in
# scripts/advisory-db/ (when GitHub cannot be reached; the run says so). Never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
upstream="https://github.com/RustSec/advisory-db"
point_git_at() {
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="url.file://$1.insteadOf"
  export GIT_CONFIG_VALUE_0="$upstream"
}
if [ -n "${MILEPOST_ADVISORY_DB:-}" ]; then
  point_git_at "$(realpath "$MILEPOST_ADVISORY_DB")"
elif ! timeout 20 git ls-remote "$upstream" HEAD >/dev/null 2>&1; then
  snapshot=$(realpath -m "${CARGO_TARGET_DIR:-target}/advisory-db-snapshot")
  rm -rf "$snapshot" && mkdir -p "$snapshot"
  tar -xzf scripts/advisory-db/snapshot.tar.gz -C "$snapshot"
  git -C "$snapshot" init -q -b main
  git -C "$snapshot" add -A
  git -C "$snapshot" -c user.name=milepost -c user.email=ci@milepost.invalid commit -q -m snapshot
  echo "cargo deny: GitHub is out of reach; checking advisories against the snapshot in scripts/advisory-db/ ($(grep -o 'of 20[0-9-]*' scripts/advisory-db/README.md | head -1))" >&2
  point_git_at "$snapshot"
fi
# A fresh clone of the database each run: an old one could hide an advisory.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/advisory-db-*
cargo deny --log-level error check advisories bans licenses sources
