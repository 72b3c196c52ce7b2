#!/usr/bin/env bash
# `make run` offers the demo history once per data directory: accounts, one user per role and
# 20,000 orders fed through the ingest pipeline. MILEPOST_DEMO=yes or no answers without asking.
set -euo pipefail
cd "$(dirname "$0")/.."

marker="${MILEPOST_DATA_DIR:-.milepost}/demo-offered"
answer="${MILEPOST_DEMO:-}"
if [ -z "$answer" ]; then
  if [ -e "$marker" ] || [ ! -t 0 ]; then exit 0; fi
  read -r -p "Load the demo history (20,000 orders over 90 days; a release build and a few minutes, once)? [y/N] " answer
fi
mkdir -p "$(dirname "$marker")" && touch "$marker"
case "$answer" in
  y|Y|yes|YES) make --no-print-directory demo DEMO_FLAGS=--if-empty ;;
  *) echo "Skipped. Load it any time with: make demo" ;;
esac
