// Every byte flip of every one of dalek's 16 proofs is refused (tests/test_dalek_vectors.py's
// test_every_byte_flip_rejected): a bit that varies with the position, and all 8 bits of each
// element's first and last byte. The slowest file of `npm test` (some 11,600 verifications).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { hexToBytes } from '../src/bytes.js';
import { RangeProof, verifyBatch } from '../src/bulletproofs.js';
import { MalformedInputError, VerificationError } from '../src/errors.js';
import { Transcript } from '../src/merlin.js';
import { dalekVectorsPath } from './helpers.js';

const VECTORS = dalekVectorsPath();
const present = fs.existsSync(VECTORS);
const DATA = present ? JSON.parse(fs.readFileSync(VECTORS, 'utf8')) : { cases: [] };
const CASES = DATA.cases.map((c) => ({
  bits: c.bits,
  m: c.aggregation,
  proof: hexToBytes(c.proof),
  V: c.commitments.slice(0, c.aggregation).map(hexToBytes),
}));

function verifyBytes(data, V, bits) {
  verifyBatch([{ proof: RangeProof.fromBytes(data), commitments: V, bits, transcript: new Transcript(DATA.transcript_label) }]);
}

function assertRejected(data, V, bits, what) {
  assert.throws(
    () => verifyBytes(data, V, bits),
    (e) => e instanceof VerificationError || e instanceof MalformedInputError,
    what,
  );
}

const flip = (data, pos, mask) => {
  const out = data.slice();
  out[pos] ^= mask;
  return out;
};

for (const c of CASES) {
  test(`dalek vector ${c.bits}-bit m=${c.m}: every byte flip is refused`, () => {
    for (let pos = 0; pos < c.proof.length; pos++) {
      // Vary the bit flipped with the position so every bit index of every field is hit.
      assertRejected(flip(c.proof, pos, 1 << (pos % 8)), c.V, c.bits, `byte ${pos}`);
      if (pos % 32 === 0 || pos % 32 === 31) assertRejected(flip(c.proof, pos, 0xff), c.V, c.bits, `byte ${pos}, all bits`);
    }
  });
}

test('the flip test ran on all 16 vectors', { skip: !present && `not found at ${VECTORS}` }, () => assert.equal(CASES.length, 16));
