#!/usr/bin/env bash
# Runs the whole test suite, as CI does: formatting, lints, then every unit, property
# and end-to-end test against a real PostgreSQL (started if none answers), then the web UI's
# build and its browser tests (Node 20.19+ and npm; Debian's chromium, installed if missing), and
# the operations drills (scripts/drills.sh; Debian's haproxy, installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres postgres
export VBP_TEST_DATABASE_URL="$DATABASE_URL"

# a real SMTP server for the mail tests: aiosmtpd from PyPI, in a virtualenv of the checkout
if [ ! -x .vbp/venv/bin/python ] || ! .vbp/venv/bin/python -c 'import aiosmtpd' 2>/dev/null; then
  echo "== installing aiosmtpd (test SMTP server) into .vbp/venv" >&2
  command -v python3 >/dev/null || { echo "vbp: python3 is needed for the test SMTP server (apt-get install python3 python3-venv)" >&2; exit 1; }
  rm -rf .vbp/venv
  python3 -m venv .vbp/venv || { echo "vbp: cannot create a virtualenv (apt-get install python3-venv)" >&2; exit 1; }
  .vbp/venv/bin/pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi
export VBP_TEST_PYTHON="$PWD/.vbp/venv/bin/python"
# the official OCDS 1.1 schema and a JSON Schema validator, for the public-record test
bash scripts/ocds-schema.sh
export VBP_OCDS_SCHEMA_DIR="$PWD/.vbp/ocds-schema"

echo "== rustfmt" >&2
cargo fmt --all -- --check

echo "== clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== build" >&2
# the end-to-end tests run the vbp binary too
cargo build --workspace --bins --quiet

echo "== web UI: npm ci, client generated from the OpenAPI document, type check, bundle" >&2
bash scripts/ui.sh

echo "== schemathesis: the served OpenAPI document against the server" >&2
# every operation fuzzed from its schema: no 5xx, and no status the document does not list
bash scripts/schemathesis.sh

echo "== tests" >&2
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

echo "== drills: crash during a bid rush and a settlement batch, read replica, point-in-time restore" >&2
# a PostgreSQL cluster of its own with a streaming replica, two vbp serve behind HAProxy
bash scripts/drills.sh

echo "== web UI: browser tests (Chromium) against vbp serve with the demo" >&2
VBP_UI_PREBUILT=1 bash scripts/ui-e2e.sh
