// The epoch log (docs/PROTOCOL.md section 9), what a user checks with `solvency verify ...
// --checkpoint C --log-proof P` (9.7), after files/checkpoint.py, files/logfiles.py,
// circuits/tlog.py and epoch/logverify.py:
//
//   C, a C2SP signed note of a tlog-checkpoint (9.3), verifies under the exchange's key:
//       key_id = SHA-256(origin || 0x0A || 0x01 || pk)[:4],  Ed25519.Verify(pk, body, sig);
//   P is for C's origin and size; root.json's epoch is P's; Ed25519.Verify(pk, root.json,
//   P.root_signature); and the RFC 9162 leaf of d = "solvency/v1/log-entry" || LE32(|root.json|)
//   || root.json || sig, at P.leaf_index with P.path, recomputes C's root (2.1.3.2):
//       leaf = SHA-256(0x00 || d),  node = SHA-256(0x01 || left || right).
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToBigLE, concat, equalBytes, hexToBytes, le32, utf8 } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { JsonFloat, badUtf8, parseJson, pyRepr } from './json.js';

const bad = (msg) => new MalformedInputError(msg);
const MAX_TREE_SIZE = 2n ** 64n - 1n;
const MAX_CHECKPOINT_BYTES = 64 * 1024;
const MAX_LINE_CHARS = 1024;
const MAX_SIGNATURES = 100;
const MAX_PATH = 128;
const SIGNATURE_PREFIX = '\u2014 ';
const LOG_INCLUSION_FORMAT = 'solvency-log-inclusion-proof';

function b64decode(text, where) {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4) throw bad(`${where}: not padded standard base64`);
  let raw;
  try {
    raw = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw bad(`${where}: not padded standard base64`);
  }
  if (b64encode(raw) !== text) throw bad(`${where}: not canonical base64`);
  return raw;
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

const hasControl = (s) => [...s].some((ch) => ch.codePointAt(0) < 0x20 || ch.codePointAt(0) === 0x7f);

/** checkpoint.check_key_name */
function checkKeyName(value, where) {
  if (typeof value !== 'string' || !/^[^\s+]+$/u.test(value)) throw bad(`${where}: expected a non-empty name without spaces or '+'`);
  if (hasControl(value)) throw bad(`${where}: contains a control character`);
  return value;
}

function checkLine(value, where) {
  if (value === '') throw bad(`${where}: expected a non-empty line`);
  if (value !== value.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, '') || value.includes('\n')) {
    throw bad(`${where}: no surrounding spaces or newlines allowed`);
  }
  if ([...value].length > MAX_LINE_CHARS) throw bad(`${where}: longer than ${MAX_LINE_CHARS} characters`);
  if (hasControl(value)) throw bad(`${where}: contains a control character`);
  if (value.startsWith('\u2014')) throw bad(`${where}: must not start with an em dash`);
}

/** SignedCheckpoint.from_bytes: strict C2SP signed note; errors name the line at fault. */
export function parseCheckpoint(data, where) {
  if (data.length > MAX_CHECKPOINT_BYTES) throw bad(`${where}: larger than ${MAX_CHECKPOINT_BYTES} bytes`);
  const badByte = badUtf8(data);
  if (badByte >= 0) throw bad(`${where}: not UTF-8 (byte ${badByte})`);
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(data);
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (ch !== '\n' && (cp < 0x20 || cp === 0x7f)) {
      throw bad(`${where}: contains the control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
    }
  }
  if (!text.endsWith('\n')) throw bad(`${where}: does not end with a newline`);
  const cut = text.indexOf('\n\n');
  if (cut < 0) throw bad(`${where}: no blank line before the signatures`);
  const body = text.slice(0, cut);
  const sigs = text.slice(cut + 2);
  const lines = body.split('\n');
  if (lines.length < 3) throw bad(`${where}: expected origin, tree size and root hash lines, got ${lines.length}`);
  const [origin, sizeText, hashText, ...extensions] = lines;
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeText)) throw bad(`${where}: line 2: the tree size must be decimal digits without leading zeros`);
  const size = BigInt(sizeText);
  if (size > MAX_TREE_SIZE) throw bad(`${where}: line 2: tree size larger than 2^64 - 1`);
  const rootHash = b64decode(hashText, `${where}: line 3 (root hash)`);
  if (rootHash.length !== 32) throw bad(`${where}: line 3: the root hash must be 32 bytes, got ${rootHash.length}`);
  try {
    checkLine(origin, 'checkpoint origin');
    extensions.forEach((ext, i) => checkLine(ext, `checkpoint extension line ${i + 1}`));
  } catch (e) {
    throw bad(`${where}: ${e.message}`);
  }
  const signatures = [];
  const sigLines = sigs.slice(0, -1).split('\n');
  const first = lines.length + 2;
  sigLines.forEach((line, j) => {
    const w = `${where}: line ${first + j}`;
    if (!line.startsWith(SIGNATURE_PREFIX)) throw bad(`${w}: a signature line starts with an em dash and a space`);
    const parts = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (parts.length !== 2) throw bad(`${w}: expected '— <key name> <base64 signature>'`);
    const [name, blobText] = parts;
    const blob = b64decode(blobText, `${w} (signature)`);
    if (blob.length !== 68) throw bad(`${w}: an Ed25519 signature is 4 + 64 bytes, got ${blob.length}`);
    try {
      checkKeyName(name, 'signature key name');
    } catch (e) {
      throw bad(`${w}: ${e.message}`);
    }
    signatures.push({ name, keyId: blob.slice(0, 4), signature: blob.slice(4) });
  });
  if (signatures.length > MAX_SIGNATURES) throw bad(`${where}: checkpoint: more than ${MAX_SIGNATURES} signature lines`);
  const seen = new Set();
  for (const s of signatures) {
    const k = `${s.name} ${[...s.keyId].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    if (seen.has(k)) throw bad(`${where}: checkpoint: two signature lines of key ${k}`);
    seen.add(k);
  }
  return { origin, size, rootHash, body: utf8(body + '\n'), signatures, text };
}

function keyId(name, pk) {
  return sha256(concat(utf8(name), Uint8Array.of(0x0a, 0x01), pk)).slice(0, 4);
}

/** SignedCheckpoint.verify: the line of this key, named as the origin, verifies over the body. */
function verifyCheckpoint(cp, pk) {
  const kid = keyId(cp.origin, pk);
  const mine = cp.signatures.filter((s) => s.name === cp.origin && equalBytes(s.keyId, kid));
  if (mine.length === 0) {
    const hex = [...kid].map((b) => b.toString(16).padStart(2, '0')).join('');
    throw new VerificationError(`checkpoint: not signed by the given key (no signature line of key ${cp.origin} ${hex})`);
  }
  if (!ed25519Verify(mine[0].signature, cp.body, pk)) {
    throw new VerificationError('checkpoint: the signature of the given key does not verify');
  }
}

/**
 * Ed25519.Verify(A, M, (R, s)) exactly as the Python verifier (crypto/ed25519.py, libsodium's
 * crypto_sign_verify_detached) decides it, RFC 8032 5.1.7 with libsodium's refusals:
 *   A and R canonical encodings of points, neither of small order ([8]P = 0), s < l, and
 *   [s]B - [k]A == R as encodings, k = SHA-512(R || A || M) mod l (cofactorless).
 * noble's verify alone (zip215: false) checks the cofactored [8]([s]B - R - [k]A) = 0 and
 * allows R of small order: under a key with a torsion part, or with such an R, it accepts
 * signatures libsodium refuses, and the page must not say "verified" where the CLI does not.
 * It runs first; the rest only narrows what it accepts. Variable-time: all public data.
 */
export function ed25519Verify(sig, msg, pk) {
  try {
    if (sig.length !== 64 || pk.length !== 32) return false;
    if (!ed25519.verify(sig, msg, pk, { zip215: false })) return false;
    const Rbytes = sig.subarray(0, 32);
    const A = ed25519.Point.fromBytes(pk, false);
    const R = ed25519.Point.fromBytes(Rbytes, false);
    if (A.isSmallOrder() || R.isSmallOrder()) return false;
    const n = ed25519.Point.Fn.ORDER;
    const s = bytesToBigLE(sig.subarray(32));
    if (s >= n) return false;
    const k = bytesToBigLE(sha512(concat(Rbytes, pk, msg))) % n;
    // [s]B - [k]A == R, compared as encodings
    const check = ed25519.Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
    return equalBytes(check.toBytes(), Rbytes);
  } catch {
    return false;
  }
}

const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof JsonFloat);

/** LogInclusionProof.loads (section 9.5), with logfiles' hand-written checks and messages. */
export function parseLogInclusionProof(data) {
  const d = parseJson(data);
  if (!isObject(d)) throw bad('document: expected a JSON object');
  if (!('format' in d)) throw bad("document: missing key 'format'");
  if (d.format !== LOG_INCLUSION_FORMAT) throw bad(`format: expected ${pyRepr(LOG_INCLUSION_FORMAT)}`);
  if (!('version' in d)) throw bad("document: missing key 'version'");
  if (typeof d.version !== 'bigint') throw bad('version: expected an integer');
  if (d.version !== 1n) {
    throw bad(`version: ${LOG_INCLUSION_FORMAT} version ${d.version} is not supported (this release reads version 1)`);
  }
  const keys = ['format', 'version', 'origin', 'epoch', 'leaf_index', 'tree_size', 'root_signature', 'path'];
  for (const k of Object.keys(d).sort()) if (!keys.includes(k)) throw bad(`document: unknown key ${pyRepr(k)}`);
  for (const k of keys) if (!(k in d)) throw bad(`document: missing key ${pyRepr(k)}`);
  if (typeof d.origin !== 'string') throw bad('origin: expected a string');
  const hex = (value, where, n) => {
    if (typeof value !== 'string') throw bad(`${where}: expected a hex string`);
    if (!/^(?:[0-9a-f]{2})*$/.test(value)) throw bad(`${where}: expected lowercase hex digits, an even number`);
    if (value.length !== 2 * n) throw bad(`${where}: expected ${2 * n} hex digits (${n} bytes)`);
    return hexToBytes(value);
  };
  const rootSignature = hex(d.root_signature, 'root_signature', 64);
  if (!Array.isArray(d.path)) throw bad('path: expected a list');
  if (d.path.length > MAX_PATH) throw bad(`path: more than ${MAX_PATH} hashes`);
  const path = d.path.map((h, i) => hex(h, `path[${i}]`, 32));
  // __post_init__
  checkKeyName(d.origin, 'origin');
  if ([...d.origin].length > 256) throw bad('origin: longer than 256 characters');
  if (typeof d.epoch !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(d.epoch)) {
    throw bad('epoch: expected 1-64 characters of A-Z a-z 0-9 . _ : -');
  }
  const int = (value, where, lo, hi) => {
    if (typeof value !== 'bigint') throw bad(`${where}: expected an integer`);
    if (value < lo || value > hi) throw bad(`${where}: must be in ${lo}..${hi}`);
    return value;
  };
  const treeSize = int(d.tree_size, 'tree_size', 1n, MAX_TREE_SIZE);
  const leafIndex = int(d.leaf_index, 'leaf_index', 0n, treeSize - 1n);
  return { origin: d.origin, epoch: d.epoch, leafIndex, treeSize, rootSignature, path };
}

const split = (n) => 1n << BigInt((n - 1n).toString(2).length - 1);

/** tlog.inclusion_path_length: the hashes PATH(m, D[n]) holds. */
function inclusionPathLength(m, n) {
  let count = 0;
  let lo = 0n;
  let hi = n;
  while (hi - lo > 1n) {
    const k = split(hi - lo);
    if (m - lo < k) hi = lo + k;
    else lo += k;
    count += 1;
  }
  return count;
}

const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

/** RFC 9162 section 2.1.3.2 (tlog.verify_inclusion). */
function verifyTlogInclusion(leaf, index, treeSize, path, root) {
  const expected = inclusionPathLength(index, treeSize);
  if (path.length !== expected) {
    throw bad(`inclusion path: expected ${expected} hashes for leaf ${index} of a tree of size ${treeSize}, got ${path.length}`);
  }
  let fn = index;
  let sn = treeSize - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new VerificationError('inclusion proof: the path is longer than the tree');
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      while (fn !== 0n && !(fn & 1n)) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n || !equalBytes(r, root)) throw new VerificationError('inclusion proof: not in the tree');
}

/** epoch.logverify.verify_root_in_log, after the caller compared origin and size. */
export function verifyRootInLog(cp, pk, proof, rootJson, rootEpoch) {
  verifyCheckpoint(cp, pk);
  if (rootEpoch !== proof.epoch) {
    throw new VerificationError(`log proof: it is for epoch ${pyRepr(proof.epoch)}, root.json is epoch ${pyRepr(rootEpoch)}`);
  }
  if (!ed25519Verify(proof.rootSignature, rootJson, pk)) {
    throw new VerificationError('log proof: the root signature it carries does not verify over root.json');
  }
  const entry = concat(utf8('solvency/v1/log-entry'), le32(rootJson.length), rootJson, proof.rootSignature);
  try {
    verifyTlogInclusion(leafHash(entry), proof.leafIndex, proof.treeSize, proof.path, cp.rootHash);
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    throw new VerificationError(
      `log: the root of epoch ${pyRepr(rootEpoch)} is not in the log at checkpoint size ${cp.size} (entry ${proof.leafIndex}): this root was not published to everyone`,
    );
  }
}
