// Margin epochs (docs/PROTOCOL.md section 10), after files/margin.py and circuits/collateral.py.
//
// Weights (10.2), exact integers: P_k = p_k 10^8, H_k = h_k 10^4, w_k = P_k 10^(D - d_k),
// a_k = w_k H_k (collateral), b_k = w_k 10^4 (debt). The collateral relation (10.4) for the
// level-0 node i of epoch e, which the verifier derives from the node's commitments:
//
//     C_X = sum_k a_k E_k - sum_k b_k F_k,   C_lo = C_X - 2^64 C_hi,
//     one aggregated 64-bit range proof over (C_lo, C_hi): X = X_lo + 2^64 X_hi in [0, 2^128)
//
// with transcript T = Transcript("solvency/v1/collateral"), append "epoch", u64 "index". As
// |X| < 2^173 << l/2, X is a non-negative integer: haircut collateral covers the debt.
import { utf8 } from './bytes.js';
import { RangeProof, verifyBatch } from './bulletproofs.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { L, Point, msm } from './group.js';
import { Transcript } from './merlin.js';

const bad = (msg) => new MalformedInputError(msg);
export const PRICE_DECIMALS = 8;
export const HAIRCUT_DECIMALS = 4;
const MAX_MARGIN_ASSETS = 32;
const MAX_ASSETS = 256;
const MAX_WEIGHT = 2n ** 100n;
const LIMB = 2n ** 64n;

/** margin._fixed: an exact decimal as an integer times 10^digits; more digits refused. */
function fixed(text, digits, where) {
  if (typeof text !== 'string') throw bad(`${where}: expected a decimal string`);
  const m = /^(0|[1-9][0-9]{0,29})(?:\.([0-9]+))?$/.exec(text);
  if (m === null) throw bad(`${where}: expected a decimal string such as 1.25`);
  const frac = m[2] ?? '';
  if (frac.length > digits) throw bad(`${where}: ${frac.length} fraction digits, at most ${digits} allowed (never rounded)`);
  return BigInt(m[1] + frac.padEnd(digits, '0'));
}

/** MarginParams.from_json on a schema-checked object; `where` is its field path. */
export function parseMargin(d, where) {
  if (d.collateral_bits !== 128n) throw bad(`${where}.collateral_bits: must be 128`);
  const assets = d.assets.map((a, i) => {
    try {
      fixed(a.price, PRICE_DECIMALS, `asset ${a.symbol}: price`);
      const h = fixed(a.haircut, HAIRCUT_DECIMALS, `asset ${a.symbol}: haircut`);
      if (h > 10n ** BigInt(HAIRCUT_DECIMALS)) throw bad(`asset ${a.symbol}: haircut must be in [0, 1]`);
    } catch (e) {
      throw bad(`${where}.assets[${i}]: ${e.message}`);
    }
    return { symbol: a.symbol, price: a.price, haircut: a.haircut };
  });
  try {
    if (!/^[A-Z0-9][A-Z0-9._-]{0,15}$/.test(d.quote)) throw bad('margin.quote: expected 1-16 characters of A-Z 0-9 . _ -');
    if (assets.length === 0) throw bad('margin.assets: at least one asset is required');
    if (assets.length > MAX_MARGIN_ASSETS) throw bad(`margin.assets: at most ${MAX_MARGIN_ASSETS} assets (2a commitments per node)`);
  } catch (e) {
    throw bad(`${where}: ${e.message}`);
  }
  return { quote: d.quote, assets };
}

/** MarginParams.weights: the exact a_k, b_k for `assets` (check_assets, then the bound). */
export function weights(margin, assets) {
  if (margin.assets.map((m) => m.symbol).join('\0') !== assets.map((a) => a.symbol).join('\0')) {
    throw bad(`margin.assets: must list the assets ${assets.map((a) => a.symbol).join(',')} in that order`);
  }
  if (assets.length > MAX_ASSETS) throw bad(`margin: at most ${MAX_ASSETS} assets`);
  const D = Math.max(...assets.map((a) => a.decimals));
  const collateral = [];
  const debt = [];
  assets.forEach((spec, k) => {
    const m = margin.assets[k];
    const w = fixed(m.price, PRICE_DECIMALS, 'price') * 10n ** BigInt(D - spec.decimals);
    const a = w * fixed(m.haircut, HAIRCUT_DECIMALS, 'haircut');
    const b = w * 10n ** BigInt(HAIRCUT_DECIMALS);
    if (b >= MAX_WEIGHT) {
      throw bad(`asset ${spec.symbol}: price too large for the 2^128 bound (weight >= 2^100); lower its decimals or the others'`);
    }
    collateral.push(a);
    debt.push(b);
  });
  return { collateral, debt };
}

/** margin.format_value: a weighted sum in quote units, exactly, without trailing zeros. */
export function formatValue(value, assets) {
  const D = PRICE_DECIMALS + HAIRCUT_DECIMALS + Math.max(...assets.map((a) => a.decimals));
  const sign = value < 0n ? '-' : '';
  const v = value < 0n ? -value : value;
  const scale = 10n ** BigInt(D);
  const frac = (v % scale).toString().padStart(D, '0').replace(/0+$/, '');
  return `${sign}${v / scale}` + (frac ? `.${frac}` : '');
}

function collateralTranscript(epoch, index) {
  const T = new Transcript('solvency/v1/collateral');
  T.appendMessage('epoch', utf8(epoch));
  T.appendU64('index', index);
  return T;
}

const isCheckError = (e) => e instanceof VerificationError || e instanceof MalformedInputError;

/** circuits.collateral.verify_collateral: leaf `index`'s proof on its 2a commitments. */
export function verifyCollateral(epoch, index, commitments, w, cHi, proof) {
  const a = w.collateral.length;
  const where = `collateral proof of leaf ${index}`;
  let item;
  try {
    // C_X = sum_k a_k E_k - sum_k b_k F_k
    const points = commitments.map((c) => Point.fromBytes(c));
    const C_X = msm(points, [...w.collateral, ...w.debt.map((b) => L - (b % L))]);
    const Chi = Point.fromBytes(cHi);
    // C_lo = C_X - 2^64 C_hi
    const C_lo = C_X.subtract(Chi.multiplyUnsafe(LIMB));
    item = { proof: RangeProof.fromBytes(proof), commitments: [C_lo.toBytes(), cHi], bits: 64, transcript: collateralTranscript(epoch, index) };
    if (commitments.length !== 2 * a) throw bad('need 2a commitments');
  } catch (e) {
    if (isCheckError(e) || e instanceof Error) throw new VerificationError(`${where} is malformed`);
    throw e;
  }
  try {
    // X_lo, X_hi in [0, 2^64): the debt is covered
    verifyBatch([item]);
  } catch (e) {
    if (isCheckError(e)) throw new VerificationError(`${where} does not verify: debt not covered`);
    throw e;
  }
}
