// Every byte flip of every one of dalek's 16 proofs is refused (tests/test_dalek_vectors.py's
// test_every_byte_flip_rejected): a bit that varies with the position, and all 8 bits of each
// element's first and last byte. The slowest file of `npm test` (some 11,600 verifications,
// each a full batch check), so the vectors are shared among worker threads, one per CPU: every
// flip is still verified, the checks only run side by side.
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { MalformedInputError, VerificationError } from '../src/errors.js';
import { dalekVectorsPath, loadDalekVectors } from './helpers.js';

const VECTORS = isMainThread ? dalekVectorsPath() : workerData.vectors;
const { present, CASES, verifyBytes, flip } = loadDalekVectors(VECTORS);

/** The flips of one proof: at each byte a bit that varies with the position (so every bit
 * index of every field is hit), and all 8 bits of each 32-byte element's first and last byte. */
function flipsOf(proof) {
  const flips = [];
  for (let pos = 0; pos < proof.length; pos++) {
    flips.push([pos, 1 << (pos % 8)]);
    if (pos % 32 === 0 || pos % 32 === 31) flips.push([pos, 0xff]);
  }
  return flips;
}

/** In a worker: verify every flip of the case; report those not refused as they must be. */
function runFlips(index) {
  const c = CASES[index];
  const wrong = [];
  const flips = flipsOf(c.proof);
  for (const [pos, mask] of flips) {
    try {
      verifyBytes(flip(c.proof, pos, mask), c.V, c.bits);
      wrong.push(`byte ${pos} mask ${mask}: accepted`);
    } catch (e) {
      if (!(e instanceof VerificationError || e instanceof MalformedInputError)) wrong.push(`byte ${pos} mask ${mask}: ${e}`);
    }
  }
  return { index, checked: flips.length, wrong };
}

if (!isMainThread) {
  for (const index of workerData.indices) parentPort.postMessage(runFlips(index));
} else {
  // One worker per CPU, each given every JOBS-th vector (the larger proofs spread evenly).
  const jobs = Math.max(1, Math.min(os.availableParallelism(), CASES.length));
  const results = CASES.map(() => {
    let settle;
    const promise = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    return { promise, settle };
  });
  if (CASES.length > 0) {
    for (let w = 0; w < jobs; w++) {
      const indices = CASES.map((_, i) => i).filter((i) => i % jobs === w);
      const worker = new Worker(new URL(import.meta.url), { workerData: { vectors: VECTORS, indices } });
      const pending = new Set(indices);
      worker.on('message', (r) => {
        pending.delete(r.index);
        results[r.index].settle.resolve(r);
      });
      const fail = (e) => {
        for (const i of pending) results[i].settle.reject(e);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`flip worker exited with code ${code}`)));
    }
  }

  CASES.forEach((c, index) => {
    test(`dalek vector ${c.bits}-bit m=${c.m}: every byte flip is refused`, async () => {
      const r = await results[index].promise;
      assert.equal(r.checked, flipsOf(c.proof).length);
      assert.ok(r.checked > c.proof.length);
      assert.deepEqual(r.wrong, []);
    });
  });

  test('the flip test ran on all 16 vectors', { skip: !present && `not found at ${VECTORS}` }, () => assert.equal(CASES.length, 16));
}
