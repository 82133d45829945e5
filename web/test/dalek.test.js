// dalek-cryptography/bulletproofs' 16 deserialize_and_verify vectors verify, and every byte
// flip of every one of them is refused (as tests/test_dalek_vectors.py does in Python).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex } from '../src/bytes.js';
import { RangeProof, verifyBatch } from '../src/bulletproofs.js';
import { VerificationError } from '../src/errors.js';
import { B, B_BLINDING, Point } from '../src/group.js';
import { Transcript } from '../src/merlin.js';
import { dalekVectorsPath, loadDalekVectors } from './helpers.js';

const VECTORS = dalekVectorsPath();
const { present, DATA, CASES, verifyBytes, flip } = loadDalekVectors(VECTORS);

test('merlin matches the Rust crate test vector', () => {
  const t = new Transcript('test protocol');
  t.appendMessage('some label', 'some data');
  assert.equal(bytesToHex(t.challengeBytes('challenge', 32)), 'd5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615');
});

test("Pedersen B_blinding is dalek's default", () => {
  assert.equal(bytesToHex(B_BLINDING.toBytes()), '8c9240b456a9e6dc65c377a1048d745f94a08cdb7f44cbcd7b46f34048871134');
});

test('the dalek vectors are present (SOLVENCY_DALEK_VECTORS or ../shared/vectors)', { skip: !present && `not found at ${VECTORS}` }, () => {
  assert.equal(CASES.length, 16);
  const shapes = new Set(CASES.map((c) => `${c.bits}/${c.m}`));
  for (const bits of [8, 16, 32, 64]) for (const m of [1, 2, 4, 8]) assert.ok(shapes.has(`${bits}/${m}`));
});

for (const c of CASES) {
  test(`dalek vector ${c.bits}-bit m=${c.m} verifies`, () => verifyBytes(c.proof, c.V, c.bits));

  test(`dalek vector ${c.bits}-bit m=${c.m}: a wrong or shifted commitment is refused`, () => {
    for (let j = 0; j < c.m; j++) {
      const shifted = c.V.slice();
      shifted[j] = Point.fromBytes(c.V[j]).add(B).toBytes(); // a commitment to v_j + 1
      assert.throws(() => verifyBytes(c.proof, shifted, c.bits), VerificationError);
    }
    if (c.m >= 2) assert.throws(() => verifyBytes(c.proof, [c.V[1], c.V[0], ...c.V.slice(2)], c.bits), VerificationError);
  });
}

test('a batch of all 16 vectors verifies, and fails with any one proof tampered', { skip: !present }, () => {
  const items = (tamper) =>
    CASES.map((c, i) => ({
      proof: RangeProof.fromBytes(i === tamper ? flip(c.proof, 128, 0x01) : c.proof), // low byte of t_x
      commitments: c.V,
      bits: c.bits,
      transcript: new Transcript(DATA.transcript_label),
    }));
  verifyBatch(items(-1));
  for (const tamper of [0, 7, 15]) assert.throws(() => verifyBatch(items(tamper)), VerificationError);
});
