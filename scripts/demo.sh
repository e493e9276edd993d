#!/usr/bin/env bash
# Runs the platform with the demo: database created and migrated, demo data loaded,
# API and UI served on $VBP_BIND (default 127.0.0.1:8080). Ctrl-C stops it.
#
#   VBP_DEMO_PASSWORD=...   password for every demo user (default: random, printed once)
#   VBP_PROFILE=release     build optimized (slower to build, faster to run)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres vbp

profile="${VBP_PROFILE:-dev}"
echo "vbp: building ($profile)..." >&2
cargo build --profile "$profile" --bin vbp --quiet
target_dir="target/$([ "$profile" = dev ] && echo debug || echo "$profile")"

# the web UI (npm ci, client generated from this binary's OpenAPI document, vite build)
if command -v npm >/dev/null; then
  VBP_BIN="$target_dir/vbp" bash scripts/ui.sh
else
  echo "vbp: npm not found: the API runs, the UI is not built (install Node.js 20.19+ and npm)" >&2
fi

# a signing secret of this checkout's own, unless one is given
if [ -z "${VBP_JWT_SECRET:-}" ] && [ -z "${VBP_JWT_SECRET_FILE:-}" ]; then
  mkdir -p .vbp
  if [ ! -s .vbp/jwt-secret ]; then
    (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > .vbp/jwt-secret)
  fi
  export VBP_JWT_SECRET_FILE="$PWD/.vbp/jwt-secret"
fi

# the master key (wraps opening-key shares) and the receipt-signing key of this checkout
mkdir -p .vbp
for key in master-key receipt-key; do
  if [ ! -s ".vbp/$key" ]; then (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > ".vbp/$key"); fi
done
[ -n "${VBP_MASTER_KEY:-}" ] || export VBP_MASTER_KEY_FILE="$PWD/.vbp/master-key"
[ -n "${VBP_RECEIPT_KEY:-}" ] || export VBP_RECEIPT_KEY_FILE="$PWD/.vbp/receipt-key"

# mail goes to files under .vbp/mail unless an SMTP server is given
if [ -z "${VBP_SMTP_URL:-}" ] && [ -z "${VBP_MAIL_DIR:-}" ]; then
  export VBP_MAIL_DIR="$PWD/.vbp/mail"
  echo "vbp: mail is written to $VBP_MAIL_DIR (set VBP_SMTP_URL to send it)" >&2
fi

if [ -n "${VBP_DEMO_PASSWORD:-}" ]; then
  "$target_dir/vbp" demo --password "$VBP_DEMO_PASSWORD"
else
  "$target_dir/vbp" demo
fi
echo
echo "vbp: serving on http://${VBP_BIND:-127.0.0.1:8080}/  (the UI; API docs: /api/docs/)" >&2
exec "$target_dir/vbp" serve
