#!/usr/bin/env bash
# Schemathesis against the ingest API's OpenAPI document, every check on: zero 5xx, zero answers
# that break the document. Run by scripts/test.sh with DATABASE_URL naming the test cluster; uses
# a database of its own there and the milepost binary given as $1.
set -euo pipefail
cd "$(dirname "$0")/.."
milepost=$1
port=${SCHEMATHESIS_PORT:-3210}
examples=${SCHEMATHESIS_EXAMPLES:-100}
export DATABASE_URL="${DATABASE_URL%/*}/milepost_schemathesis"
cargo sqlx database drop -y >/dev/null 2>&1 || true
cargo sqlx database create
"$milepost" migrate
"$milepost" connector add --name erp --kind erp --format canonical >/dev/null
"$milepost" connector add --name edi --kind wms --format x12 --time-zone America/Los_Angeles >/dev/null
key=$("$milepost" apikey create --connector erp --name schemathesis | grep -o 'mpk_[A-Za-z0-9_-]*' | head -1)

# Many unauthenticated requests come from this one address on purpose: the refusal allowance is
# lifted for the run (it has tests of its own), so every request reaches the code under test.
MILEPOST_API_REFUSALS_PER_MINUTE=1000000 MILEPOST_LISTEN_ADDR=127.0.0.1:$port MILEPOST_LOG=warn \
  "$milepost" serve --no-workers >target/schemathesis-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/readyz', timeout=2)" \
    >/dev/null 2>&1 && break
  sleep 1
done

SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/schemathesis \
  .tools/schemathesis/bin/st --config-file scripts/schemathesis/schemathesis.toml \
  run "http://127.0.0.1:$port/api/v1/openapi.json" \
  -H "Authorization: Bearer $key" --checks all --max-examples "$examples" \
  --report junit --report-dir target/schemathesis
