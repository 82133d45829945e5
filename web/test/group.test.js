// group.msm (the verifier's multi-scalar multiplication) equals its twin msmNaive (noble's
// pippenger) and, for small sizes, the plain sum of k_i P_i: random and edge scalars (0, 1,
// l - 1, l, past l, negative), the identity and repeated points, every size the window
// choice treats differently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomScalar } from '../src/bulletproofs.js';
import { B, L, Point, msm, msmNaive } from '../src/group.js';

function points(n, seed) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(B.multiply(BigInt(seed + 3 * i + 1)));
  return out;
}

const EDGE = [0n, 1n, 2n, L - 1n, L, L + 5n, -1n, -(L - 2n), 2n ** 252n, 2n ** 253n - 1n];

test('msm equals the plain sum on small inputs with edge scalars and points', () => {
  for (let n = 0; n <= 12; n++) {
    const P = points(n, 5 * n);
    if (n > 2) P[1] = Point.ZERO;
    if (n > 3) P[3] = P[2];
    const k = P.map((_, i) => EDGE[(i + n) % EDGE.length]);
    let expected = Point.ZERO;
    P.forEach((p, i) => {
      const s = ((k[i] % L) + L) % L;
      if (s !== 0n) expected = expected.add(p.multiply(s));
    });
    assert.ok(msm(P, k).equals(expected), `n=${n}`);
    assert.ok(msmNaive(P, k).equals(expected), `n=${n}`);
  }
});

test('msm equals noble pippenger on random inputs of every window size', () => {
  for (const n of [1, 3, 8, 16, 33, 64, 100, 127, 128, 255, 280, 513, 1046]) {
    const P = points(n, n);
    const k = P.map((_, i) => (i % 7 === 0 ? EDGE[i % EDGE.length] : randomScalar()));
    assert.ok(msm(P, k).equals(msmNaive(P, k)), `n=${n}`);
  }
});

test('msm refuses unequal lengths and gives the identity for no terms', () => {
  assert.throws(() => msm([B], []));
  assert.ok(msm([], []).equals(Point.ZERO));
  assert.ok(msm([B, B], [0n, L]).equals(Point.ZERO));
});
