// The page: four file slots (or one drop of all four), optionally the log's two and the proof
// of reserves' three, then the verdict, the balances, the reserves per asset, the reason on
// failure and the time taken. Files are read with the File API; nothing is sent
// anywhere (the page's Content-Security-Policy forbids every request).
import { verifyFiles } from './verify.js';

const SLOTS = ['proof', 'root', 'sig', 'pubkey'];
const LOG_SLOTS = ['checkpoint', 'logProof'];
const RESERVES_SLOTS = ['solvency', 'solvencySig', 'reserves'];
const ALL_SLOTS = [...SLOTS, ...LOG_SLOTS, ...RESERVES_SLOTS];
const LABELS = {
  proof: 'your proof file',
  root: 'root.json',
  sig: 'root.json.sig',
  pubkey: 'signing.pub',
  checkpoint: 'the log checkpoint',
  logProof: 'the log inclusion proof',
  solvency: 'solvency.json',
  solvencySig: 'solvency.json.sig',
  reserves: 'reserves.csv',
};
const files = {};
const $ = (id) => document.getElementById(id);

async function readFile(file) {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

/** Which slot a file is for, by its content first (files may be renamed), else by its name. */
function classify(f) {
  const head = new TextDecoder().decode(f.bytes.subarray(0, 4096));
  if (head.trimStart().startsWith('-----BEGIN')) return 'pubkey';
  // Both signatures look alike: solvency.json's is told by its name (solvency.json.sig).
  if (/^[0-9a-f]{128}\n?$/.test(head)) return /solvency/i.test(f.name) ? 'solvencySig' : 'sig';
  if (head.startsWith('# solvency-reserves')) return 'reserves';
  // Its format name comes after the (sorted, long) assets: look at the whole file.
  if (f.bytes.length < 1 << 24 && new TextDecoder().decode(f.bytes).includes('"solvency-reserves-proof"')) return 'solvency';
  if (head.includes('\n\n\u2014 ')) return 'checkpoint';
  if (head.includes('"solvency-log-inclusion-proof"')) return 'logProof';
  if (head.includes('"solvency-root"')) return 'root';
  if (head.includes('"solvency-inclusion-proof"')) return 'proof';
  if (/solvency.*\.sig$/i.test(f.name)) return 'solvencySig';
  if (/\.sig$/i.test(f.name)) return 'sig';
  if (/\.csv$/i.test(f.name)) return 'reserves';
  if (/\.(pub|pem)$/i.test(f.name)) return 'pubkey';
  if (/^root\.json$/i.test(f.name)) return 'root';
  if (/checkpoint/i.test(f.name)) return 'checkpoint';
  if (/log-proof/i.test(f.name)) return 'logProof';
  return 'proof';
}

function setText(id, text) {
  $(id).textContent = text;
}

function show(outcome) {
  const result = $('result');
  const verdict = $('verdict');
  result.dataset.status = outcome.status;
  verdict.dataset.status = outcome.status;
  verdict.textContent = outcome.verdict;
  setText(
    'file-at-fault',
    outcome.status === 'error' && outcome.file
      ? `The problem is in ${LABELS[outcome.file]} (${files[outcome.file]?.name ?? 'not chosen'}).`
      : outcome.failed_check === 'reserves'
        ? 'Your balances are included in the signed root (that check passed); what failed is the proof of reserves (solvency.json, its signature or reserves.csv).'
        : '',
  );
  const details = $('details');
  details.classList.toggle('hidden', outcome.user_id === null);
  setText('out-user', outcome.user_id ?? '');
  setText('out-epoch', outcome.epoch ?? '');
  $('out-root').firstElementChild.textContent = outcome.root_hash ?? '';
  $('out-key').firstElementChild.textContent = outcome.key_fingerprint ?? 'not checked';
  $('row-margin').classList.toggle('hidden', !outcome.margin);
  setText(
    'out-margin',
    outcome.margin
      ? `collateral value after haircuts ${outcome.margin.collateral_value} ${outcome.margin.quote}, ` +
          `debt value ${outcome.margin.debt_value} ${outcome.margin.quote}` +
          (outcome.margin.collateral_checked ? ' (collateral proof checked: the debt is covered)' : ' (NOT verified)')
      : '',
  );
  $('row-log').classList.toggle('hidden', !outcome.log);
  $('out-log').firstElementChild.textContent = outcome.log
    ? `${outcome.log.checkpoint.origin}, size ${outcome.log.checkpoint.tree_size}, root ${outcome.log.checkpoint.root_hash} (entry ${outcome.log.leaf_index})`
    : '';
  showReserves(outcome);
  const table = $('balances');
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const b of outcome.balances) {
    const tr = document.createElement('tr');
    for (const text of outcome.margin ? [b.symbol, b.amount, b.equity, b.debt] : [b.symbol, b.amount]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  const head = table.tHead.rows[0];
  head.replaceChildren();
  const titles = [
    'Asset',
    outcome.status === 'verified'
      ? 'Your balance (verified)'
      : outcome.failed_check === 'reserves'
        ? 'Your balance (included in the signed root)'
        : 'Balance in the proof file (NOT verified)',
    ...(outcome.margin ? ['Equity', 'Debt'] : []),
  ];
  for (const t of titles) {
    const th = document.createElement('th');
    th.textContent = t;
    head.append(th);
  }
  table.classList.toggle('hidden', outcome.balances.length === 0);
  const time = $('time');
  time.dataset.seconds = String(outcome.verify_seconds);
  time.textContent = `Checked in ${outcome.verify_seconds.toFixed(2)} s on this computer.`;
}

/** The reserves per asset as `solvency verify --solvency --reserves` prints them. */
function showReserves(outcome) {
  const r = outcome.reserves;
  $('reserves-result').classList.toggle('hidden', !r);
  setText('out-exchange', r ? (r.exchange ?? 'None') : '');
  setText('out-reserves-sha', r ? r.reserves_sha256 : '');
  const body = $('reserves-table').tBodies[0];
  body.replaceChildren();
  if (!r) return;
  const k = outcome.solvency.min_ratio_percent;
  for (const a of r.assets) {
    const tr = document.createElement('tr');
    for (const text of [
      a.symbol,
      `${a.proven} (${a.proven_rows} addresses)`,
      `${a.custodial} (${a.custodial_rows}, not counted)`,
      `reserves ${a.proven} cover at least ${k}% of the liabilities`,
    ]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
}

/** One slot of an optional group given without the others: say which are missing. */
function incomplete(group, detailsId, what) {
  const chosen = group.filter((s) => files[s]);
  if (chosen.length === 0 || chosen.length === group.length) return false;
  $(detailsId).open = true;
  const missing = group.filter((s) => !files[s]).map((s) => LABELS[s]);
  $('result').dataset.status = 'waiting';
  $('verdict').dataset.status = 'waiting';
  $('verdict').textContent = `Waiting for: ${missing.join(', ')} (or reload the page to check without ${what}).`;
  return true;
}

function waiting() {
  const missing = SLOTS.filter((s) => !files[s]).map((s) => LABELS[s]);
  const verdict = $('verdict');
  $('result').dataset.status = 'waiting';
  verdict.dataset.status = 'waiting';
  verdict.textContent = `Waiting for: ${missing.join(', ')}.`;
}

function check() {
  for (const s of ALL_SLOTS) setText(`chosen-${s}`, files[s] ? `✓ ${files[s].name}` : '');
  if (SLOTS.some((s) => !files[s])) return waiting();
  const verdict = $('verdict');
  $('result').dataset.status = 'checking';
  verdict.dataset.status = 'checking';
  verdict.textContent = 'Checking…';
  // Let the browser paint "Checking…" before the (synchronous) verification.
  setTimeout(() => {
    let outcome;
    try {
      const userId = $('user-id').value;
      outcome = verifyFiles(files, { userId: userId === '' ? null : userId });
    } catch (e) {
      outcome = { status: 'error', verdict: `error: internal error: ${e.message}`, balances: [], user_id: null, verify_seconds: 0 };
    }
    show(outcome);
  }, 30);
}

async function take(list, slot) {
  for (const file of list) {
    const f = await readFile(file);
    files[slot ?? classify(f)] = f;
  }
  // An optional group given in part waits for the rest (the CLI refuses one without the others).
  for (const s of ALL_SLOTS) setText(`chosen-${s}`, files[s] ? `✓ ${files[s].name}` : '');
  if (incomplete(LOG_SLOTS, 'log-slots', 'the log')) return;
  if (incomplete(RESERVES_SLOTS, 'reserves-slots', 'the proof of reserves')) return;
  check();
}

function init() {
  for (const s of ALL_SLOTS) $(`file-${s}`).addEventListener('change', (e) => take(e.target.files, s));
  $('file-any').addEventListener('change', (e) => take(e.target.files));
  $('user-id').addEventListener('change', () => check());
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take(e.dataTransfer.files);
  });
  // A file dropped anywhere else must not make the browser navigate away to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  waiting();
}

init();
