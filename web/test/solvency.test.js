// solvency.json (docs/PROTOCOL.md sections 11.6-11.8) checked in JavaScript with the CLI's
// verdict: cases made by web/test/make_solvency_fixtures.py, each with what `solvency verify
// PROOF --root --pubkey --solvency --reserves --json` said. The JS checks the user's proof as
// before, then reads solvency.json, its signature and reserves.csv, and checks them as the CLI
// does (reserves.js checkSolvency: the signature, every row of the reserves file against the
// signed root, then solvency.json against the root and the totals the JS found), with the same
// status, exact reason and, on success, the same `solvency` and `reserves` objects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parsePublicKey, parseRoot, parseSignature } from '../src/formats.js';
import { parseSolvencyProof, reservesDigest, solvencyJson } from '../src/reserves-proof.js';
import { checkSolvency, parseReserves, reservesJson } from '../src/reserves.js';
import { verifyFiles } from '../src/verify.js';
import { caseFiles, solvencyFixtures } from './helpers.js';

// Fixtures: SOLVENCY_WEB_FIXTURES/solvency when set (make web-test makes them with the others),
// else made now.
const fx = solvencyFixtures('solvency-fixtures');
const manifest = fx.dir ? JSON.parse(fs.readFileSync(path.join(fx.dir, 'manifest.json'), 'utf8')) : { cases: [] };
const STATUS = { 0: 'verified', 1: 'failed', 2: 'error' };

const oneLine = (message) => message.split(/\s+/).filter(Boolean).join(' ');

/** The CLI's order: files read first (bad input: error), the user's proof checked, then solvency. */
function check(dir) {
  const read = (name) => new Uint8Array(fs.readFileSync(path.join(dir, name)));
  const base = verifyFiles(caseFiles(dir), { userId: null });
  let proof;
  let signature;
  let reserves;
  const proofBytes = read('solvency.json');
  const reservesBytes = read('reserves.csv');
  try {
    proof = parseSolvencyProof(proofBytes);
    signature = parseSignature(read('solvency.json.sig'), 'solvency.json.sig');
    reserves = parseReserves(reservesBytes, 'reserves.csv');
  } catch (e) {
    if (e.name !== 'MalformedInputError') throw e;
    return { status: 'error', error: oneLine(e.message) };
  }
  if (base.status !== 'verified') return base;
  const root = parseRoot(read('root.json'));
  const key = parsePublicKey(read('signing.pub'), 'signing.pub');
  const sha = reservesDigest(reservesBytes);
  let report;
  try {
    report = checkSolvency(proofBytes, proof, signature, key, root, reserves, sha);
  } catch (e) {
    if (e.name === 'VerificationError') return { status: 'failed', error: oneLine(e.message) };
    if (e.name === 'MalformedInputError') return { status: 'error', error: oneLine(e.message) };
    throw e;
  }
  return { status: 'verified', error: null, solvency: solvencyJson(proof, root, report), reserves: reservesJson(report, sha) };
}

test('solvency fixtures made by the Python code', { skip: fx.skip }, () => {
  const names = manifest.cases.map((c) => c.name);
  assert.equal(manifest.cases.find((c) => c.name === 'honest').exit_code, 0);
  for (const n of [
    'signed-by-another-key',
    'other-epoch',
    'below-liabilities-claims-the-file',
    'resigned-proof-byte-changed',
    'reserves-row-signed-by-another-key',
    'reserves-replayed-from-another-epoch',
    'reserves-balance-edited',
    'reserves-row-malformed',
  ]) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(manifest.cases.filter((c) => c.exit_code !== 0).length, manifest.cases.length - 1);
});

for (const c of manifest.cases) {
  test(`solvency ${c.name}: same verdict as solvency verify --solvency (${STATUS[c.exit_code]})`, () => {
    const out = check(path.join(fx.dir, c.dir));
    assert.equal(out.status, STATUS[c.exit_code], out.error ?? '');
    assert.equal(out.status, c.cli.status);
    assert.equal(out.error, c.cli.error);
    if (c.exit_code === 0) {
      assert.deepEqual(out.solvency, c.cli.solvency);
      assert.deepEqual(out.reserves, c.cli.reserves);
    }
  });
}
