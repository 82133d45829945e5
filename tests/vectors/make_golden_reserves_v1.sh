#!/usr/bin/env bash
# How tests/vectors/golden-reserves-v1/ was made, once, by the code that introduced the
# reserves file (version 1) and solvency.json (version 1). Kept to document the files, not to
# be rerun: tests/test_golden_reserves.py checks that later versions still verify these bytes.
set -euo pipefail
OUT="${1:?usage: make_golden_reserves_v1.sh OUT_DIR}"
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
W="$(mktemp -d)"
solvency init --dir "$W/keys"
solvency build "$HERE/examples/ledger.csv" --epoch golden-reserves-2026-01 \
    --assets-config "$HERE/examples/assets.json" --keys "$W/keys" --out "$W/epoch" --quiet
solvency prove "$W/epoch" --user alice --out "$W/alice.json" --keys "$W/keys"
python "$HERE/examples/make_reserves.py" "$W/epoch/public/root.json" --out-dir "$W"
solvency reserves prove "$W/epoch" --reserves "$W/reserves.csv" --keys "$W/keys" \
    --out "$W/solvency.json" --min-ratio 101
mkdir -p "$OUT"
cp "$W/epoch/public/root.json" "$W/epoch/public/root.json.sig" "$W/keys/signing.pub" "$OUT/"
cp "$W/epoch/private/liabilities.json" "$W/alice.json" "$OUT/"
cp "$W/reserves.csv" "$W/balances.csv" "$W/solvency.json" "$W/solvency.json.sig" "$OUT/"
