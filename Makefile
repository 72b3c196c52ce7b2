# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
export SQLX_OFFLINE := true
# cargo-leptos sets this when it builds; plain `cargo build/test` get the same value, so every
# binary asks the browser for the same wasm file name the site has.
export LEPTOS_OUTPUT_NAME := milepost

.PHONY: run test demo tools sqlx-prepare fmt

## Install what is missing, then build and serve http://127.0.0.1:3000 (embedded Postgres unless DATABASE_URL is set).
run: tools
	cargo leptos serve

## Every test: unit, database, HTTP, embedded Postgres, browser.
test:
	scripts/test.sh

MILEPOST := $(or $(CARGO_TARGET_DIR),target)/debug/milepost

## Demo account and one user per role (password: milepost-demo). Uses DATABASE_URL or the embedded Postgres.
demo: tools
	cargo leptos build
	$(MILEPOST) demo

tools:
	scripts/ensure-tools.sh

## Regenerate .sqlx after changing a query (needs a migrated database in DATABASE_URL).
sqlx-prepare:
	SQLX_OFFLINE=false cargo sqlx prepare --workspace

fmt:
	cargo fmt --all
