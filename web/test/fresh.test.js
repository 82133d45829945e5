// Proofs made by the Python code, verified by the JavaScript verifier with the CLI's verdict:
// fresh 3-asset epochs of every height from 1 to 32, every user of a `solvency demo --keep`
// run, the golden epoch, and every tamper class of tests/test_cli_flow.py (plus malformed
// files), each refused with the CLI's exact reason.
//
// The fixtures come from web/test/make_fixtures.py: from SOLVENCY_WEB_FIXTURES (a folder it
// wrote) when set, else made now with SOLVENCY_PYTHON or ../.venv/bin/python (`make` creates it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { verifyFiles } from '../src/verify.js';
import { REPO, WEB, caseFiles } from './helpers.js';

function fixtures() {
  if (process.env.SOLVENCY_WEB_FIXTURES) return { dir: process.env.SOLVENCY_WEB_FIXTURES };
  const python = process.env.SOLVENCY_PYTHON || path.join(REPO, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { skip: `no Python with solvency installed (${python}); run make, or set SOLVENCY_PYTHON` };
  const dir = path.join(WEB, 'test-artifacts', 'fixtures');
  execFileSync(python, [path.join(WEB, 'test', 'make_fixtures.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir };
}

const fx = fixtures();
const manifest = fx.dir ? JSON.parse(fs.readFileSync(path.join(fx.dir, 'manifest.json'), 'utf8')) : { cases: [] };

test('fixtures made by the Python code', { skip: fx.skip }, () => {
  const names = manifest.cases.map((c) => c.name);
  for (let h = 1; h <= 32; h++) assert.ok(names.some((n) => n.startsWith(`height-${h}-`)), `height ${h}`);
  assert.ok(names.some((n) => n.startsWith('demo-')));
  assert.ok(names.some((n) => n.startsWith('golden-')));
  assert.ok(names.some((n) => n.startsWith('golden-margin-')));
  assert.ok(names.some((n) => n.startsWith('margin-')));
  assert.ok(names.filter((n) => n.startsWith('tamper-')).length >= 40);
});

const STATUS = { 0: 'verified', 1: 'failed', 2: 'error' };

for (const c of manifest.cases) {
  test(`${c.name}: same verdict as solvency verify (${STATUS[c.exit_code]})`, () => {
    const out = verifyFiles(caseFiles(path.join(fx.dir, c.dir)), { userId: c.user ?? null });
    assert.equal(out.status, STATUS[c.exit_code], out.error ?? '');
    assert.equal(out.status, c.cli.status);
    assert.equal(out.error, c.cli.error);
    if (c.exit_code !== 2) assert.deepEqual(out.margin, c.cli.margin);
    if (c.exit_code === 0) {
      assert.equal(out.user_id, c.cli.user_id);
      assert.equal(out.epoch, c.cli.epoch);
      assert.equal(out.root_hash, c.cli.root_hash);
      assert.deepEqual(out.balances, c.cli.balances);
      assert.equal(out.key_fingerprint, c.cli.key_fingerprint);
      assert.equal(out.user_checked, c.cli.user_checked);
      assert.equal(out.log_checked, c.cli.log_checked);
      assert.deepEqual(out.log, c.cli.log);
    }
  });
}
