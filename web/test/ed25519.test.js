// Ed25519 edge cases: the page's verdict on a signature must be the CLI's (libsodium's,
// src/solvency/crypto/ed25519.py). A cheating exchange picks its own key and signatures, so the
// cases are those where RFC 8032 verifiers are known to differ: R or A of small order, A or R
// with a torsion part (cofactored and cofactorless equations disagree), s not reduced, and
// non-canonical encodings. Each case is built here with noble's point arithmetic, its expected
// verdict is stated, and Python's libsodium verifier is asked for its verdict too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bigToBytesLE, bytesToBigLE, bytesToHex, concat, hexToBytes, utf8 } from '../src/bytes.js';
import { ed25519Verify } from '../src/log.js';
import { REPO } from './helpers.js';

const Point = ed25519.Point;
const n = Point.Fn.ORDER;
const B = Point.BASE;
const scalar = (label) => bytesToBigLE(sha512(utf8(label))) % n;
const enc = (x) => bigToBytesLE(x, 32);
const challenge = (R, A, M) => bytesToBigLE(sha512(concat(R, A, M))) % n;
// A point of order 8 (the torsion subgroup's generator), checked below.
const T8 = Point.fromBytes(hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'));

/** (R, s) = (rB + T_R, r + k a) for secret a, public key A_bytes: a signature whose only flaw is T_R. */
function sign(a, A_bytes, M, r, T_R = Point.ZERO) {
  const R = B.multiply(r).add(T_R).toBytes();
  const k = challenge(R, A_bytes, M);
  return concat(R, enc((r + k * a) % n));
}

function cases() {
  const a = scalar('key');
  const A = B.multiply(a).toBytes();
  const M = utf8('root.json bytes');
  const honest = sign(a, A, M, scalar('r'));
  const out = [
    { name: 'honest', pk: A, msg: M, sig: honest, expected: true },
    { name: 'another message', pk: A, msg: utf8('another root'), sig: honest, expected: false },
  ];
  // The identity key: (R, s) = (identity, 0) satisfies every equation for every message.
  const id = Point.ZERO.toBytes();
  out.push({ name: 'identity key, (identity, 0)', pk: id, msg: M, sig: concat(id, enc(0n)), expected: false });
  // A key of small order: [s]B = R + [k]A holds cofactored with R = identity, s = 0.
  out.push({ name: 'small-order key', pk: T8.toBytes(), msg: M, sig: concat(id, enc(0n)), expected: false });
  // R of small order with s = k a: [8]([s]B - R - [k]A) = -[8]R = 0; cofactorless fails.
  {
    const R = T8.toBytes();
    const k = challenge(R, A, M);
    out.push({ name: 'small-order R', pk: A, msg: M, sig: concat(R, enc((k * a) % n)), expected: false });
  }
  // R with a torsion part: [s]B - [k]A = rB, not R.
  out.push({ name: 'R with a torsion part', pk: A, msg: M, sig: sign(a, A, M, scalar('r2'), T8), expected: false });
  // A key with a torsion part, A = aB + T: [s]B - [k]A = R - [k]T, R exactly when 8 | k.
  const Atorsion = B.multiply(a).add(T8).toBytes();
  let refused = null;
  let accepted = null;
  for (let i = 0; refused === null || accepted === null; i++) {
    const m = utf8(`message ${i}`);
    const sig = sign(a, Atorsion, m, scalar(`r${i}`));
    const k = challenge(sig.subarray(0, 32), Atorsion, m);
    if (k % 8n === 0n) accepted ??= { msg: m, sig };
    else refused ??= { msg: m, sig };
  }
  out.push({ name: 'torsion key, 8 does not divide k', pk: Atorsion, ...refused, expected: false });
  out.push({ name: 'torsion key, 8 divides k', pk: Atorsion, ...accepted, expected: true });
  // s + l: the same point [s]B, but s not reduced.
  {
    const s = bytesToBigLE(honest.subarray(32));
    out.push({ name: 's + l', pk: A, msg: M, sig: concat(honest.subarray(0, 32), enc(s + n)), expected: false });
  }
  // y >= p: the key's y + p (the same point, encoded non-canonically) where it fits in 255 bits.
  {
    const p = Point.Fp.ORDER;
    const y1 = enc(p + 1n); // y = 1 (the identity) written as p + 1
    out.push({ name: 'identity key written as y = p + 1', pk: y1, msg: M, sig: concat(id, enc(0n)), expected: false });
    // R = identity with the sign bit set (x = 0, x_0 = 1)
    const negZero = Uint8Array.from(id);
    negZero[31] |= 0x80;
    out.push({ name: 'R as x = 0 with the sign bit set', pk: A, msg: M, sig: concat(negZero, honest.subarray(32)), expected: false });
  }
  // A flip of every bit of the honest signature and key.
  for (let bit = 0; bit < 8 * 64; bit += 7) {
    const sig = Uint8Array.from(honest);
    sig[bit >> 3] ^= 1 << (bit & 7);
    out.push({ name: `signature bit ${bit}`, pk: A, msg: M, sig, expected: false });
  }
  for (let bit = 0; bit < 8 * 32; bit += 5) {
    const pk = Uint8Array.from(A);
    pk[bit >> 3] ^= 1 << (bit & 7);
    out.push({ name: `key bit ${bit}`, pk, msg: M, sig: honest, expected: false });
  }
  return out;
}

/** libsodium's verdicts, through the Python verifier; null when no Python with solvency. */
function pythonVerdicts(list) {
  const python = process.env.SOLVENCY_PYTHON || path.join(REPO, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return null;
  const script = [
    'import json, sys',
    'from solvency.crypto.ed25519 import verify',
    'cases = json.load(sys.stdin)',
    'print(json.dumps([verify(bytes.fromhex(pk), bytes.fromhex(sig), bytes.fromhex(msg)) for pk, sig, msg in cases]))',
  ].join('\n');
  const input = JSON.stringify(list.map((c) => [bytesToHex(c.pk), bytesToHex(c.sig), bytesToHex(c.msg)]));
  return JSON.parse(execFileSync(python, ['-c', script], { input, encoding: 'utf8' }));
}

test('the torsion point has order 8', () => {
  assert.ok(T8.multiplyUnsafe(8n).is0());
  assert.ok(!T8.multiplyUnsafe(4n).is0());
});

test('noble alone accepts some of these: the cases can tell the verifiers apart', () => {
  const accepted = cases().filter((c) => !c.expected && ed25519.verify(c.sig, c.msg, c.pk, { zip215: false }));
  assert.deepEqual(
    accepted.map((c) => c.name),
    ['small-order R', 'R with a torsion part', 'torsion key, 8 does not divide k'],
  );
});

const list = cases();
const python = pythonVerdicts(list);

for (const [i, c] of list.entries()) {
  test(`ed25519: ${c.name}`, (t) => {
    assert.equal(ed25519Verify(c.sig, c.msg, c.pk), c.expected);
    if (python === null) {
      t.diagnostic('no Python with solvency installed: the verdict was not compared with libsodium');
      return;
    }
    assert.equal(python[i], c.expected, 'libsodium');
  });
}
