#!/usr/bin/env bash
# The margin flow (docs/PROTOCOL.md section 10) on examples/margin-ledger.csv: an exchange
# whose users borrow, each user's check of their equity, debt and collateral proof, the
# auditor's totals of equity, debt and net liability, and two refusals.
#
#   examples/margin-flow.sh [WORKDIR]       (default: a new temporary folder)
#
# Needs the `solvency` command on PATH (or SOLVENCY=/path/to/solvency) and python3 (or
# PYTHON=...) for the editing steps. Exits non-zero if any step does not turn out as it should.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${1:-$(mktemp -d -t solvency-margin.XXXXXX)}"
SOLVENCY="${SOLVENCY:-solvency}"
PYTHON="${PYTHON:-python3}"
EPOCH=2026-01-margin
mkdir -p "$WORK"
cd "$WORK"
echo "== working in $WORK"

expect() {  # expect CODE command...: run it, require that exit code
    local want=$1
    shift
    set +e
    "$@"
    local got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        echo "expected exit $want, got $got: $*" >&2
        exit 1
    fi
}

echo "== exchange: keys, build (margin: prices and haircuts in the signed root), proofs"
"$SOLVENCY" init --dir keys
"$SOLVENCY" build "$HERE/margin-ledger.csv" --epoch "$EPOCH" \
    --assets-config "$HERE/margin-assets.json" --keys keys --out "epoch-$EPOCH"
"$SOLVENCY" prove "epoch-$EPOCH" --all --out proofs --keys keys

echo "== user alice (owes 40000 USDT): equity, debt, and her collateral proof"
"$SOLVENCY" verify proofs/alice.json --root "epoch-$EPOCH/public/root.json" \
    --pubkey keys/signing.pub --user alice

echo "== auditor: total equity, total debt, net liability; every leaf's collateral proof"
"$SOLVENCY" export-tree "epoch-$EPOCH" --out auditor-tree.sqlite
"$SOLVENCY" audit "epoch-$EPOCH/public/root.json" \
    --liabilities "epoch-$EPOCH/private/liabilities.json" \
    --tree auditor-tree.sqlite --pubkey keys/signing.pub

echo "== a cheating exchange shows carol a lower BTC price than the signed one: must fail"
"$PYTHON" - proofs/carol.json carol-cheap-btc.json <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["margin"]["assets"][0]["price"] = "50000"
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"), indent=2, sort_keys=True)
PY
expect 1 "$SOLVENCY" verify carol-cheap-btc.json --root "epoch-$EPOCH/public/root.json" \
    --pubkey keys/signing.pub

echo "== a ledger where frank owes one unit more than his collateral covers: refused"
sed 's/^frank,1,0,-57000$/frank,1,0,-57000.000001/' "$HERE/margin-ledger.csv" > short.csv
expect 2 "$SOLVENCY" build short.csv --epoch "$EPOCH" \
    --assets-config "$HERE/margin-assets.json" --keys keys --out refused
if [ -e refused ]; then
    echo "the refused build left files behind" >&2
    exit 1
fi
echo "== done: every step turned out as it should"
