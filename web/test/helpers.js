// Shared helpers of the Node tests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexToBytes } from '../src/bytes.js';
import { RangeProof, verifyBatch } from '../src/bulletproofs.js';
import { Transcript } from '../src/merlin.js';

export const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(WEB, '..');

/** The dalek vectors: where SOLVENCY_DALEK_VECTORS points, else shared/vectors/ beside the
 * checkout (as on CI) or beside a folder above it (a git worktree). */
export function dalekVectorsPath() {
  if (process.env.SOLVENCY_DALEK_VECTORS) return process.env.SOLVENCY_DALEK_VECTORS;
  const rel = path.join('shared', 'vectors', 'dalek_rangeproofs.json');
  for (let dir = path.dirname(REPO); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) return path.resolve(REPO, '..', rel);
  }
}

/** The dalek vectors at `file` (none when it is missing), each proof's bytes checked alone by
 * `verifyBytes` under their transcript label, and `flip`, one byte XORed with a mask. */
export function loadDalekVectors(file) {
  const present = fs.existsSync(file);
  const DATA = present ? JSON.parse(fs.readFileSync(file, 'utf8')) : { cases: [] };
  const CASES = DATA.cases.map((c) => ({
    bits: c.bits,
    m: c.aggregation,
    proof: hexToBytes(c.proof),
    V: c.commitments.slice(0, c.aggregation).map(hexToBytes),
  }));
  const verifyBytes = (data, V, bits) =>
    verifyBatch([{ proof: RangeProof.fromBytes(data), commitments: V, bits, transcript: new Transcript(DATA.transcript_label) }]);
  const flip = (data, pos, mask) => {
    const out = data.slice();
    out[pos] ^= mask;
    return out;
  };
  return { present, DATA, CASES, verifyBytes, flip };
}

export function readFile(p, name = path.basename(p)) {
  return { name, bytes: new Uint8Array(fs.readFileSync(p)) };
}

/** The four files of a case folder, named as the CLI was given them. */
export function caseFiles(dir) {
  const files = {
    proof: readFile(path.join(dir, 'proof.json')),
    root: readFile(path.join(dir, 'root.json')),
    sig: readFile(path.join(dir, 'root.json.sig')),
    pubkey: readFile(path.join(dir, 'signing.pub')),
  };
  if (fs.existsSync(path.join(dir, 'checkpoint'))) {
    files.checkpoint = readFile(path.join(dir, 'checkpoint'));
    files.logProof = readFile(path.join(dir, 'log-proof.json'));
  }
  return files;
}

/** The files of a case folder, in the order the page's "all at once" picker takes them. */
export const CASE_NAMES = ['proof.json', 'root.json', 'root.json.sig', 'signing.pub', 'checkpoint', 'log-proof.json'];

/** The proof-of-reserves cases of make_solvency_fixtures.py: SOLVENCY_WEB_FIXTURES/solvency
 * (make_fixtures.py writes it) when set, else made now into test-artifacts/`name` (each test
 * file its own folder: node runs them side by side). {dir} or {skip: why}. */
export function solvencyFixtures(name) {
  if (process.env.SOLVENCY_WEB_FIXTURES) return { dir: path.join(process.env.SOLVENCY_WEB_FIXTURES, 'solvency') };
  const python = process.env.SOLVENCY_PYTHON || path.join(REPO, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { skip: `no Python with solvency installed (${python}); run make, or set SOLVENCY_PYTHON` };
  const dir = path.join(WEB, 'test-artifacts', name);
  execFileSync(python, [path.join(WEB, 'test', 'make_solvency_fixtures.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir };
}
