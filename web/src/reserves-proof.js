// solvency.json, the signed proof that reserves cover liabilities (docs/PROTOCOL.md sections
// 11.7, 11.8), after files/reserves_proof.py and epoch/reserves.py's verify_reserves_proof.
// Reading it is strict (header, then the schema reserves-proof-v1.json, then what a schema
// cannot say, with the Python's messages). Checking it binds it to the signed root, the root's
// key (solvency.json.sig) and a checked reserves file, then runs the relation of 11.6 per asset.
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, hexToBytes } from './bytes.js';
import { verifyCover } from './coverage.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { Point, isValidPoint } from './group.js';
import { JsonFloat, parseJson, pyRepr } from './json.js';
import { ed25519Verify } from './log.js';
import { formatUnits } from './formats.js';
import { firstError } from './schema.js';
import { RESERVES_PROOF_V1 } from './schemas.gen.js';

export const RESERVES_PROOF_FORMAT = 'solvency-reserves-proof';
export const LIABILITIES_ROOT = 'root-commitment';
export const LIABILITIES_NET = 'equity-minus-debt';
const SCHEMA = parseJson(RESERVES_PROOF_V1);
const MAX_UNITS = 2n ** 64n - 1n;
const bad = (msg) => new MalformedInputError(msg);
const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof JsonFloat);

/** ReservesProofFile.loads: the parsed file (units and ratio as bigints, hex as bytes). */
export function parseSolvencyProof(data) {
  const d = parseJson(data);
  if (isObject(d) && d.format === RESERVES_PROOF_FORMAT && typeof d.version === 'bigint' && d.version !== 1n) {
    throw bad(`version: ${RESERVES_PROOF_FORMAT} version ${d.version} is not supported (this release reads version 1)`);
  }
  const error = firstError(SCHEMA, d);
  if (error !== null) throw bad(error);
  const assets = d.assets.map((a, i) => {
    // AssetCover.__post_init__
    try {
      for (const name of ['reserves_units', 'custodial_units']) {
        if (BigInt(a[name]) > MAX_UNITS) throw bad(`${a.symbol}.${name}: expected units in [0, 2^64)`);
      }
      if (!isValidPoint(hexToBytes(a.C_hi))) throw bad(`${a.symbol}.C_hi: not a canonical ristretto255 point`);
    } catch (e) {
      throw bad(`assets[${i}]: ${e.message}`);
    }
    return {
      symbol: a.symbol,
      reserves_units: BigInt(a.reserves_units),
      custodial_units: BigInt(a.custodial_units),
      C_hi: hexToBytes(a.C_hi),
      proof: hexToBytes(a.proof),
    };
  });
  if (new Set(assets.map((a) => a.symbol)).size !== assets.length) throw bad('assets: a symbol appears twice');
  return {
    epoch: d.epoch,
    root_hash: hexToBytes(d.root_hash),
    exchange: d.exchange,
    created: d.created,
    tool: d.tool,
    liabilities: d.liabilities,
    min_ratio_percent: d.min_ratio_percent,
    reserves_sha256: hexToBytes(d.reserves_sha256),
    assets,
  };
}

/** epoch.reserves.liability_commitments: how C_a is taken from the root, and C_a per asset. */
export function liabilityCommitments(root) {
  const a = root.assets.length;
  const C = root.root.commitments;
  if (C.length === a) return { how: LIABILITIES_ROOT, C_a: C };
  if (C.length === 2 * a) {
    // N_a = E_a(root) - F_a(root)
    const net = [];
    for (let k = 0; k < a; k++) net.push(Point.fromBytes(C[k]).subtract(Point.fromBytes(C[a + k])).toBytes());
    return { how: LIABILITIES_NET, C_a: net };
  }
  throw bad(`the root has ${C.length} commitments for ${a} assets`);
}

/**
 * reserves_cmd.check_solvency after its reserves step: solvency.json's signature under the
 * root's key, then epoch.reserves.verify_reserves_proof against the checked reserves file's
 * `report` ({exchange, assets: [{symbol, proven_units, custodial_units}]} in the root's order)
 * and its bytes' SHA-256. VerificationError at the first check that fails.
 */
export function checkSolvencyProof(proofBytes, proof, signature, publicKey, root, report, reservesSha256) {
  if (!ed25519Verify(signature, proofBytes, publicKey)) {
    throw new VerificationError("solvency.json is not signed by the root's key");
  }
  verifySolvencyProof(proof, root, report, reservesSha256);
}

/** epoch.reserves.verify_reserves_proof. */
export function verifySolvencyProof(proof, root, report, reservesSha256) {
  if (proof.epoch !== root.epoch) {
    throw new VerificationError(`the solvency proof is for epoch ${proof.epoch}, the root is for epoch ${root.epoch}`);
  }
  if (!equalBytes(proof.root_hash, root.root.hash)) throw new VerificationError('the solvency proof is for another root of this epoch');
  if (!equalBytes(proof.reserves_sha256, reservesSha256)) throw new VerificationError('the solvency proof was made for another reserves file');
  if (proof.exchange !== report.exchange) {
    throw new VerificationError(
      `the solvency proof names exchange ${pyRepr(proof.exchange)}, the reserves file ${report.exchange === null ? 'None' : pyRepr(report.exchange)}`,
    );
  }
  const { how, C_a } = liabilityCommitments(root);
  if (proof.liabilities !== how) throw new VerificationError(`the solvency proof takes liabilities as ${pyRepr(proof.liabilities)}`);
  const symbols = root.assets.map((a) => a.symbol);
  if (proof.assets.map((a) => a.symbol).join('\0') !== symbols.join('\0') || proof.assets.length !== symbols.length) {
    throw new VerificationError('the solvency proof lists other assets than the root');
  }
  proof.assets.forEach((cover, k) => {
    const a = report.assets[k];
    if (cover.reserves_units !== a.proven_units) {
      throw new VerificationError(
        `${cover.symbol}: the solvency proof claims ${cover.reserves_units} units of key-proven reserves, the reserves file proves ${a.proven_units}`,
      );
    }
    if (cover.custodial_units !== a.custodial_units) throw new VerificationError(`${cover.symbol}: the custodial total differs from the file's`);
    verifyCover(
      {
        epoch: root.epoch,
        rootHash: root.root.hash,
        assetIndex: k,
        symbol: cover.symbol,
        reserves: a.proven_units,
        ratioPercent: proof.min_ratio_percent,
        C_a: C_a[k],
      },
      cover.C_hi,
      cover.proof,
    );
  });
}

/** The SHA-256 the proof binds: of the reserves file's bytes as given. */
export function reservesDigest(bytes) {
  return sha256(bytes);
}

/** SolvencyCheck.to_json (the user's view: no liabilities, so no ratio per asset). */
export function solvencyJson(proof, root, report) {
  return {
    min_ratio_percent: Number(proof.min_ratio_percent),
    assets: report.assets.map((a, k) => ({
      symbol: a.symbol,
      reserves: formatUnits(a.proven_units, root.assets[k].decimals),
      reserves_units: a.proven_units.toString(),
      covered: true,
      ratio_percent: null,
    })),
  };
}
