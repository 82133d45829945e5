// Reserves cover liabilities: the solvency relation (docs/PROTOCOL.md section 11.6), after
// circuits/coverage.py. For asset a (index a of the root) with liability commitment
// C_a = Com(L_a, r_a), public key-proven reserves 0 <= R_a < 2^64 and minimum ratio k percent
// (1 <= k <= 100000), the verifier derives
//
//     D_a  = 100 R_a B - k C_a = Com(100 R_a - k L_a, -k r_a)
//     C_lo = D_a - 2^64 C_hi
//
// and one aggregated 64-bit range proof over (C_lo, C_hi) shows X_a = X_lo + 2^64 X_hi in
// [0, 2^128). |L_a| < 2^64 and k < 2^17 keep the integer X_a in (-2^82, 2^82), so it cannot
// wrap modulo l: 100 R_a >= k L_a. Transcript T = Transcript("solvency/v1/reserves-cover"),
// append "epoch", "root" (h(root)), u64 "asset", "symbol", u64 "reserves", u64 "ratio", "C".
// Public data only: variable-time arithmetic.
import { utf8 } from './bytes.js';
import { RangeProof, verifyBatch } from './bulletproofs.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { B, Point, decodePoint } from './group.js';
import { Transcript } from './merlin.js';

export const MAX_RATIO_PERCENT = 100000n;
const MAX_UNITS = 2n ** 64n - 1n;
const LIMB = 2n ** 64n;

/** CoverStatement's checks and transcript. `s` = {epoch, rootHash, assetIndex, symbol,
 * reserves (bigint units), ratioPercent (bigint), C_a (32 bytes)}. */
function checkStatement(s) {
  if (typeof s.reserves !== 'bigint' || s.reserves < 0n || s.reserves > MAX_UNITS) {
    throw new MalformedInputError(`${s.symbol}: reserves must be in [0, 2^64)`);
  }
  if (typeof s.ratioPercent !== 'bigint' || s.ratioPercent < 1n || s.ratioPercent > MAX_RATIO_PERCENT) {
    throw new MalformedInputError(`the ratio must be in 1..${MAX_RATIO_PERCENT} percent`);
  }
  if (s.rootHash.length !== 32) throw new MalformedInputError('root hash: expected 32 bytes');
  if (!(s.assetIndex >= 0 && s.assetIndex < 2 ** 32)) throw new MalformedInputError('asset index out of range');
}

export function coverTranscript(s) {
  const T = new Transcript('solvency/v1/reserves-cover');
  T.appendMessage('epoch', utf8(s.epoch));
  T.appendMessage('root', s.rootHash);
  T.appendU64('asset', BigInt(s.assetIndex));
  T.appendMessage('symbol', utf8(s.symbol));
  T.appendU64('reserves', s.reserves);
  T.appendU64('ratio', s.ratioPercent);
  T.appendMessage('C', s.C_a);
  return T;
}

/** Point multiplication by a public non-negative integer (0 gives the identity). */
function mulPublic(k, P) {
  return k === 0n ? Point.ZERO : P.multiplyUnsafe(k);
}

/** coverage.verify_cover: one asset's proof; VerificationError naming the asset otherwise. */
export function verifyCover(s, cHi, proof) {
  checkStatement(s);
  const where = `solvency proof of ${s.symbol}`;
  let item;
  try {
    const Chi = decodePoint(cHi, 'C_hi');
    const Ca = decodePoint(s.C_a, `liability commitment of ${s.symbol}`);
    // D_a = 100 R_a B - k C_a
    const D = mulPublic(100n * s.reserves, B).subtract(mulPublic(s.ratioPercent, Ca));
    // C_lo = D_a - 2^64 C_hi
    const C_lo = D.subtract(Chi.multiplyUnsafe(LIMB));
    item = { proof: RangeProof.fromBytes(proof), commitments: [C_lo.toBytes(), cHi], bits: 64, transcript: coverTranscript(s) };
  } catch (e) {
    if (e instanceof MalformedInputError || e instanceof VerificationError) throw new VerificationError(`${where} is malformed`);
    throw e;
  }
  try {
    // X_lo, X_hi in [0, 2^64): 100 R_a - k L_a >= 0
    verifyBatch([item]);
  } catch (e) {
    if (e instanceof MalformedInputError || e instanceof VerificationError) {
      throw new VerificationError(`${where} does not verify: reserves are not shown to cover ${s.ratioPercent}% of the liabilities`);
    }
    throw e;
  }
}
