#!/usr/bin/env bash
# The web UI's weight per screen and its time to interactive (bench/ui.mjs), against a
# release `vbp serve` with the demo on a database of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres postgres
source scripts/ui-server.sh
vbp_ensure_chromium
cargo build --release --bin vbp --quiet
VBP_BIN=target/release/vbp bash scripts/ui.sh
VBP_BIN=target/release/vbp vbp_ui_server_start
RUNS="${RUNS:-5}" node bench/ui.mjs
