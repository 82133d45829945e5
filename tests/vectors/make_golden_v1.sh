#!/usr/bin/env bash
# How tests/vectors/golden-v1/ was made, once, by solvency 0.1.0 (the code of commit 2391ba5,
# before any format change). It is kept to document the files, not to be rerun: the point
# of a golden epoch is that its bytes never change. tests/test_golden.py checks that every
# later version still verifies them.
set -euo pipefail
OUT="${1:?usage: make_golden_v1.sh OUT_DIR}"
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
W="$(mktemp -d)"
solvency init --dir "$W/keys"
solvency build "$HERE/examples/ledger.csv" --epoch golden-2026-01 \
    --assets-config "$HERE/examples/assets.json" --keys "$W/keys" --out "$W/epoch" --quiet
solvency prove "$W/epoch" --all --out "$W/proofs" --keys "$W/keys"
solvency export-tree "$W/epoch" --out "$W/tree.sqlite"
mkdir -p "$OUT/proofs"
cp "$W/epoch/public/root.json" "$W/epoch/public/root.json.sig" "$W/keys/signing.pub" "$OUT/"
cp "$W/epoch/private/liabilities.json" "$W/tree.sqlite" "$OUT/"
for u in alice bob carol; do cp "$W/proofs/$u.json" "$OUT/proofs/"; done
