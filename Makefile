# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
export SQLX_OFFLINE := true
# cargo-leptos sets this when it builds; plain `cargo build/test` get the same value, so every
# binary asks the browser for the same wasm file name the site has.
export LEPTOS_OUTPUT_NAME := milepost

.PHONY: run test release demo bench bench-sla bench-retention tools sqlx-prepare fmt

## Install what is missing, offer the demo history once, then build and serve http://127.0.0.1:3000
## (embedded Postgres unless DATABASE_URL is set).
run: tools
	scripts/offer-demo.sh
	cargo leptos serve

## Every test: unit, database, HTTP, embedded Postgres, browser.
test:
	scripts/test.sh

## The release build in one directory (default dist/milepost): binary, site, migrations, systemd
## units and the production settings to fill in. RELEASE_DIR=... to put it elsewhere.
release:
	scripts/release.sh $(RELEASE_DIR)

RELEASE_BIN := $(or $(CARGO_TARGET_DIR),target)/release/milepost
DEMO_ORDERS ?= 20000
DEMO_FLAGS ?=

## Demo accounts, one user per role (password: milepost-demo), connectors and DEMO_ORDERS orders
## over 90 days fed through the ingest pipeline. Uses DATABASE_URL or the embedded Postgres.
demo: tools
	cargo build --release -p server --features tools
	$(RELEASE_BIN) demo --orders $(DEMO_ORDERS) $(DEMO_FLAGS)

## The ingest benchmark (release build, scratch database): single events, batches, raw inserts.
bench: tools
	cargo build --release -p server --features tools
	MILEPOST_LOG=warn $(RELEASE_BIN) bench ingest

## The SLA benchmark (release build, scratch database, about 15 minutes): a million orders with
## ten million events, then the dashboard, exception queue and month report render times against
## their SQL, and a streamed CSV export.
bench-sla: tools
	cargo build --release -p server --features tools
	MILEPOST_LOG=error $(RELEASE_BIN) bench sla

## The retention soak (release build, scratch database, a few minutes): 30 months of traffic,
## the retention policy after each, table sizes.
bench-retention: tools
	cargo build --release -p server --features tools
	MILEPOST_LOG=error $(RELEASE_BIN) bench retention

tools:
	scripts/ensure-tools.sh

## Regenerate .sqlx after changing a query (needs a migrated database in DATABASE_URL).
sqlx-prepare:
	SQLX_OFFLINE=false cargo sqlx prepare --workspace -- --all-targets --features app/ssr,server/tools

fmt:
	cargo fmt --all
