// The built page in Debian's chromium, headless, opened from file://: every user proof of a
// `solvency demo --keep` run, the golden epoch, fresh proofs of heights 1, 21 and 32 and every
// tamper class give the page verdict the CLI gave (same status, same reason); so does every
// proof-of-reserves case (solvency.json, its .sig and reserves.csv given too), with the
// reserves per asset shown as the CLI prints them; screenshots of a verified and a tampered
// proof, with and without reserves, are saved in web/test-artifacts/browser/; the page makes no
// network request (each recorded through the DevTools protocol) and cannot make one (its CSP).
//
//     npm run test:browser     (fixtures as in test/fresh.test.js; chromium from $CHROMIUM or PATH)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, findChromium } from './cdp.mjs';

const WEB = path.resolve(import.meta.dirname, '..');
const REPO = path.resolve(WEB, '..');
const PAGE = path.join(REPO, 'src', 'solvency', 'web', 'verifier.html');
const ARTIFACTS = path.join(WEB, 'test-artifacts', 'browser');
const NAMES = ['proof.json', 'root.json', 'root.json.sig', 'signing.pub'];
const STATUS = { 0: 'verified', 1: 'failed', 2: 'error' };

function fixtures() {
  if (process.env.SOLVENCY_WEB_FIXTURES) return { dir: process.env.SOLVENCY_WEB_FIXTURES };
  const python = process.env.SOLVENCY_PYTHON || path.join(REPO, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { skip: `no Python with solvency installed (${python})` };
  const dir = path.join(WEB, 'test-artifacts', 'browser-fixtures');
  execFileSync(python, [path.join(WEB, 'test', 'make_fixtures.py'), dir, '--heights', '1,21,32'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { dir };
}

const chromium = findChromium();
const fx = chromium ? fixtures() : { skip: 'chromium not found (apt-get install chromium, or set CHROMIUM)' };
const skip = fx.skip ?? false;
const manifest = fx.dir ? JSON.parse(fs.readFileSync(path.join(fx.dir, 'manifest.json'), 'utf8')) : { cases: [] };
const solvencyDir = fx.dir ? path.join(fx.dir, 'solvency') : null;
const solvencyCases = solvencyDir ? JSON.parse(fs.readFileSync(path.join(solvencyDir, 'manifest.json'), 'utf8')).cases : [];
const SOLVENCY_NAMES = [...NAMES, 'solvency.json', 'solvency.json.sig', 'reserves.csv'];
const inBrowser = manifest.cases.filter((c) => /^(demo-|golden-|tamper-|margin-|height-(1|21|32)-)/.test(c.name));

let browser;
before(async () => {
  if (!skip) browser = await Browser.launch(chromium);
});
after(async () => {
  if (browser) await browser.close();
});

/** Open the page in a fresh tab, give it the four files of a case, read the verdict. */
async function check(c, shot = null) {
  const page = await browser.newPage();
  await page.open(PAGE);
  if (c.user) await page.eval(`document.getElementById('user-id').value = ${JSON.stringify(c.user)}`);
  const names = NAMES.concat(c.log ? ['checkpoint', 'log-proof.json'] : []);
  await page.setFiles('file-any', names.map((n) => path.join(fx.dir, c.dir, n)));
  const v = await page.verdict();
  if (shot) await page.screenshot(path.join(ARTIFACTS, shot));
  await page.send('Page.close').catch(() => {});
  return { v, page };
}

test('the page shipped in the Python package exists', { skip }, () => {
  assert.ok(fs.existsSync(PAGE), PAGE);
  assert.ok(inBrowser.some((c) => c.name.startsWith('demo-')));
  assert.ok(inBrowser.some((c) => c.name.startsWith('tamper-')));
});

test('a margin proof verifies, with equity, debt and the collateral values shown (screenshot)', { skip }, async () => {
  const c = inBrowser.find((x) => x.name.startsWith('margin-') && x.cli.balances.some((b) => b.debt !== '0' && /[1-9]/.test(b.debt)));
  assert.ok(c, 'a margin user with a debt');
  const { v, page } = await check(c, 'margin-verified.png');
  assert.equal(v.status, 'verified', v.text);
  assert.ok(v.text.endsWith('(collateral proof checked)'), v.text);
  assert.deepEqual(v.balances, c.cli.balances.map((b) => [b.symbol, b.amount, b.equity, b.debt]));
  assert.deepEqual(page.foreignRequests(), []);
});

test('a real proof verifies and a tampered one fails, screenshots saved, no network request', { skip }, async () => {
  const good = inBrowser.find((c) => c.name.startsWith('demo-'));
  const bad = inBrowser.find((c) => c.name === 'tamper-3assets-balance');
  const ok = await check(good, 'verified.png');
  assert.equal(ok.v.status, 'verified', ok.v.text);
  assert.equal(ok.v.text.startsWith('VERIFIED: '), true);
  assert.deepEqual(ok.v.balances, good.cli.balances.map((b) => [b.symbol, b.amount]));
  assert.ok(ok.v.seconds > 0);
  const no = await check(bad, 'tampered.png');
  assert.equal(no.v.status, 'failed');
  assert.equal(no.v.text, `FAILED: ${bad.cli.error}`);
  for (const { page } of [ok, no]) {
    assert.ok(page.requests.length >= 1, 'the navigation itself is recorded');
    assert.deepEqual(page.foreignRequests(), []);
    assert.equal(ok.v.resources, 0);
    assert.deepEqual(page.console.filter((l) => /error|exception/i.test(l)), []);
  }
  assert.ok(fs.statSync(path.join(ARTIFACTS, 'verified.png')).size > 1000);
  assert.ok(fs.statSync(path.join(ARTIFACTS, 'tampered.png')).size > 1000);
});

/** Give the page the seven files of a proof-of-reserves case at once; read the verdict. */
async function checkSolvency(c, shot = null) {
  const page = await browser.newPage();
  await page.open(PAGE);
  await page.setFiles('file-any', SOLVENCY_NAMES.map((n) => path.join(solvencyDir, c.dir, n)));
  const v = await page.verdict();
  if (shot) await page.screenshot(path.join(ARTIFACTS, shot));
  await page.send('Page.close').catch(() => {});
  return { v, page };
}

/** The reserves table as the page should show it: key-proven, custodial, and the coverage line
 * `solvency verify --solvency --reserves` prints per asset. */
const reservesRows = (cli) =>
  cli.reserves.assets.map((a) => [
    a.symbol,
    `${a.proven} (${a.proven_rows} addresses)`,
    `${a.custodial} (${a.custodial_rows}, not counted)`,
    `reserves ${a.proven} cover at least ${cli.solvency.min_ratio_percent}% of the liabilities`,
  ]);

test('a proof with reserves verifies, reserves per asset shown; a tampered one fails (screenshots, no request)', { skip }, async () => {
  const good = solvencyCases.find((c) => c.name === 'honest');
  const bad = solvencyCases.find((c) => c.name === 'reserves-balance-edited');
  assert.ok(good && bad);
  const ok = await checkSolvency(good, 'reserves-verified.png');
  assert.equal(ok.v.status, 'verified', ok.v.text);
  assert.ok(ok.v.text.startsWith('VERIFIED: '), ok.v.text);
  assert.ok(ok.v.text.endsWith('; reserves cover at least 100% of the liabilities of every asset (BTC, ETH, USDT)'), ok.v.text);
  assert.deepEqual(ok.v.balances, good.cli.balances.map((b) => [b.symbol, b.amount]));
  assert.deepEqual(ok.v.reserves, {
    exchange: good.cli.reserves.exchange,
    sha256: good.cli.reserves.reserves_sha256,
    assets: reservesRows(good.cli),
  });
  assert.ok(ok.v.reserves.assets.every((r) => !r[1].startsWith('0 ')), 'reserves held');
  const no = await checkSolvency(bad, 'reserves-tampered.png');
  assert.equal(no.v.status, 'failed');
  assert.equal(no.v.text, `FAILED: ${bad.cli.error}`);
  assert.equal(no.v.reserves, null);
  assert.ok(no.v.fault.startsWith('Your balances are included in the signed root (that check passed); what failed is the proof of reserves'), no.v.fault);
  assert.equal(ok.v.fault, '');
  for (const { page, v } of [ok, no]) {
    assert.ok(page.requests.length >= 1, 'the navigation itself is recorded');
    assert.deepEqual(page.foreignRequests(), []);
    assert.equal(v.resources, 0);
    assert.deepEqual(page.console.filter((l) => /error|exception/i.test(l)), []);
  }
  for (const shot of ['reserves-verified.png', 'reserves-tampered.png']) assert.ok(fs.statSync(path.join(ARTIFACTS, shot)).size > 1000);
});

test('the proof-of-reserves pickers: one of the three alone waits for the others', { skip }, async () => {
  const c = solvencyCases.find((x) => x.name === 'honest');
  const dir = path.join(solvencyDir, c.dir);
  const page = await browser.newPage();
  await page.open(PAGE);
  await page.setFiles('file-any', NAMES.map((n) => path.join(dir, n)));
  const plain = await page.verdict();
  assert.equal(plain.status, 'verified', plain.text);
  assert.equal(plain.reserves, null);
  await page.setFiles('file-solvency', [path.join(dir, 'solvency.json')]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(
    await page.eval("document.getElementById('verdict').textContent"),
    'Waiting for: solvency.json.sig, reserves.csv (or reload the page to check without the proof of reserves).',
  );
  assert.equal(await page.eval("document.getElementById('reserves-slots').open"), true);
  await page.setFiles('file-solvencySig', [path.join(dir, 'solvency.json.sig')]);
  await page.setFiles('file-reserves', [path.join(dir, 'reserves.csv')]);
  const v = await page.verdict();
  assert.equal(v.status, 'verified', v.text);
  assert.deepEqual(v.reserves.assets, reservesRows(c.cli));
  assert.deepEqual(page.foreignRequests(), []);
  await page.send('Page.close').catch(() => {});
});

for (const c of solvencyCases) {
  test(`solvency ${c.name}: the page says what solvency verify --solvency --reserves said (${STATUS[c.exit_code]})`, { skip }, async () => {
    const { v, page } = await checkSolvency(c);
    assert.equal(v.status, STATUS[c.exit_code], v.text);
    const label = { verified: 'VERIFIED', failed: 'FAILED', error: 'error' }[v.status];
    if (c.exit_code !== 0) {
      assert.equal(v.text, `${label}: ${c.cli.error}`);
      assert.equal(v.reserves, null);
    } else assert.deepEqual(v.reserves.assets, reservesRows(c.cli));
    assert.deepEqual(page.foreignRequests(), []);
  });
}

test('the four separate pickers work too, and one file alone waits for the others', { skip }, async () => {
  const c = inBrowser.find((x) => x.name.startsWith('golden-alice'));
  const page = await browser.newPage();
  await page.open(PAGE);
  await page.setFiles('file-proof', [path.join(fx.dir, c.dir, 'proof.json')]);
  await new Promise((r) => setTimeout(r, 200));
  const waiting = await page.eval("document.getElementById('verdict').textContent");
  assert.equal(waiting, 'Waiting for: root.json, root.json.sig, signing.pub.');
  await page.setFiles('file-root', [path.join(fx.dir, c.dir, 'root.json')]);
  await page.setFiles('file-sig', [path.join(fx.dir, c.dir, 'root.json.sig')]);
  await page.setFiles('file-pubkey', [path.join(fx.dir, c.dir, 'signing.pub')]);
  const v = await page.verdict();
  assert.equal(v.status, 'verified', v.text);
  assert.deepEqual(page.foreignRequests(), []);
  await page.send('Page.close').catch(() => {});
});

test("the page's Content-Security-Policy blocks any request it might try", { skip }, async () => {
  const page = await browser.newPage();
  await page.open(PAGE);
  const tried = await page.eval(`Promise.all([
    fetch('https://example.com/x').then(() => 'sent', () => 'blocked'),
    new Promise((r) => { const i = new Image(); i.onload = () => r('sent'); i.onerror = () => r('blocked'); i.src = 'https://example.com/i.png'; document.body.append(i); }),
  ])`);
  assert.deepEqual(tried, ['blocked', 'blocked']);
  // Chromium reports the image as a request that its CSP check then blocked: nothing was sent.
  await new Promise((r) => setTimeout(r, 200));
  for (const url of page.foreignRequests()) assert.equal(page.blocked.get(url), 'csp', url);
  assert.ok(page.console.some((l) => /Content Security Policy/i.test(l)), page.console.join('\n'));
  await page.send('Page.close').catch(() => {});
});

for (const c of inBrowser) {
  test(`${c.name}: the page says what solvency verify said (${STATUS[c.exit_code]})`, { skip }, async () => {
    const { v, page } = await check(c);
    assert.equal(v.status, STATUS[c.exit_code], v.text);
    const label = { verified: 'VERIFIED', failed: 'FAILED', error: 'error' }[v.status];
    if (c.exit_code !== 0) assert.equal(v.text, `${label}: ${c.cli.error}`);
    else assert.deepEqual(v.balances, c.cli.balances.map((b) => (c.cli.margin ? [b.symbol, b.amount, b.equity, b.debt] : [b.symbol, b.amount])));
    assert.deepEqual(page.foreignRequests(), []);
  });
}
