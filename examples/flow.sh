#!/usr/bin/env bash
# The whole flow on examples/ledger.csv: exchange, user, auditor, then proof of reserves
# (examples/make_reserves.py signs a reserves file with test keys) and the refusals.
#
#   examples/flow.sh [WORKDIR]       (default: a new temporary folder)
#
# Needs the `solvency` command on PATH (or SOLVENCY=/path/to/solvency) and a python3 that
# imports solvency (or PYTHON=...) for make_reserves.py and the tampering step. Exits non-zero if any step does not turn out as it should.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${1:-$(mktemp -d -t solvency-flow.XXXXXX)}"
SOLVENCY="${SOLVENCY:-solvency}"
PYTHON="${PYTHON:-python3}"
EPOCH=2026-01
mkdir -p "$WORK"
cd "$WORK"
echo "== working in $WORK"

echo "== exchange: keys, build, proofs"
"$SOLVENCY" init --dir keys
"$SOLVENCY" build "$HERE/ledger.csv" --epoch "$EPOCH" --assets-config "$HERE/assets.json" \
    --keys keys --out "epoch-$EPOCH"
"$SOLVENCY" prove "epoch-$EPOCH" --all --out proofs --keys keys
# What the exchange publishes: public/root.json, public/root.json.sig and keys/signing.pub.

echo "== user alice: checks her own proof against the signed root"
"$SOLVENCY" verify proofs/alice.json --root "epoch-$EPOCH/public/root.json" \
    --pubkey keys/signing.pub --user alice

echo "== auditor: gets the tree copy and the liabilities, checks everything"
"$SOLVENCY" export-tree "epoch-$EPOCH" --out auditor-tree.sqlite
"$SOLVENCY" audit "epoch-$EPOCH/public/root.json" \
    --liabilities "epoch-$EPOCH/private/liabilities.json" \
    --tree auditor-tree.sqlite --pubkey keys/signing.pub

echo "== exchange: reserves file (test keys, made by make_reserves.py) and the solvency proof"
"$PYTHON" "$HERE/make_reserves.py" "epoch-$EPOCH/public/root.json" --out-dir reserves
"$SOLVENCY" reserves verify reserves/reserves.csv --root "epoch-$EPOCH/public/root.json" \
    --pubkey keys/signing.pub --balances reserves/balances.csv
"$SOLVENCY" reserves prove "epoch-$EPOCH" --reserves reserves/reserves.csv --keys keys \
    --out solvency.json
# Published too: reserves/reserves.csv, solvency.json and solvency.json.sig.

echo "== user alice: her balances are included, and reserves cover liabilities"
"$SOLVENCY" verify proofs/alice.json --root "epoch-$EPOCH/public/root.json" \
    --pubkey keys/signing.pub --solvency solvency.json --reserves reserves/reserves.csv

echo "== auditor: the same, with the opening: each reserve ratio"
"$SOLVENCY" audit "epoch-$EPOCH/public/root.json" \
    --liabilities "epoch-$EPOCH/private/liabilities.json" --pubkey keys/signing.pub \
    --solvency solvency.json --reserves reserves/reserves.csv --balances reserves/balances.csv

echo "== an exchange holding 90% of its liabilities cannot make a solvency proof: must fail"
"$PYTHON" "$HERE/make_reserves.py" "epoch-$EPOCH/public/root.json" --out-dir short --scale 90
set +e
"$SOLVENCY" reserves prove "epoch-$EPOCH" --reserves short/reserves.csv --keys keys \
    --out short/solvency.json
status=$?
set -e
if [ "$status" -ne 1 ] || [ -e short/solvency.json ]; then
    echo "expected exit 1 and no solvency.json for reserves below liabilities, got $status" >&2
    exit 1
fi

echo "== a cheating exchange lowers alice's BTC balance in her proof file: must fail"
"$PYTHON" - proofs/alice.json tampered.json <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["balances"][0]["units"] = "100000000"
doc["balances"][0]["amount"] = "1.00000000"
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"), indent=2, sort_keys=True)
PY
set +e
"$SOLVENCY" verify tampered.json --root "epoch-$EPOCH/public/root.json" --pubkey keys/signing.pub \
    --user alice
status=$?
set -e
if [ "$status" -ne 1 ]; then
    echo "expected exit 1 for the tampered proof, got $status" >&2
    exit 1
fi
echo "== done: every step turned out as it should"
