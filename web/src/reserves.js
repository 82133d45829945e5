// Proof of reserves in the browser: a reserves file checked against the signed root
// (docs/PROTOCOL.md section 11), after src/solvency/epoch/reserves.py's verify_reserves without
// a balance snapshot (a browser user has none), and the order in which `solvency verify
// --solvency solvency.json --reserves reserves.csv` checks (cli/reserves_cmd.py check_solvency).
//
// verifyReserves checks, stopping at the first failure (VerificationError naming the row):
//   1. every row's asset is an asset of the root (else bad input, naming the row);
//   2. no (asset, chain, address) appears twice (EVM addresses compared case-blind; on a
//      Bitcoin chain, per (chain, address) whatever the asset);
//   3. the rows of one chain share one snapshot (height and block hash);
//   4. every key-proven row's message is the ownership message of this exchange, epoch and
//      root (section 11.1), and its signatures prove the address (ownership.js).
// It returns per asset the key-proven total R_a and, apart, the custodial total.
import { bytesToHex } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { formatUnits } from './formats.js';
import { ed25519Verify } from './log.js';
import { pyRepr } from './json.js';
import { BITCOIN_CHAINS, CUSTODIAL, addressKey, checkOwnership } from './ownership.js';
import { verifySolvencyProof } from './reserves-proof.js';
import { ownershipMessage, parseOwnershipMessage, parseReserves, rowUnits, rowWhere } from './reserves-csv.js';

export { parseReserves };

const MAX_UNITS = 2n ** 64n - 1n;

/**
 * epoch.reserves.verify_reserves(reserves, root) without a snapshot. `reservesFile` is what
 * parseReserves returned, `root` what formats.parseRoot returned (its signature already
 * checked). Returns the report
 *   {exchange, epoch, root_hash,
 *    assets: [{symbol, decimals, proven_units, custodial_units, proven_rows, custodial_rows}],
 *    rows: [{row, ownership: {scheme, address_type, signers, required, key_proven}, units}]}
 * with assets in the root's order and units as BigInts; `exchange` is null when no row is
 * key-proven. VerificationError (exit 1) or MalformedInputError (exit 2) otherwise, with the
 * Python's message.
 */
export function verifyReserves(reservesFile, root) {
  const assets = new Map(root.assets.map((a) => [a.symbol, a]));
  const rows = reservesFile.rows;
  const units = rows.map((r) => {
    if (!assets.has(r.asset)) {
      throw new MalformedInputError(`${rowWhere(r)}, column asset: ${pyRepr(r.asset)} is not an asset of epoch ${root.epoch}'s root`);
    }
    return rowUnits(r, assets.get(r.asset).decimals);
  });
  checkUnique(rows);
  checkSnapshots(rows);
  const exchange = exchangeOf(rows);
  const expected = exchange !== null ? ownershipMessage(exchange, root.epoch, root.root.hash) : '';
  const outcomes = rows.map((r, i) => ({ row: r, ownership: checkOwnership(r, expected), units: units[i] }));
  const totals = root.assets.map((a) => {
    const mine = outcomes.filter((o) => o.row.asset === a.symbol);
    const proven = mine.filter((o) => o.ownership.key_proven).map((o) => o.units);
    const custodial = mine.filter((o) => !o.ownership.key_proven).map((o) => o.units);
    const sum = (xs) => xs.reduce((x, y) => x + y, 0n);
    if (sum(proven) > MAX_UNITS || sum(custodial) > MAX_UNITS) {
      throw new MalformedInputError(`reserves of ${a.symbol}: the total exceeds 2^64 - 1 units`);
    }
    return {
      symbol: a.symbol,
      decimals: a.decimals,
      proven_units: sum(proven),
      custodial_units: sum(custodial),
      proven_rows: proven.length,
      custodial_rows: custodial.length,
    };
  });
  return { exchange, epoch: root.epoch, root_hash: root.root.hash, assets: totals, rows: outcomes };
}

/** No address counted twice: per (asset, chain, address); and on a Bitcoin chain, where an
 * address holds one coin, per (chain, address) whatever the asset column says. */
function checkUnique(rows) {
  const seen = new Map();
  for (const r of rows) {
    const asset = BITCOIN_CHAINS.includes(r.chain) && r.scheme !== CUSTODIAL ? '' : r.asset;
    const key = JSON.stringify([asset, r.chain, addressKey(r.chain, r.address)]);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new VerificationError(
        `${rowWhere(r)}: duplicate address: ${r.address} on ${r.chain} is already in ${rowWhere(first)} as ${first.asset} (it would be counted twice)`,
      );
    }
    seen.set(key, r);
  }
}

/** One snapshot (height and block hash) per chain among the key-proven rows. */
function checkSnapshots(rows) {
  const first = new Map();
  for (const r of rows) {
    if (r.scheme === CUSTODIAL) continue;
    if (!first.has(r.chain)) first.set(r.chain, r);
    const f = first.get(r.chain);
    if (r.height !== f.height || r.block_hash !== f.block_hash) {
      throw new VerificationError(
        `${rowWhere(r)}: snapshot of ${r.chain} at height ${r.height}, but ${rowWhere(f)} is at height ${f.height} (one snapshot per chain)`,
      );
    }
  }
}

/** The exchange named by the first key-proven row's message (every row must match it). */
function exchangeOf(rows) {
  for (const r of rows) {
    if (r.scheme === CUSTODIAL) continue;
    try {
      return parseOwnershipMessage(r.message).exchange;
    } catch (e) {
      if (e instanceof MalformedInputError) throw new VerificationError(`${rowWhere(r)}: the signed message is not the ownership message`);
      throw e;
    }
  }
  return null;
}

/** cli/reserves_cmd.reserves_json: the `reserves` object of `solvency verify --solvency
 * --reserves --json` and `solvency reserves verify --json` (no snapshot here). */
export function reservesJson(report, sha256) {
  return {
    exchange: report.exchange,
    reserves_sha256: bytesToHex(sha256),
    assets: report.assets.map((a) => ({
      symbol: a.symbol,
      proven: formatUnits(a.proven_units, a.decimals),
      proven_units: a.proven_units.toString(),
      custodial: formatUnits(a.custodial_units, a.decimals),
      custodial_units: a.custodial_units.toString(),
      proven_rows: a.proven_rows,
      custodial_rows: a.custodial_rows,
    })),
    rows: report.rows.map((o) => ({
      row: o.row.row,
      asset: o.row.asset,
      chain: o.row.chain,
      address: o.row.address,
      balance: o.row.balance,
      scheme: o.ownership.scheme,
      address_type: o.ownership.address_type,
      signers: [...o.ownership.signers],
      required: o.ownership.required,
    })),
    snapshot: null,
  };
}

/**
 * cli/reserves_cmd.check_solvency, in its order: solvency.json's signature under the root's
 * key, then the reserves file (verifyReserves), then solvency.json against the root and that
 * report (reserves-proof.js verifySolvencyProof). `proof` is parseSolvencyProof(proofBytes),
 * `reservesFile` parseReserves(reservesBytes), `reservesSha256` the SHA-256 of those bytes.
 * Returns the report; throws VerificationError or MalformedInputError with the CLI's reason.
 */
export function checkSolvency(proofBytes, proof, signature, publicKey, root, reservesFile, reservesSha256) {
  if (!ed25519Verify(signature, proofBytes, publicKey)) throw new VerificationError("solvency.json is not signed by the root's key");
  const report = verifyReserves(reservesFile, root);
  verifySolvencyProof(proof, root, report, reservesSha256);
  return report;
}
