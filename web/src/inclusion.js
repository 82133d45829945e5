// What a user checks: their leaf is in the tree under the signed root (docs/PROTOCOL.md
// sections 3-6; DAPOL+ section 4.3), after circuits/{inclusion,node,range}.py.
//
//     r_k      = int_le(HKDF(user_secret, salt=b"solvency/v1/blinding", info=LE32(k), 64)) mod l
//     leaf_id  = SHA256(b"solvency/v1/leaf-id" || LE32(|uid|) || uid || user_secret)
//     leaf:      C_k = Com(v_k, r_k),  h = SHA256(b"solvency/v1/leaf" || leaf_id || C_0 .. C_{a-1})
//     internal:  C_k = C_k(L) + C_k(R), h = SHA256(b"solvency/v1/node" || C(L) || h(L) || C(R) || h(R))
//
// Going up from the leaf, the sibling at level i is on the left when bit i of the position is
// set. The user accepts when h_H and C_H equal the signed root and every sibling's range proof
// (one aggregated Bulletproof per node, transcript bound to epoch, level and index) verifies:
// all H in one batch.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToBigLE, concat, equalBytes, le32, utf8 } from './bytes.js';
import { RangeProof, verifyBatch } from './bulletproofs.js';
import { MalformedInputError, NodeProofError, VerificationError } from './errors.js';
import { IDENTITY_BYTES, Point, commit, mod } from './group.js';
import { Transcript } from './merlin.js';
import { verifyCollateral } from './margin.js';

export const RANGE_BITS = 64;
const TAG_LEAF = utf8('solvency/v1/leaf');
const TAG_NODE = utf8('solvency/v1/node');
const TAG_LEAF_ID = utf8('solvency/v1/leaf-id');
const TAG_MARGIN_LEAF = utf8('solvency/v2/margin-leaf');
const SALT_BLINDING = utf8('solvency/v1/blinding');

export function blinding(userSecret, k) {
  return mod(bytesToBigLE(hkdf(sha256, userSecret, SALT_BLINDING, le32(k), 64)));
}

export function leafId(userId, userSecret) {
  const uid = utf8(userId);
  return sha256(concat(TAG_LEAF_ID, le32(uid.length), uid, userSecret));
}

/** (C_0..C_{a-1}, h) of the user's leaf, from the user's own data. */
export function leafNode(userId, userSecret, balances) {
  const C = balances.map((v, k) => commit(v, blinding(userSecret, k)).toBytes());
  return { C, h: sha256(concat(TAG_LEAF, leafId(userId, userSecret), ...C)) };
}

/** A margin leaf (section 10.3): E_k = Com(e_k, r_k), F_k = Com(d_k, r_{a+k}), its own tag. */
export function marginLeafNode(userId, userSecret, equity, debt) {
  const values = [...equity, ...debt];
  const C = values.map((v, j) => commit(v, blinding(userSecret, j)).toBytes());
  return { C, h: sha256(concat(TAG_MARGIN_LEAF, leafId(userId, userSecret), ...C)) };
}

export function parent(left, right) {
  return {
    C: left.C.map((c, k) => Point.fromBytes(c).add(Point.fromBytes(right.C[k])).toBytes()),
    h: sha256(concat(TAG_NODE, ...left.C, left.h, ...right.C, right.h)),
  };
}

export function nodeTranscript(epoch, level, index) {
  const T = new Transcript('solvency/v1/node-range');
  T.appendMessage('epoch', utf8(epoch));
  T.appendU64('level', level);
  T.appendU64('index', index);
  return T;
}

/** C_0..C_{a-1} then m - a identities Com(0, 0), m = a rounded up to a power of two. */
export function paddedCommitments(C) {
  let m = 1;
  while (m < C.length) m *= 2;
  return [...C, ...Array(m - C.length).fill(IDENTITY_BYTES)];
}

const isCheckError = (e) => e instanceof VerificationError || e instanceof MalformedInputError;

function batchItem(epoch, item) {
  return {
    proof: RangeProof.fromBytes(item.proof),
    commitments: paddedCommitments(item.commitments),
    bits: RANGE_BITS,
    transcript: nodeTranscript(epoch, item.level, item.index),
  };
}

export function verifyNode(epoch, item) {
  const where = `range proof of node (level ${item.level}, index ${item.index})`;
  let batch;
  try {
    batch = [batchItem(epoch, item)];
  } catch (e) {
    if (isCheckError(e)) throw new NodeProofError(`${where} is malformed`, item.level, item.index);
    throw e;
  }
  try {
    verifyBatch(batch);
  } catch (e) {
    if (isCheckError(e)) throw new NodeProofError(`${where} does not verify`, item.level, item.index);
    throw e;
  }
}

/** One batch; when it fails, node by node so the error names the first node at fault. */
export function verifyNodesBatch(epoch, items) {
  if (items.length === 0) return;
  try {
    verifyBatch(items.map((item) => batchItem(epoch, item)));
    return;
  } catch (e) {
    if (!isCheckError(e)) throw e;
  }
  for (const item of items) verifyNode(epoch, item);
  // The batch failed but every proof passes alone: only a random weight can explain it.
  throw new VerificationError('range proof batch does not verify');
}

/** circuits.inclusion.verify_inclusion on a parsed proof; raises VerificationError. */
export function verifyInclusion(proof, rootHash, rootCommitments) {
  checkPath(leafNode(proof.user_id, proof.user_secret, proof.balances), proof, rootHash, rootCommitments);
}

/** circuits.inclusion.verify_margin_inclusion (section 10.6): the margin leaf of the user's
 * equity and debt on the path, then the collateral proofs of the user's leaf and of the
 * leaf-level sibling (every stored leaf carries one). */
export function verifyMarginInclusion(proof, rootHash, rootCommitments) {
  const equity = proof.balances.map((v) => (v > 0n ? v : 0n));
  const debt = proof.balances.map((v) => (v < 0n ? -v : 0n));
  checkPath(marginLeafNode(proof.user_id, proof.user_secret, equity, debt), proof, rootHash, rootCommitments, (leaf) => {
    const position = BigInt(proof.position);
    // sum_k a_k e_k - sum_k b_k d_k >= 0 on the user's own leaf ...
    try {
      verifyCollateral(proof.epoch, position, leaf.C, proof.weights, proof.collateral.cHi, proof.collateral.proof);
    } catch (e) {
      if (e instanceof VerificationError) throw new VerificationError(`your ${e.message}`);
      throw e;
    }
    // ... and on the leaf-level sibling's
    try {
      const sib = proof.siblingCollateral;
      verifyCollateral(proof.epoch, position ^ 1n, proof.path[0].commitments, proof.weights, sib.cHi, sib.proof);
    } catch (e) {
      if (e instanceof VerificationError) throw new VerificationError(`sibling ${e.message}`);
      throw e;
    }
  });
}

function checkPath(leaf, proof, rootHash, rootCommitments, afterPath = () => {}) {
  let node = leaf;
  const position = BigInt(proof.position);
  proof.path.forEach((step, level) => {
    const sib = { C: step.commitments, h: step.hash };
    node = (position >> BigInt(level)) & 1n ? parent(sib, node) : parent(node, sib);
  });
  // h_H == root hash
  if (!equalBytes(node.h, rootHash)) {
    throw new VerificationError('root hash mismatch: the path does not lead to the signed root');
  }
  node.C.forEach((C_k, k) => {
    // C_H,k == root commitment k
    if (!equalBytes(C_k, rootCommitments[k])) throw new VerificationError(`root commitment ${k} mismatch`);
  });
  const items = proof.path.map((step, level) => ({
    level,
    index: (position >> BigInt(level)) ^ 1n,
    commitments: step.commitments,
    proof: step.range_proof,
  }));
  try {
    verifyNodesBatch(proof.epoch, items);
  } catch (e) {
    if (e instanceof NodeProofError) {
      throw new VerificationError(`sibling range proof at level ${e.level} does not verify`);
    }
    throw e;
  }
  afterPath(leaf);
}
