#!/usr/bin/env bash
# The whole proof-of-liabilities flow on examples/ledger.csv: exchange, user, auditor.
#
#   examples/flow.sh [WORKDIR]       (default: a new temporary folder)
#
# Needs the `solvency` command on PATH (or SOLVENCY=/path/to/solvency) and python3 (or
# PYTHON=...) for the tampering step. Exits non-zero if any step does not turn out as it should.
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
