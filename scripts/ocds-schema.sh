#!/usr/bin/env bash
# Installs what the OCDS test validates with into .vbp/ (idempotent):
#   * jsonschema with the date-time and uri format checkers, into the test virtualenv;
#   * the official OCDS 1.1.5 release-package and release schemas, taken from two pinned
#     PyPI source packages that carry them verbatim (checked by SHA-256 below): ocdskit's
#     test fixture (release-package-schema.json) and ocdsmerge's recorded download of
#     https://standard.open-contracting.org/schema/1__1__5/release-schema.json.
# Nothing third-party is committed; everything comes from the registry at test time.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.vbp/venv/bin/python
dir=.vbp/ocds-schema
if [ ! -x "$py" ]; then
  command -v python3 >/dev/null || { echo "vbp: python3 is needed for the OCDS validator (apt-get install python3 python3-venv)" >&2; exit 1; }
  python3 -m venv .vbp/venv || { echo "vbp: cannot create a virtualenv (apt-get install python3-venv)" >&2; exit 1; }
fi
if [ -s "$dir/release-package-schema.json" ] && [ -s "$dir/release-schema.json" ] \
   && "$py" -c 'import jsonschema, rfc3339_validator, rfc3987' 2>/dev/null; then
  exit 0
fi
echo "== installing the OCDS 1.1.5 schema and jsonschema into .vbp/" >&2
"$py" -m pip install --quiet --disable-pip-version-check \
  'jsonschema==4.26.0' 'rfc3339-validator==0.1.4' 'rfc3987==1.3.8' 'pyyaml==6.0.3'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m pip download --quiet --disable-pip-version-check --no-deps \
  --no-binary ocdskit,ocdsmerge -d "$tmp" 'ocdskit==1.7.0' 'ocdsmerge==0.8.0'
(cd "$tmp" && sha256sum -c --quiet - <<'SUMS'
02a7d6182bbd7672cfd26cdbcae9726fbacdb917203d2bd5a726caa30040ff76  ocdskit-1.7.0.tar.gz
a9f6d8f1e854b79d07d378f3effaaefcc2687efd52e9edacd89b6b4a79538160  ocdsmerge-0.8.0.tar.gz
SUMS
)
mkdir -p "$dir"
tar -xzf "$tmp/ocdskit-1.7.0.tar.gz" -O ocdskit-1.7.0/tests/fixtures/release-package-schema.json \
  > "$tmp/release-package-schema.json"
tar -xzf "$tmp/ocdsmerge-0.8.0.tar.gz" -O ocdsmerge-0.8.0/tests/cassettes/test_warn.yaml > "$tmp/test_warn.yaml"
"$py" - "$tmp/test_warn.yaml" "$tmp/release-schema.json" <<'PY'
import sys, yaml
url = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
body = next(i["response"]["body"]["string"] for i in yaml.safe_load(open(sys.argv[1]))["interactions"]
            if i["request"]["uri"] == url and i["response"]["status"]["code"] == 200)
open(sys.argv[2], "w", encoding="utf-8").write(body)
PY
(cd "$tmp" && sha256sum -c --quiet - <<'SUMS'
44a9d8d66001af8e44112b45f5cc7923ee2f40f4790e816f90af1782c5885ee5  release-package-schema.json
bf701ac26180756de4c4ada8a94a86a24174f3025345a8b99fda9927de896f80  release-schema.json
SUMS
)
mv "$tmp/release-package-schema.json" "$tmp/release-schema.json" "$dir/"
