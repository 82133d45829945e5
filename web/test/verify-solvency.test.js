// The page's check with the proof of reserves: verifyFiles given solvency.json, its signature and
// reserves.csv beside the four files (the CLI's `solvency verify PROOF --root --pubkey
// --solvency solvency.json --reserves reserves.csv`). For every case of
// make_solvency_fixtures.py (the honest set; solvency.json edited, re-signed or not, signed by
// another key, of another epoch; reserves.csv edited so its digest differs, a row signed by
// another key, a row malformed, another epoch's file) the outcome has the CLI's status, exact
// reason and, verified, the same `reserves` and `solvency` objects and verdict line; the three
// files go together with the CLI's wording.
//
// Fixtures: SOLVENCY_WEB_FIXTURES/solvency (make_fixtures.py writes it) when set, else made now.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { verifyFiles } from '../src/verify.js';
import { REPO, caseFiles, readFile, solvencyFixtures } from './helpers.js';

const PYTHON = process.env.SOLVENCY_PYTHON || path.join(REPO, '.venv', 'bin', 'python');


const fx = solvencyFixtures('verify-solvency-fixtures');
const manifest = fx.dir ? JSON.parse(fs.readFileSync(path.join(fx.dir, 'manifest.json'), 'utf8')) : { cases: [] };
const STATUS = { 0: 'verified', 1: 'failed', 2: 'error' };

/** The seven files of a solvency case folder, named as the CLI was given them. */
function solvencyFiles(dir) {
  return {
    ...caseFiles(dir),
    solvency: readFile(path.join(dir, 'solvency.json')),
    solvencySig: readFile(path.join(dir, 'solvency.json.sig')),
    reserves: readFile(path.join(dir, 'reserves.csv')),
  };
}

/** `solvency verify` run now in `dir` with `args`: (exit code, stdout). */
function cli(dir, args) {
  const solvency = path.join(path.dirname(PYTHON), 'solvency');
  try {
    return { code: 0, stdout: execFileSync(solvency, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { code: e.status, stdout: e.stdout };
  }
}
const BASE = ['verify', 'proof.json', '--root', 'root.json', '--pubkey', 'signing.pub'];

test('solvency fixtures: an honest set and each kind of tampering', { skip: fx.skip }, () => {
  const names = manifest.cases.map((c) => c.name);
  for (const n of ['honest', 'edited-not-resigned', 'signed-by-another-key', 'reserves-balance-edited', 'other-epoch']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(manifest.cases.some((c) => c.exit_code === 2));
});

for (const c of manifest.cases) {
  test(`verifyFiles with solvency ${c.name}: what solvency verify --solvency --reserves said (${STATUS[c.exit_code]})`, () => {
    const out = verifyFiles(solvencyFiles(path.join(fx.dir, c.dir)));
    assert.equal(out.status, STATUS[c.exit_code], out.error ?? '');
    assert.equal(out.status, c.cli.status);
    assert.equal(out.error, c.cli.error);
    assert.deepEqual(out.reserves, c.cli.reserves);
    assert.deepEqual(out.solvency, c.cli.solvency);
    if (c.exit_code === 2) {
      // The page names the file at fault: the reserves file or solvency.json.
      assert.equal(out.file, c.name.startsWith('reserves-') ? 'reserves' : 'solvency', out.error);
    }
    if (c.exit_code === 0) {
      assert.deepEqual(out.balances, c.cli.balances);
      assert.equal(out.key_fingerprint, c.cli.key_fingerprint);
      assert.ok(out.verdict.endsWith('; reserves cover at least 100% of the liabilities of every asset (BTC, ETH, USDT)'), out.verdict);
    }
  });
}

const honest = manifest.cases.find((c) => c.name === 'honest');
const live = !fx.skip && fs.existsSync(PYTHON) && honest ? false : 'needs the Python CLI and the fixtures';

test('the verdict line is the one solvency verify prints', { skip: live }, () => {
  const dir = path.join(fx.dir, honest.dir);
  const r = cli(dir, [...BASE, '--solvency', 'solvency.json', '--reserves', 'reserves.csv']);
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(verifyFiles(solvencyFiles(dir)).verdict, lines.at(-1));
  // The per-asset lines the page shows in its coverage column.
  const shown = honest.cli.reserves.assets.map(
    (a) => `  ${a.symbol.padEnd(8)}   reserves ${a.proven} cover at least ${honest.cli.solvency.min_ratio_percent}% of the liabilities`,
  );
  for (const line of shown) assert.ok(lines.includes(line), line);
});

test('the three files go together, in the CLI words', { skip: live }, () => {
  const dir = path.join(fx.dir, honest.dir);
  const all = solvencyFiles(dir);
  const without = (...keys) => Object.fromEntries(Object.entries(all).filter(([k]) => !keys.includes(k)));
  const json = (args) => {
    const r = cli(dir, [...args, '--json']);
    assert.equal(r.code, 2);
    return JSON.parse(r.stdout).error;
  };
  const together = json([...BASE, '--solvency', 'solvency.json']);
  assert.equal(json([...BASE, '--reserves', 'reserves.csv']), together);
  for (const missing of [['reserves'], ['solvency'], ['solvency', 'solvencySig'], ['solvency', 'reserves']]) {
    const out = verifyFiles(without(...missing));
    assert.equal(out.status, 'error');
    assert.equal(out.error, together, missing.join());
  }
  // solvency.json without its .sig: the CLI looks for it beside solvency.json.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'solvency-nosig-'));
  try {
    for (const n of ['proof.json', 'root.json', 'root.json.sig', 'signing.pub', 'solvency.json', 'reserves.csv']) {
      fs.copyFileSync(path.join(dir, n), path.join(tmp, n));
    }
    const r = cli(tmp, [...BASE, '--solvency', 'solvency.json', '--reserves', 'reserves.csv', '--json']);
    assert.equal(r.code, 2);
    const out = verifyFiles(without('solvencySig'));
    assert.equal(out.status, 'error');
    assert.equal(out.error, JSON.parse(r.stdout).error);
    assert.equal(out.file, 'solvencySig');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('without the reserves files the outcome has no reserves, as before', { skip: live }, () => {
  const out = verifyFiles(caseFiles(path.join(fx.dir, honest.dir)));
  assert.equal(out.status, 'verified');
  assert.equal(out.reserves, null);
  assert.equal(out.solvency, null);
  assert.ok(!out.verdict.includes('reserves'), out.verdict);
});
