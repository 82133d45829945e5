#!/usr/bin/env bash
# How tests/vectors/golden-margin-v2/ was made, once, by the release that introduced margin
# epochs (file version 2, docs/PROTOCOL.md section 10), from examples/margin-ledger.csv. It is
# kept to document the files, not to be rerun: the point of a golden epoch is that its bytes
# never change. tests/test_golden_margin.py checks that every later version still verifies
# them (and the browser verifier can test against the same bytes).
set -euo pipefail
OUT="${1:?usage: make_golden_margin_v2.sh OUT_DIR}"
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
W="$(mktemp -d)"
solvency init --dir "$W/keys"
solvency build "$HERE/examples/margin-ledger.csv" --epoch golden-margin-2026-01 \
    --assets-config "$HERE/examples/margin-assets.json" --keys "$W/keys" --out "$W/epoch" \
    --quiet --workers 1
solvency prove "$W/epoch" --all --out "$W/proofs" --keys "$W/keys"
solvency export-tree "$W/epoch" --out "$W/tree.sqlite"
mkdir -p "$OUT/proofs"
cp "$W/epoch/public/root.json" "$W/epoch/public/root.json.sig" "$W/keys/signing.pub" "$OUT/"
cp "$W/epoch/private/liabilities.json" "$W/tree.sqlite" "$OUT/"
for u in alice carol frank erin; do cp "$W/proofs/$u.json" "$OUT/proofs/"; done
