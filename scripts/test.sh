#!/usr/bin/env bash
# Runs the whole test suite, as CI does: formatting, lints, then every unit, property
# and end-to-end test against a real PostgreSQL (started if none answers).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres postgres
export VBP_TEST_DATABASE_URL="$DATABASE_URL"

echo "== rustfmt" >&2
cargo fmt --all -- --check

echo "== clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== build" >&2
# the end-to-end tests run the vbp binary too
cargo build --workspace --bins --quiet

echo "== tests" >&2
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
