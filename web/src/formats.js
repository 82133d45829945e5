// Strict readers of the files a user checks (docs/PROTOCOL.md section 8), after
// src/solvency/files/formats.py and files/signing.py: the header (format, version) first, then
// the file's JSON Schema, then what a schema cannot say, with the same messages.
import { equalBytes, hexToBytes } from './bytes.js';
import { MalformedInputError } from './errors.js';
import { decodeScalar, isValidPoint } from './group.js';
import { JsonFloat, parseJson, pyAscii, pyRepr } from './json.js';
import { firstError } from './schema.js';
import { parseMargin, weights } from './margin.js';
import { INCLUSION_PROOF_V1, INCLUSION_PROOF_V2, ROOT_V1, ROOT_V2 } from './schemas.gen.js';
import { FORBIDDEN, KINDS, NAMES } from './userid-tables.gen.js';

export const VERSION = 1n;
export const INCLUSION_PROOF_FORMAT = 'solvency-inclusion-proof';
export const ROOT_FORMAT = 'solvency-root';
const MAX_UNITS = 2n ** 64n - 1n;
const MAX_USER_ID_BYTES = 256;

const SCHEMAS = {
  [`${INCLUSION_PROOF_FORMAT}/1`]: parseJson(INCLUSION_PROOF_V1),
  [`${INCLUSION_PROOF_FORMAT}/2`]: parseJson(INCLUSION_PROOF_V2),
  [`${ROOT_FORMAT}/1`]: parseJson(ROOT_V1),
  [`${ROOT_FORMAT}/2`]: parseJson(ROOT_V2),
};
/** Versions read: 1, and 2 (a margin epoch, docs/PROTOCOL.md section 10.5). */
const VERSIONS = [1n, 2n];

const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof JsonFloat);
const bad = (msg) => new MalformedInputError(msg);

/** formats._header: format and version before anything else. */
function header(doc, fmt) {
  if (!isObject(doc)) throw bad('document: expected a JSON object');
  if (!('format' in doc)) throw bad("document: missing key 'format'");
  if (doc.format !== fmt) throw bad(`format: expected ${pyRepr(fmt)}`);
  if (!('version' in doc)) throw bad("document: missing key 'version'");
  if (typeof doc.version !== 'bigint') throw bad('version: expected an integer');
  if (!VERSIONS.includes(doc.version)) {
    throw bad(`version: ${fmt} version ${doc.version} is not supported (this release reads version ${VERSIONS.join(' and ')})`);
  }
  return doc.version;
}

function checkShape(doc, fmt, version) {
  const error = firstError(SCHEMAS[`${fmt}/${version}`], doc);
  if (error !== null) throw bad(error);
}

/** ledger.format_units: units written with exactly `decimals` fraction digits. */
export function formatUnits(units, decimals) {
  const digits = units.toString();
  if (decimals === 0) return digits;
  const padded = digits.padStart(decimals + 1, '0');
  return `${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** derive._echo: the id as a Python literal (invisible characters escaped), cut short. */
function echo(value) {
  const text = pyAscii(value);
  return text.length <= 60 ? text : text.slice(0, 57) + '...';
}

/** The kind of a forbidden code point (derive._forbidden_kind), or null. */
export function forbiddenKind(cp) {
  let lo = 0;
  let hi = FORBIDDEN.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last, kind] = FORBIDDEN[mid];
    if (cp < first) hi = mid - 1;
    else if (cp > last) lo = mid + 1;
    else return KINDS[kind];
  }
  return null;
}

/** derive.check_user_id (section 2.1): NFC, no invisible, format, control or look-alike space
 * characters, no surrounding spaces, at most 256 UTF-8 bytes; an id is never normalised. */
export function checkUserId(userId) {
  if (userId === '') throw bad('user id is empty');
  for (const ch of userId) {
    const cp = ch.codePointAt(0);
    const kind = forbiddenKind(cp);
    if (kind !== null) {
      const hex = cp.toString(16).toUpperCase();
      throw bad(`user id ${echo(userId)} contains ${kind} U+${hex.padStart(4, '0')} (${NAMES[hex] ?? 'unnamed'})`);
    }
  }
  if (userId.startsWith(' ') || userId.endsWith(' ')) throw bad(`user id ${echo(userId)} has surrounding whitespace`);
  if (userId.normalize('NFC') !== userId) {
    throw bad(
      `user id ${echo(userId)} is not in Unicode NFC (e.g. an accent written as a separate combining mark); ` +
        'write it in NFC: ids are never normalised for you',
    );
  }
  const n = new TextEncoder().encode(userId).length;
  if (n > MAX_USER_ID_BYTES) throw bad(`user id is ${n} UTF-8 bytes long, at most ${MAX_USER_ID_BYTES} are allowed`);
}

function checkAssets(items, where) {
  const seen = new Set();
  for (const a of items) {
    if (seen.has(a.symbol)) throw bad(`${where}: asset list: symbol ${a.symbol} appears twice`);
    seen.add(a.symbol);
  }
  return items.map((a) => ({ symbol: a.symbol, decimals: Number(a.decimals) }));
}

function units(value, where) {
  const u = BigInt(value);
  if (u > MAX_UNITS) throw bad(`${where}: expected an integer in [0, 2^64)`);
  return u;
}

export const MARGIN_VERSION = 2n;

/** formats._signed_units_str (the schema has checked the pattern). */
function signedUnits(value, where) {
  const u = BigInt(value);
  if (u > MAX_UNITS || -u > MAX_UNITS) throw bad(`${where}: expected an integer in (-2^64, 2^64)`);
  return u;
}

/** formats.format_signed_units: format_units with a "-" for a debt. */
export function formatSignedUnits(units, decimals) {
  return (units < 0n ? '-' : '') + formatUnits(units < 0n ? -units : units, decimals);
}

/** formats._margin_of: the weights exist for these assets, or the error names `where`. */
function marginWeights(margin, assets, where) {
  try {
    return weights(margin, assets);
  } catch (e) {
    throw bad(`${where}: ${e.message}`);
  }
}

function parseCollateral(d, where) {
  const cHi = hexToBytes(d.c_hi);
  if (!isValidPoint(cHi)) throw bad(`${where}.c_hi: not a canonical ristretto255 point`);
  return { cHi, proof: hexToBytes(d.proof) };
}

function points(hexes, where) {
  return hexes.map((h, i) => {
    const P = hexToBytes(h);
    if (!isValidPoint(P)) throw bad(`${where}[${i}]: not a canonical ristretto255 point`);
    return P;
  });
}

function node(d, where) {
  return { commitments: points(d.commitments, `${where}.commitments`), hash: hexToBytes(d.hash) };
}

function checkCount(items, a, what, where) {
  if (items.length !== a) throw bad(`${where}: ${items.length} ${what} for ${a} assets`);
}

/** InclusionProofFile.loads (section 8.3). */
export function parseInclusionProof(data) {
  const d = parseJson(data);
  const version = header(d, INCLUSION_PROOF_FORMAT);
  checkShape(d, INCLUSION_PROOF_FORMAT, version);
  const isMargin = version === MARGIN_VERSION;
  const assets = checkAssets(d.assets, 'assets');
  checkCount(d.balances, assets.length, 'balances', 'balances');
  const balances = d.balances.map((b, k) => {
    if (b.symbol !== assets[k].symbol) throw bad(`balances[${k}].symbol: expected ${pyRepr(assets[k].symbol)}`);
    const u = isMargin ? signedUnits(b.units, `balances[${k}].units`) : units(b.units, `balances[${k}].units`);
    if (b.amount !== (isMargin ? formatSignedUnits : formatUnits)(u, assets[k].decimals)) {
      throw bad(`balances[${k}].amount: does not equal units written with ${assets[k].decimals} decimals`);
    }
    return u;
  });
  const path = d.path.map((s, i) => ({
    commitments: points(s.commitments, `path[${i}].commitments`),
    hash: hexToBytes(s.hash),
    range_proof: hexToBytes(s.range_proof),
  }));
  const root = node(d.root, 'root');
  let margin = null;
  let collateral = null;
  let siblingCollateral = null;
  if (isMargin) {
    margin = parseMargin(d.margin, 'margin');
    collateral = parseCollateral(d.collateral, 'collateral');
    siblingCollateral = parseCollateral(d.sibling_collateral, 'sibling_collateral');
  }
  // InclusionProofFile.__post_init__
  try {
    checkUserId(d.user_id);
  } catch (e) {
    throw bad(`user_id: ${e.message}`);
  }
  const height = Number(d.height);
  if (d.position >= 1n << d.height) throw bad(`position: must be in 0..${(1n << d.height) - 1n}`);
  let w = null;
  if (isMargin) w = marginWeights(margin, assets, 'margin');
  const c = isMargin ? 2 * assets.length : assets.length;
  if (path.length !== height) throw bad(`path: ${path.length} steps, expected height = ${height}`);
  path.forEach((s, i) => checkCount(s.commitments, c, 'commitments', `path[${i}].commitments`));
  checkCount(root.commitments, c, 'commitments', 'root.commitments');
  return {
    margin,
    weights: w,
    collateral,
    siblingCollateral,
    epoch: d.epoch,
    user_id: d.user_id,
    user_secret: hexToBytes(d.user_secret),
    position: d.position,
    height,
    assets,
    balances,
    path,
    root,
  };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Python's datetime.fromisoformat on what the schema lets through: the date must exist. */
function validCreated(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(s);
  const [y, mo, da, h, mi, se] = m.slice(1).map(Number);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59 || da < 1) return false;
  return da <= DAYS[mo - 1] + (mo === 2 && leap ? 1 : 0);
}

/** RootFile.loads (section 8.1). */
export function parseRoot(data) {
  const d = parseJson(data);
  const version = header(d, ROOT_FORMAT);
  checkShape(d, ROOT_FORMAT, version);
  const isMargin = version === MARGIN_VERSION;
  const root = node(d.root, 'root');
  const totals =
    d.totals === null
      ? null
      : d.totals.map((t, i) => {
          const u = units(t.units, `totals[${i}].units`);
          try {
            decodeScalar(hexToBytes(t.blinding), `totals[${i}].blinding`);
          } catch (e) {
            throw bad(e.message);
          }
          return { symbol: t.symbol, units: u, side: t.side ?? null };
        });
  const margin = isMargin ? parseMargin(d.parameters.margin, 'parameters.margin') : null;
  // RootFile.__post_init__
  const assets = checkAssets(d.parameters.assets, 'parameters.assets');
  if (isMargin) marginWeights(margin, assets, 'parameters.margin');
  checkCount(root.commitments, isMargin ? 2 * assets.length : assets.length, 'commitments', 'root.commitments');
  if (totals !== null) {
    const expected = isMargin ? [...assets, ...assets] : assets;
    if (totals.length !== expected.length) throw bad(`totals: ${totals.length} entries for ${expected.length} assets`);
    totals.forEach((t, i) => {
      if (t.symbol !== expected[i].symbol) throw bad(`totals[${i}].symbol: expected ${pyRepr(expected[i].symbol)}`);
    });
    if (isMargin) {
      const a = totals.length / 2;
      if (totals.some((t, i) => t.side !== (i < a ? 'equity' : 'debt'))) {
        throw bad('totals: expected the equity of every asset, then the debt of every asset');
      }
    }
  }
  if (!validCreated(d.created)) throw bad('created: not a valid date and time');
  if (/[\p{Cc}\p{Cs}]/u.test(d.tool)) throw bad('tool: contains a control character');
  return {
    margin,
    epoch: d.epoch,
    height: Number(d.parameters.height),
    range_bits: Number(d.parameters.range_bits),
    assets,
    root,
    totals,
  };
}

/** signing.decode_signature: 128 lowercase hex digits, optionally one newline. */
export function parseSignature(data, where) {
  if (data.some((b) => b > 0x7f)) throw bad(`${where}: not ASCII`);
  const text = new TextDecoder().decode(data);
  if (!/^[0-9a-f]{128}\n?$/.test(text)) throw bad(`${where}: expected 128 lowercase hex digits and a newline`);
  return hexToBytes(text.slice(0, 128));
}

// SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 },
// BIT STRING { 32 bytes } }.
const ED25519_SPKI_PREFIX = hexToBytes('302a300506032b6570032100');

function base64Decode(text) {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error('not base64');
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** signing.load_verifying_key: one PEM "PUBLIC KEY" block holding an Ed25519 key. */
export function parsePublicKey(data, where) {
  if (data.some((b) => b > 0x7f)) throw bad(`${where}: public key: PEM must be ASCII`);
  const text = new TextDecoder().decode(data);
  const m = /-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----/.exec(text);
  let der = null;
  if (m !== null) {
    try {
      der = base64Decode(m[1].replace(/[\r\n]/g, ''));
    } catch {
      der = null;
    }
  }
  if (der === null || der.length < 2 || der[0] !== 0x30) throw bad(`${where}: public key: not a PEM SubjectPublicKeyInfo key`);
  if (der.length !== 44 || !equalBytes(der.subarray(0, 12), ED25519_SPKI_PREFIX)) {
    throw bad(`${where}: public key: expected an Ed25519 key`);
  }
  return der.slice(12);
}
