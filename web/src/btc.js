// Bitcoin addresses, m-of-n multisig scripts and signed messages (docs/PROTOCOL.md section
// 11.3), after src/solvency/crypto/btc_address.py and btc_message.py. With
// HASH160(x) = RIPEMD160(SHA256(x)):
//
//     P2PKH        address = Base58Check(v_pkh || HASH160(Q))
//     P2SH-P2WPKH  address = Base58Check(v_sh  || HASH160(0x00 0x14 || HASH160(Q)))
//     P2WPKH       address = Bech32(hrp, 0, HASH160(Q))                    (Q compressed)
//     P2SH         address = Base58Check(v_sh  || HASH160(S))               (S the redeem script)
//     P2WSH        address = Bech32(hrp, 0, SHA256(S))                      (S the witness script)
//     S = OP_m <Q_1> ... <Q_n> OP_n OP_CHECKMULTISIG,   1 <= m <= n <= 16
//
// and a BIP-137 message signature (h, r, s) over m recovers
//
//     z = SHA256(SHA256(varstr("\x18Bitcoin Signed Message:\n") || varstr(m)))
//     Q = Recover(z, r, s, recid),   recid = (h - 27) mod 4,
//     Q compressed when h >= 31, uncompressed when 27 <= h <= 30.
//
// Base58Check and Bech32 (BIP-173) are @scure/base's; secp256k1 (point decoding, recovery) is
// @noble/curves'; no curve code here. A decoded address is re-encoded and must give back the
// same text, so only the canonical spelling is accepted. Taproot (bech32m, witness version 1),
// nested P2SH-P2WSH and every other form are unknown and fail closed. Public data only, so
// variable-time code throughout.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32, createBase58check } from '@scure/base';
import { concat, equalBytes, utf8 } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { pyRepr } from './json.js';

export const P2PKH = 'p2pkh';
export const P2SH = 'p2sh';
export const P2WPKH = 'p2wpkh';
export const P2WSH = 'p2wsh';
export const P2SH_P2WPKH = 'p2sh-p2wpkh';
export const P2PKH_UNCOMPRESSED = 'p2pkh-uncompressed';

/** BIP-16's limit on a P2SH redeem script; BIP-141's on a P2WSH witness script. */
const MAX_REDEEM_SCRIPT = 520;
const MAX_WITNESS_SCRIPT = 3600;
const OP_CHECKMULTISIG = 0xae;
const OP_1 = 0x51;
const MAX_MESSAGE_BYTES = 4096;
const MAGIC = utf8('\x18Bitcoin Signed Message:\n');

export const NETWORKS = {
  bitcoin: { name: 'bitcoin', p2pkhVersion: 0x00, p2shVersion: 0x05, hrp: 'bc' },
  'bitcoin-testnet': { name: 'bitcoin-testnet', p2pkhVersion: 0x6f, p2shVersion: 0xc4, hrp: 'tb' },
};

const base58check = createBase58check(sha256);
const fail = (msg) => new VerificationError(msg);
const bad = (msg) => new MalformedInputError(msg);

export const hash160 = (data) => ripemd160(sha256(data));

export function network(name) {
  if (!Object.hasOwn(NETWORKS, name)) throw fail(`unknown Bitcoin network ${pyRepr(name)}`);
  return NETWORKS[name];
}

/** btc_address.decode_address: {kind, payload}; VerificationError for anything not canonical
 * or known. */
export function decodeAddress(text, net) {
  if (typeof text !== 'string' || text === '' || /[^\x00-\x7f]/.test(text)) throw fail('address is not ASCII text');
  if (text.toLowerCase().startsWith(net.hrp + '1')) return decodeSegwit(text, net);
  const unknown = () => fail(`unknown address type: ${pyRepr(text)} is not a ${net.name} address`);
  let raw;
  try {
    raw = base58check.decode(text);
  } catch {
    throw unknown();
  }
  if (base58check.encode(raw) !== text || raw.length !== 21) throw unknown();
  if (raw[0] === net.p2pkhVersion) return { kind: P2PKH, payload: raw.slice(1) };
  if (raw[0] === net.p2shVersion) return { kind: P2SH, payload: raw.slice(1) };
  throw fail(`unknown address type: version byte ${raw[0]} on ${net.name}`);
}

/** The BIP-173 reference decoder's segwit decode(hrp, addr) (the Python `bech32` package):
 * [witver, program] or null. Bech32 (not bech32m) checksums only. */
function segwitDecode(hrp, text) {
  const d = bech32.decodeUnsafe(text, false);
  if (d === undefined || d.prefix !== hrp || d.words.length === 0) return null;
  const program = bech32.fromWordsUnsafe(d.words.slice(1));
  if (program === undefined || program.length < 2 || program.length > 40) return null;
  const version = d.words[0];
  if (version > 16) return null;
  if (version === 0 && program.length !== 20 && program.length !== 32) return null;
  return [version, program];
}

function segwitEncode(hrp, version, program) {
  return bech32.encode(hrp, [version, ...bech32.toWords(program)], false);
}

function decodeSegwit(text, net) {
  const decoded = segwitDecode(net.hrp, text);
  // bech32m (taproot) and bad checksums land here: not a type this tool proves
  if (decoded === null) throw fail(`unknown address type: ${pyRepr(text)} is not a bech32 v0 address`);
  const [version, program] = decoded;
  if (version !== 0 || segwitEncode(net.hrp, version, program) !== text) {
    throw fail(`unknown address type: ${pyRepr(text)} (witness version ${version})`);
  }
  if (program.length === 20) return { kind: P2WPKH, payload: program };
  if (program.length === 32) return { kind: P2WSH, payload: program };
  throw fail(`unknown address type: witness program of ${program.length} bytes`);
}

/** btc_address.encode_address */
export function encodeAddress(address, net) {
  if (address.kind === P2PKH) return base58check.encode(concat(Uint8Array.of(net.p2pkhVersion), address.payload));
  if (address.kind === P2SH) return base58check.encode(concat(Uint8Array.of(net.p2shVersion), address.payload));
  if (address.kind === P2WPKH || address.kind === P2WSH) return segwitEncode(net.hrp, 0, address.payload);
  throw bad(`unknown address kind ${pyRepr(address.kind)}`);
}

/** btc_address.key_address: the address a public key Q (serialized as it will be hashed)
 * pays to. */
export function keyAddress(Q, kind) {
  if (kind === P2PKH) return { kind: P2PKH, payload: hash160(Q) };
  if (Q.length !== 33) throw fail('segwit addresses need a compressed key');
  if (kind === P2WPKH) return { kind: P2WPKH, payload: hash160(Q) };
  if (kind === P2SH_P2WPKH) return { kind: P2SH, payload: hash160(concat(Uint8Array.of(0x00, 0x14), hash160(Q))) };
  throw bad(`unknown key address kind ${pyRepr(kind)}`);
}

export const sameAddress = (a, b) => a.kind === b.kind && equalBytes(a.payload, b.payload);

/** btc_address.script_address: the P2SH or P2WSH address of a script. */
export function scriptAddress(script, kind) {
  if (kind === P2SH) {
    if (script.length > MAX_REDEEM_SCRIPT) throw fail(`redeem script longer than ${MAX_REDEEM_SCRIPT} bytes`);
    return { kind: P2SH, payload: hash160(script) };
  }
  if (kind === P2WSH) {
    if (script.length > MAX_WITNESS_SCRIPT) throw fail(`witness script longer than ${MAX_WITNESS_SCRIPT} bytes`);
    return { kind: P2WSH, payload: sha256(script) };
  }
  throw bad(`unknown script address kind ${pyRepr(kind)}`);
}

/** Whether libsecp256k1's ec_pubkey_parse (coincurve.PublicKey) takes Q: a compressed (02/03)
 * or uncompressed (04) point on the curve, or a "hybrid" one (06/07, the tag also giving the
 * parity of y), which libsecp256k1 accepts and noble does not read. */
function isPublicKey(Q) {
  try {
    if (Q.length === 65 && (Q[0] === 0x06 || Q[0] === 0x07)) {
      const P = secp256k1.Point.fromBytes(concat(Uint8Array.of(0x04), Q.subarray(1)));
      return (P.toAffine().y & 1n) === BigInt(Q[0] & 1);
    }
    secp256k1.Point.fromBytes(Q);
    return true;
  } catch {
    return false;
  }
}

/** btc_address.parse_multisig: {m, keys} of a bare m-of-n OP_CHECKMULTISIG script;
 * VerificationError for anything else (fail closed). */
export function parseMultisig(script) {
  const notMultisig = 'script is not an m-of-n OP_CHECKMULTISIG script';
  if (script.length < 3 || script[script.length - 1] !== OP_CHECKMULTISIG) throw fail(notMultisig);
  const m = script[0] - OP_1 + 1;
  const n = script[script.length - 2] - OP_1 + 1;
  if (!(m >= 1 && m <= 16) || !(n >= 1 && n <= 16) || m > n) throw fail(`${notMultisig} (bad m or n)`);
  const keys = [];
  let i = 1;
  while (i < script.length - 2) {
    const size = script[i];
    if ((size !== 33 && size !== 65) || i + 1 + size > script.length - 2) {
      throw fail('script holds something other than 33- or 65-byte keys');
    }
    const Q = script.slice(i + 1, i + 1 + size);
    if (!isPublicKey(Q)) throw fail(`script key ${keys.length + 1} is not a secp256k1 point`);
    keys.push(Q);
    i += 1 + size;
  }
  if (keys.length !== n) throw fail(`script says ${n} keys but holds ${keys.length}`);
  const distinct = new Set(keys.map((Q) => Q.join(',')));
  if (distinct.size !== n) throw fail('script lists a key twice');
  return { m, keys };
}

// --- BIP-137 signed messages ---------------------------------------------------------------------

/** Bitcoin's CompactSize encoding of n (n < 2^32 here: messages are at most 4096 bytes). */
function varint(n) {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}

/** btc_message.message_digest: z = SHA256d(varstr(magic) || varstr(message)); MAGIC already
 * starts with its length. */
export function messageDigest(message) {
  if (message.length > MAX_MESSAGE_BYTES) throw bad(`message: longer than ${MAX_MESSAGE_BYTES} bytes`);
  return sha256(sha256(concat(MAGIC, varint(message.length), message)));
}

// Header ranges (first byte of the compact signature) and the address type each claims.
const HEADER_KINDS = [
  [39, P2WPKH],
  [35, P2SH_P2WPKH],
  [31, P2PKH],
  [27, P2PKH_UNCOMPRESSED],
];

/** Python 3.11's base64.b64decode(text, validate=True) (binascii.a2b_base64 in strict mode):
 * the decoded bytes, or null where it raises. The alphabet, then "=" padding: none before
 * any data, exactly what completes a partial last quad, and any number after whole quads
 * (ignored); a last quad of one character is refused. */
function strictBase64(text) {
  const m = /^([A-Za-z0-9+/]*)(=*)$/.exec(text);
  if (m === null) return null;
  const [, data, pad] = m;
  const r = data.length % 4;
  if ((data.length === 0 && pad.length > 0) || r === 1) return null;
  if (r !== 0 && pad.length !== 4 - r) return null;
  // Decode the quads; the bits past the last whole byte are dropped, as a2b_base64 does.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const ch of data) {
    acc = ((acc << 6) | ALPHABET.indexOf(ch)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

function base64Encode(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** btc_message.CompactSignature.from_base64: strict, canonical base64 of exactly 65 bytes;
 * {header, rs, recid, compressed, kind}. */
export function parseCompactSignature(text, where = 'signature') {
  if (typeof text !== 'string' || /[^\x00-\x7f]/.test(text)) throw bad(`${where}: expected base64 text`);
  const raw = strictBase64(text);
  if (raw === null) throw bad(`${where}: not valid base64`);
  if (base64Encode(raw) !== text) throw bad(`${where}: not canonical base64`);
  if (raw.length !== 65) throw bad(`${where}: expected 65 bytes, got ${raw.length}`);
  const h = raw[0];
  if (h < 27 || h > 42) throw bad(`${where}: header byte ${h} is not in 27..42`);
  const kind = HEADER_KINDS.find(([base]) => h >= base)[1];
  return { header: h, rs: raw.slice(1), recid: (h - 27) % 4, compressed: h >= 31, kind };
}

/** btc_message.recover_pubkey: Q, serialized as the header says (33 bytes compressed or 65
 * uncompressed); VerificationError when no key recovers. */
export function recoverPubkey(message, sig) {
  const z = messageDigest(message);
  let Q;
  try {
    Q = secp256k1.Signature.fromBytes(sig.rs, 'compact').addRecoveryBit(sig.recid).recoverPublicKey(z);
  } catch {
    throw fail('the signature recovers no public key');
  }
  return Q.toBytes(sig.compressed);
}
