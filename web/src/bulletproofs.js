// Verifier of aggregated Bulletproofs range proofs, byte- and transcript-compatible with
// dalek-cryptography/bulletproofs (RangeProof, wire format of versions 1.0 to 5.0); written from
// the paper and docs, after the Python verifier src/solvency/crypto/bulletproofs.py.
//
// Relation (Bunz et al., "Bulletproofs", IEEE S&P 2018, sections 4.1-4.3): for commitments
// V_0..V_{m-1} and bit size n the prover knows v_j, gamma_j with V_j = v_j B + gamma_j B~ and
// v_j in [0, 2^n). With N = n m, the verifier checks, as one multi-scalar multiplication
// randomized by c (and, across a batch, by a random weight per proof):
//
//     t_x B + t_x_blinding B~  ==  sum_j z^(2+j) V_j + delta(y, z) B + x T_1 + x^2 T_2
//     A + x S - e_blinding B~ - z<1, G> + <z y^N + z_j, H'> + t_x Q + sum_j (u_j^2 L_j + u_j^-2 R_j)
//                              ==  a <s, G> + b <s^-1, H'> + a b Q
//
// with H' = y^-N o H, Q = w B, delta(y, z) = (z - z^2) <1, y^N> - sum_j z^(3+j) <1, 2^n>.
//
// Transcript (dalek): dom-sep "rangeproof v1", u64 n, u64 m, each V; A, S (refused if the
// identity) -> y, z; T_1, T_2 -> x; t_x, t_x_blinding, e_blinding -> w; dom-sep "ipp v1",
// u64 N; per round L, R -> u.
//
// Byte layout: A || S || T_1 || T_2 || t_x || t_x_blinding || e_blinding || L_0 || R_0 || ..
// || L_{k-1} || R_{k-1} || a || b, 32 bytes each, k = lg(n m).
import { equalBytes } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { partyG, partyH, MAX_PARTIES } from './generators.js';
import {
  B,
  B_BLINDING,
  IDENTITY_BYTES,
  L,
  Point,
  decodePoint,
  decodeScalar,
  invert,
  mod,
  msm,
  scalarToBytes,
  tryDecodePoint,
} from './group.js';
import { Transcript } from './merlin.js';
import { bytesToBigLE } from './bytes.js';

export const SUPPORTED_BITS = [8, 16, 32, 64];
const MAX_ROUNDS = 31;

/** A parsed proof: the points' encodings (for the transcript) and decoded points. */
export class RangeProof {
  /** Strict parse (src/solvency/crypto/bulletproofs.py RangeProof.from_bytes). */
  static fromBytes(data) {
    if (data.length % 32 !== 0) throw new MalformedInputError('range proof: length is not a multiple of 32');
    if (data.length < 9 * 32) throw new MalformedInputError('range proof: too short');
    const el = (i) => data.subarray(32 * i, 32 * i + 32);
    const p = new RangeProof();
    p.enc = {};
    p.pt = {};
    ['A', 'S', 'T_1', 'T_2'].forEach((name, i) => {
      p.enc[name] = el(i);
      p.pt[name] = decodePoint(el(i), name);
    });
    p.t_x = decodeScalar(el(4), 't_x');
    p.t_x_blinding = decodeScalar(el(5), 't_x_blinding');
    p.e_blinding = decodeScalar(el(6), 'e_blinding');
    // Inner-product proof: L_0 || R_0 || .. || a || b.
    const count = data.length / 32 - 7;
    if (count < 2 || (count - 2) % 2 !== 0) throw new MalformedInputError('inner-product proof: wrong number of elements');
    const k = (count - 2) / 2;
    if (k > MAX_ROUNDS) throw new MalformedInputError('inner-product proof: too many rounds');
    p.L_enc = [];
    p.R_enc = [];
    p.L_pt = [];
    p.R_pt = [];
    for (let i = 0; i < 2 * k; i++) {
      const e = el(7 + i);
      const P = decodePoint(e, `inner-product element ${i}`);
      (i % 2 === 0 ? p.L_enc : p.R_enc).push(e);
      (i % 2 === 0 ? p.L_pt : p.R_pt).push(P);
    }
    p.a = decodeScalar(el(7 + 2 * k), 'inner-product a');
    p.b = decodeScalar(el(8 + 2 * k), 'inner-product b');
    return p;
  }
}

function powers(x, count) {
  const out = new Array(count);
  out[0] = 1n;
  for (let i = 1; i < count; i++) out[i] = (out[i - 1] * x) % L;
  return out;
}

function checkShape(bits, m) {
  if (!SUPPORTED_BITS.includes(bits)) {
    throw new VerificationError(`unsupported statement: bits must be one of (8, 16, 32, 64), got ${bits}`);
  }
  if (!(m >= 1 && m <= MAX_PARTIES) || (m & (m - 1)) !== 0) {
    throw new VerificationError(
      `unsupported statement: the number of values must be a power of two in [1, ${MAX_PARTIES}], got ${m}`,
    );
  }
}

function checkNonIdentity(name, enc) {
  if (equalBytes(enc, IDENTITY_BYTES)) throw new VerificationError(`proof element ${name} is the identity`);
}

/** Types, shape, encodings, sizes and non-identity points of one item (Python _check_item). */
function checkItem({ proof, commitments, bits, transcript }) {
  const m = commitments.length;
  checkShape(bits, m);
  const V = commitments.map((V_j, j) => {
    if (!(V_j instanceof Uint8Array) || V_j.length !== 32) throw new MalformedInputError(`commitment ${j}: expected 32 bytes`);
    const P = tryDecodePoint(V_j);
    if (P === null) throw new VerificationError(`commitment ${j} is not a canonical ristretto255 point`);
    return P;
  });
  const k = Math.log2(bits * m);
  if (proof.L_enc.length !== k) throw new VerificationError('proof size does not match the number of bits and commitments');
  for (const name of ['A', 'S', 'T_1', 'T_2']) checkNonIdentity(name, proof.enc[name]);
  if (proof.R_enc.length !== k) throw new VerificationError('inner-product proof has the wrong number of rounds');
  for (let j = 0; j < k; j++) {
    checkNonIdentity('L', proof.L_enc[j]);
    checkNonIdentity('R', proof.R_enc[j]);
  }
  return { proof, Venc: commitments, V, n: bits, m, transcript };
}

/** Replay one proof's transcript for its challenges (y, z, x, w, u_1..u_k). */
function replay(item) {
  const { proof, transcript: t, n, m } = item;
  t.appendMessage('dom-sep', 'rangeproof v1');
  t.appendU64('n', n);
  t.appendU64('m', m);
  for (const V_j of item.Venc) t.appendMessage('V', V_j);
  t.appendMessage('A', proof.enc.A);
  t.appendMessage('S', proof.enc.S);
  const y = t.challengeScalar('y');
  const z = t.challengeScalar('z');
  t.appendMessage('T_1', proof.enc.T_1);
  t.appendMessage('T_2', proof.enc.T_2);
  const x = t.challengeScalar('x');
  t.appendMessage('t_x', scalarToBytes(proof.t_x));
  t.appendMessage('t_x_blinding', scalarToBytes(proof.t_x_blinding));
  t.appendMessage('e_blinding', scalarToBytes(proof.e_blinding));
  const w = t.challengeScalar('w');
  t.appendMessage('dom-sep', 'ipp v1');
  t.appendU64('n', n * m);
  const u = [];
  for (let j = 0; j < proof.L_enc.length; j++) {
    t.appendMessage('L', proof.L_enc[j]);
    t.appendMessage('R', proof.R_enc[j]);
    u.push(t.challengeScalar('u'));
  }
  return { y, z, x, w, u };
}

/** (u_j^2, u_j^-2, s) with s_i = prod_j u_j^(+1 if bit (k-j) of i else -1). */
function scalarsFromChallenges(u, N) {
  const k = u.length;
  if (N !== 2 ** k) throw new VerificationError('inner-product proof has the wrong number of rounds');
  if (u.some((x) => x === 0n)) throw new VerificationError('inner-product challenge is zero');
  const uInv = u.map(invert);
  const uSq = u.map((x) => (x * x) % L);
  const uInvSq = uInv.map((x) => (x * x) % L);
  let s0 = 1n;
  for (const x of uInv) s0 = (s0 * x) % L;
  const s = [s0];
  // Setting bit b of i (round k-1-b) swaps u^-1 for u: times u^2.
  for (let i = 1; i < N; i++) {
    const top = 31 - Math.clz32(i);
    s.push((s[i - (1 << top)] * uSq[k - 1 - top]) % L);
  }
  return { uSq, uInvSq, s };
}

export function randomScalar() {
  for (;;) {
    const bytes = new Uint8Array(64);
    globalThis.crypto.getRandomValues(bytes);
    const c = bytesToBigLE(bytes) % L;
    if (c !== 0n) return c;
  }
}

/**
 * Check many proofs ({proof, commitments, bits, transcript}) in one randomized multi-scalar
 * multiplication: each proof's check is sum(k_i P_i) == 0, weighted by an independent random
 * c_p so invalid checks cancel with probability about 1/l. Generator terms are shared.
 */
export function verifyBatch(items) {
  if (items.length === 0) return;
  // Every item is checked before any transcript is touched (the first bad one raises).
  const checked = items.map(checkItem);
  const challenges = checked.map(replay);
  const sharedG = new Map();
  const sharedH = new Map();
  let Bs = 0n;
  let BBs = 0n;
  const points = [];
  const scalars = [];
  checked.forEach((item, index) => {
    const weight = index === 0 ? 1n : randomScalar();
    const { proof, n, m } = item;
    const N = n * m;
    const { y, z, x, w, u } = challenges[index];
    const { uSq, uInvSq, s } = scalarsFromChallenges(u, N);
    // c separates the t-check from the inner-product check.
    const c = randomScalar();
    const { a, b } = proof;
    const zz = (z * z) % L;
    const zPow = powers(z, m);
    const twoPow = powers(2n, n);
    const yInv = invert(y);
    let sumY = 0n;
    for (const p of powers(y, N)) sumY += p;
    sumY %= L;
    const sum2 = (1n << BigInt(n)) - 1n;
    let sumZ = 0n;
    for (const p of zPow) sumZ += p;
    // delta(y, z) = (z - z^2) <1, y^N> - sum_j z^(3+j) <1, 2^n>
    const delta = mod((z - zz) * sumY - zz * z * sum2 * sumZ);
    const cw = (c * weight) % L;
    // A + x S + c x T_1 + c x^2 T_2 + sum(u^2 L + u^-2 R) + c z^(2+j) V_j
    points.push(proof.pt.A, proof.pt.S, proof.pt.T_1, proof.pt.T_2);
    scalars.push(weight, x * weight, cw * x, cw * x * x);
    proof.L_pt.forEach((P, j) => {
      points.push(P);
      scalars.push(uSq[j] * weight);
    });
    proof.R_pt.forEach((P, j) => {
      points.push(P);
      scalars.push(uInvSq[j] * weight);
    });
    item.V.forEach((P, j) => {
      points.push(P);
      scalars.push(cw * zz * zPow[j]);
    });
    // G_i: -z - a s_i;  H_i: z + y^-i (z^(2+j) 2^(i mod n) - b s_i^-1), s_i^-1 = s_{N-1-i}
    let yInvI = 1n;
    for (let i = 0; i < N; i++) {
      const key = i; // (party, bit) = (i / n, i % n); the same index across shapes of equal n
      const party = Math.floor(i / n);
      const bit = i % n;
      const gk = `${party}:${bit}`;
      sharedG.set(gk, mod((sharedG.get(gk) ?? 0n) + weight * (-z - a * s[i])));
      const h = z + yInvI * (zz * zPow[party] * twoPow[bit] - b * s[N - 1 - i]);
      sharedH.set(gk, mod((sharedH.get(gk) ?? 0n) + weight * h));
      yInvI = (yInvI * yInv) % L;
      void key;
    }
    // B: w (t_x - a b) + c (delta - t_x);  B~: -e_blinding - c t_x_blinding
    Bs += weight * (w * (proof.t_x - a * b) + c * (delta - proof.t_x));
    BBs += weight * (-proof.e_blinding - c * proof.t_x_blinding);
  });
  for (const [gk, k] of sharedG) {
    const [party, bit] = gk.split(':').map(Number);
    points.push(partyG(party)[bit]);
    scalars.push(k);
  }
  for (const [gk, k] of sharedH) {
    const [party, bit] = gk.split(':').map(Number);
    points.push(partyH(party)[bit]);
    scalars.push(k);
  }
  points.push(B, B_BLINDING);
  scalars.push(Bs, BBs);
  // sum_p c_p (mega-check of proof p) == identity
  const total = msm(points, scalars);
  if (!total.equals(Point.ZERO)) throw new VerificationError('range proof does not verify');
}

export { Transcript };
