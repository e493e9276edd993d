#!/usr/bin/env bash
# The web UI's weight per screen and its time to interactive (bench/ui.mjs), against a
# `vbp serve` (release; VBP_PROFILE=dev for the debug build) with the demo on a database of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres postgres
source scripts/ui-server.sh
vbp_ensure_chromium
profile="${VBP_PROFILE:-release}"
cargo build --profile "$profile" --bin vbp --quiet
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")/vbp"
VBP_BIN="$bin" bash scripts/ui.sh
VBP_BIN="$bin" vbp_ui_server_start
RUNS="${RUNS:-5}" node bench/ui.mjs
