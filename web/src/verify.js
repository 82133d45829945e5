// `solvency verify PROOF --root root.json --pubkey signing.pub` in the browser, after
// cli/verify_cmd.py. Checks, in order, stopping at the first failure:
//   1. the root file's Ed25519 signature (RFC 8032, strict: canonical S and points);
//   2. with a user id given (the CLI's --user): the proof is that user's;
//   3. the root's parameters are the protocol's, and the proof's epoch, assets and height
//      equal the published root's;
//   4. the root in the proof file equals the published root;
//   5. the leaf, recomputed from the user's id, secret and balances, with the siblings gives the
//      root hash and commitments, and every sibling's range proof verifies.
// With a log checkpoint and the epoch's log inclusion proof (section 9.7), a check: the
// checkpoint is signed by the same key and the signed root is an entry of the log's tree.
// With solvency.json, its signature and the reserves file (the CLI's --solvency and --reserves,
// section 11.8; the three go together), a last check as reserves_cmd.check_solvency makes it:
// solvency.json is signed by the root's key, every row of the reserves file proves what it
// claims (reserves.js), and solvency.json's per-asset proofs show that the key-proven
// reserves cover the liabilities in the signed root.
// Reading a file that is not well formed is bad input (status "error", the CLI's exit 2); a
// check that fails is status "failed" (exit 1).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, equalBytes } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { formatSignedUnits, formatUnits, parseInclusionProof, parsePublicKey, parseRoot, parseSignature } from './formats.js';
import { verifyInclusion, verifyMarginInclusion } from './inclusion.js';
import { formatValue } from './margin.js';
import { b64encode, ed25519Verify, parseCheckpoint, parseLogInclusionProof, verifyRootInLog } from './log.js';
import { pyRepr } from './json.js';
import { checkSolvency, parseReserves, reservesJson } from './reserves.js';
import { parseSolvencyProof, reservesDigest, solvencyJson } from './reserves-proof.js';

export const OUTPUT_FORMAT = 'solvency-web-verify-output';

/** circuits.parameters.check_root_parameters: the relations checked here are fixed. */
function checkRootParameters(root) {
  if (root.range_bits !== 64) {
    throw new VerificationError(
      `root parameters: the root declares ${root.range_bits}-bit range proofs; every node is proven in [0, 2^64) (PROTOCOL section 5)`,
    );
  }
}

function compareWithRoot(proof, root) {
  checkRootParameters(root);
  if (proof.epoch !== root.epoch) {
    throw new VerificationError(
      `epoch mismatch: the proof is for epoch ${proof.epoch}, the root is for epoch ${root.epoch}`,
    );
  }
  const sameAssets =
    proof.assets.length === root.assets.length &&
    proof.assets.every((a, k) => a.symbol === root.assets[k].symbol && a.decimals === root.assets[k].decimals);
  if (!sameAssets) throw new VerificationError('assets mismatch: the proof and the root list different assets');
  const mismatch = marginMismatch(proof.margin, root.margin);
  if (mismatch !== null) throw new VerificationError(mismatch);
  if (proof.height !== root.height) {
    throw new VerificationError(`height mismatch: the proof has ${proof.height} levels, the root says ${root.height}`);
  }
  const sameRoot =
    equalBytes(proof.root.hash, root.root.hash) &&
    proof.root.commitments.length === root.root.commitments.length &&
    proof.root.commitments.every((c, k) => equalBytes(c, root.root.commitments[k]));
  if (!sameRoot) throw new VerificationError('root mismatch: the root in the proof file is not the published root');
}

/** VerifyOutcome.margin: the user's collateral and debt values in the quote unit. */
function marginReport(proof) {
  if (proof.margin === null) return null;
  const w = proof.weights;
  let collateral = 0n;
  let owed = 0n;
  proof.balances.forEach((v, k) => {
    if (v > 0n) collateral += w.collateral[k] * v;
    else owed += w.debt[k] * -v;
  });
  return {
    quote: proof.margin.quote,
    collateral_value: formatValue(collateral, proof.assets),
    debt_value: formatValue(owed, proof.assets),
    collateral_checked: false,
    prices: proof.margin.assets.map((m) => ({ symbol: m.symbol, price: m.price, haircut: m.haircut })),
  };
}

/** verify_cmd._margin_mismatch: how the proof's margin parameters differ from the root's. */
function marginMismatch(p, r) {
  if (p === null && r === null) return null;
  if (p === null || r === null) {
    return `margin mismatch: only ${p === null ? 'the root' : 'the proof'} is a margin epoch (file versions differ)`;
  }
  if (p.quote !== r.quote) return "margin mismatch: the proof's quote unit differs from the signed root's";
  const n = Math.min(p.assets.length, r.assets.length);
  for (let k = 0; k < n; k++) {
    const [m, q] = [p.assets[k], r.assets[k]];
    if (m.symbol !== q.symbol || m.price !== q.price || m.haircut !== q.haircut) {
      return `margin mismatch: the price or haircut of ${q.symbol} in the proof file differs from the signed root's`;
    }
  }
  if (p.assets.length !== r.assets.length) return 'margin mismatch: the proof and the signed root list different margin assets';
  return null;
}

const oneLine = (message) => message.split(/\s+/).filter(Boolean).join(' ');

/** SolvencyCheck.verdict: the suffix of the verdict line. */
function solvencyVerdict(proof, report) {
  return (
    `reserves cover at least ${proof.min_ratio_percent}% of the liabilities of every asset ` +
    `(${report.assets.map((a) => a.symbol).join(', ')})`
  );
}

/**
 * Check one proof against the published root. `files` maps proof, root, sig and pubkey (and,
 * optionally together, checkpoint and logProof; and, optionally together, solvency,
 * solvencySig and reserves) to {name, bytes}; the names appear in messages as the CLI prints
 * the paths it was given.
 * `userId`, when given, must be the proof's user (else "user mismatch", as with --user).
 * Returns the outcome; never throws for bad input or a failed check.
 */
export function verifyFiles(files, { userId = null, now = () => performance.now() } = {}) {
  const start = now();
  const outcome = {
    format: OUTPUT_FORMAT,
    version: 1,
    status: 'error',
    error: null,
    file: null,
    user_id: null,
    epoch: null,
    root_hash: null,
    balances: [],
    root_checked: false,
    signature_checked: false,
    key_fingerprint: null,
    user_checked: userId !== null,
    margin: null,
    log_checked: false,
    log: null,
    reserves: null,
    solvency: null,
    // The page's own (not the CLI's): 'reserves' when every check passed but the proof of
    // reserves, so the page can say the balances' inclusion holds.
    failed_check: null,
    verdict: null,
    verify_seconds: 0,
  };
  const done = () => {
    outcome.verify_seconds = (now() - start) / 1000;
    if (outcome.error !== null) {
      outcome.error = oneLine(outcome.error);
      outcome.verdict = `${outcome.status === 'failed' ? 'FAILED' : 'error'}: ${outcome.error}`;
    }
    return outcome;
  };
  for (const key of ['proof', 'root', 'sig', 'pubkey']) {
    if (!files[key]) {
      outcome.error = `missing file: ${{ proof: 'your proof file', root: 'root.json', sig: 'root.json.sig', pubkey: 'signing.pub' }[key]}`;
      outcome.file = key;
      return done();
    }
  }
  if (!files.checkpoint !== !files.logProof) {
    outcome.error = '--checkpoint and --log-proof go together';
    outcome.file = files.checkpoint ? 'logProof' : 'checkpoint';
    return done();
  }
  // verify_cmd's usage check: solvency.json goes with the reserves file (and its .sig, which
  // the CLI finds beside it: missing, it is a file not found).
  if (files.solvency || files.solvencySig || files.reserves) {
    if (!files.solvency || !files.reserves) {
      outcome.error = '--solvency and --reserves go together';
      outcome.file = files.solvency ? 'reserves' : 'solvency';
      return done();
    }
    if (!files.solvencySig) {
      outcome.error = `${files.solvency.name}.sig: No such file or directory`;
      outcome.file = 'solvencySig';
      return done();
    }
  }
  let proof;
  let root;
  let pk;
  let sig;
  let checkpoint = null;
  let logProof = null;
  let solvency = null;
  let stage = 'proof';
  try {
    proof = parseInclusionProof(files.proof.bytes);
    outcome.user_id = proof.user_id;
    outcome.epoch = proof.epoch;
    outcome.balances = proof.assets.map((a, k) => {
      const v = proof.balances[k];
      if (proof.margin === null) return { symbol: a.symbol, amount: formatUnits(v, a.decimals), units: v.toString() };
      return {
        symbol: a.symbol,
        amount: formatSignedUnits(v, a.decimals),
        units: v.toString(),
        equity: formatUnits(v > 0n ? v : 0n, a.decimals),
        debt: formatUnits(v < 0n ? -v : 0n, a.decimals),
      };
    });
    outcome.margin = marginReport(proof);
    stage = 'root';
    root = parseRoot(files.root.bytes);
    outcome.root_hash = bytesToHex(root.root.hash);
    outcome.root_checked = true;
    stage = 'pubkey';
    pk = parsePublicKey(files.pubkey.bytes, files.pubkey.name);
    stage = 'sig';
    sig = parseSignature(files.sig.bytes, files.sig.name);
    if (files.checkpoint) {
      stage = 'checkpoint';
      checkpoint = parseCheckpoint(files.checkpoint.bytes, files.checkpoint.name);
      stage = 'logProof';
      logProof = parseLogInclusionProof(files.logProof.bytes);
      // Sizes and origins are compared before any check: a mismatch is bad input.
      if (logProof.origin !== checkpoint.origin || logProof.treeSize !== checkpoint.size) {
        throw new MalformedInputError(
          `--log-proof: it is for log ${pyRepr(logProof.origin)} at size ${logProof.treeSize}, ` +
            `the checkpoint is ${pyRepr(checkpoint.origin)} at size ${checkpoint.size}`,
        );
      }
    }
    if (files.solvency) {
      // reserves_cmd.load_solvency: solvency.json, its signature, the reserves file, strictly.
      stage = 'solvency';
      const proofFile = parseSolvencyProof(files.solvency.bytes);
      stage = 'solvencySig';
      const signature = parseSignature(files.solvencySig.bytes, files.solvencySig.name);
      stage = 'reserves';
      const reserves = parseReserves(files.reserves.bytes, files.reserves.name);
      solvency = { proof: proofFile, signature, reserves, digest: reservesDigest(files.reserves.bytes) };
    }
  } catch (e) {
    if (!(e instanceof MalformedInputError)) throw e;
    outcome.error = e.message;
    outcome.file = stage;
    return done();
  }
  // Before the solvency step, bad input found while checking can only be the log proof's.
  stage = 'logProof';
  try {
    // 1. Ed25519.Verify(pk, root.json bytes, sig)
    if (!ed25519Verify(sig, files.root.bytes, pk)) {
      throw new VerificationError(`signature: ${files.root.name} is not signed by the key in ${files.pubkey.name}`);
    }
    outcome.signature_checked = true;
    outcome.key_fingerprint = bytesToHex(sha256(pk));
    // 2. The proof is the user's own.
    if (userId !== null && proof.user_id !== userId) {
      throw new VerificationError(`user mismatch: this proof is for user ${pyRepr(proof.user_id)}, not ${pyRepr(userId)}`);
    }
    // 3, 4. The proof belongs to this published root.
    compareWithRoot(proof, root);
    // 5. The leaf is under the root and every sibling is range-proven.
    if (proof.margin === null) verifyInclusion(proof, root.root.hash, root.root.commitments);
    else verifyMarginInclusion(proof, root.root.hash, root.root.commitments);
    // 6. The signed root is an entry of the log the checkpoint commits to.
    if (checkpoint !== null) {
      verifyRootInLog(checkpoint, pk, logProof, files.root.bytes, root.epoch);
      outcome.log_checked = true;
      outcome.log = {
        checkpoint: {
          origin: checkpoint.origin,
          tree_size: Number(checkpoint.size),
          root_hash: b64encode(checkpoint.rootHash),
          sha256: bytesToHex(sha256(files.checkpoint.bytes)),
          text: checkpoint.text,
        },
        leaf_index: Number(logProof.leafIndex),
        tree_size: Number(logProof.treeSize),
      };
    }
    // 7. reserves_cmd.check_solvency: solvency.json's signature under the root's key, the
    // reserves file's rows (each one's ownership; key-proven and custodial totals apart), then
    // the per-asset proofs that the key-proven reserves cover the liabilities (section 11.8).
    if (solvency !== null) {
      // Bad input found here is the reserves file's (a row of an asset the root does not
      // list, a total past 2^64 - 1).
      stage = 'reserves';
      const { proof: p, signature, reserves, digest } = solvency;
      solvency.report = checkSolvency(files.solvency.bytes, p, signature, pk, root, reserves, digest);
      outcome.reserves = reservesJson(solvency.report, digest);
      outcome.solvency = solvencyJson(p, root, solvency.report);
    }
  } catch (e) {
    if (e instanceof MalformedInputError) {
      // Bad input found while checking (the CLI's exit 2): a log path of the wrong length, a
      // reserves row for an asset the root does not list, totals past 2^64 - 1.
      outcome.error = e.message;
      outcome.file = stage;
      return done();
    }
    if (!(e instanceof VerificationError)) throw e;
    outcome.status = 'failed';
    if (stage === 'reserves') outcome.failed_check = 'reserves';
    outcome.error = e.message;
    return done();
  }
  outcome.status = 'verified';
  if (outcome.margin !== null) outcome.margin.collateral_checked = true;
  outcome.verdict =
    `VERIFIED: the balances of user ${pyRepr(proof.user_id)} are included in the published root ` +
    `of epoch ${proof.epoch}, signed by key ${outcome.key_fingerprint.slice(0, 16)}` +
    (proof.margin === null ? '' : '; their haircut collateral covers their debt (collateral proof checked)') +
    (outcome.log === null
      ? ''
      : `, and that root is entry ${outcome.log.leaf_index} of the log ${outcome.log.checkpoint.origin} ` +
        `(checkpoint size ${outcome.log.checkpoint.tree_size})`) +
    (solvency === null ? '' : `; ${solvencyVerdict(solvency.proof, solvency.report)}`);
  return done();
}
