// The solvency relation (docs/PROTOCOL.md section 11.6) in JavaScript against the Python code:
// proofs made by circuits/coverage.py (web/test/make_coverage_fixtures.py) verify here exactly
// when they verify there, and every tampered statement or proof is refused with the same text.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hexToBytes } from '../src/bytes.js';
import { verifyCover } from '../src/coverage.js';
import { REPO, WEB } from './helpers.js';

function fixtures() {
  const python = process.env.SOLVENCY_PYTHON || path.join(REPO, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { skip: `no Python with solvency installed (${python}); run make, or set SOLVENCY_PYTHON` };
  const out = execFileSync(python, [path.join(WEB, 'test', 'make_coverage_fixtures.py')], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  return { cases: JSON.parse(out.toString('utf8')).cases };
}

const fx = fixtures();
const cases = fx.cases ?? [];

function jsVerdict(c) {
  const s = {
    epoch: c.epoch,
    rootHash: hexToBytes(c.root_hash),
    assetIndex: c.asset_index,
    symbol: c.symbol,
    reserves: BigInt(c.reserves),
    ratioPercent: BigInt(c.ratio_percent),
    C_a: hexToBytes(c.C_a),
  };
  try {
    verifyCover(s, hexToBytes(c.C_hi), hexToBytes(c.proof));
    return 'ok';
  } catch (e) {
    if (e.name !== 'VerificationError') throw e;
    return e.message;
  }
}

test('coverage fixtures made by the Python code', { skip: fx.skip }, () => {
  assert.ok(cases.filter((c) => c.python === 'ok').length >= 7);
  const tampered = cases.filter((c) => c.name.startsWith('tamper-'));
  assert.ok(tampered.length >= 25);
  for (const c of tampered) assert.notEqual(c.python, 'ok', c.name);
});

for (const c of cases) {
  test(`coverage ${c.name}: same verdict as circuits.coverage.verify_cover`, () => {
    assert.equal(jsVerdict(c), c.python);
  });
}
