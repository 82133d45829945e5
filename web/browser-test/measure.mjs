// Times the page in headless chromium on one case folder (proof.json, root.json,
// root.json.sig, signing.pub): each run opens the page from file:// in a fresh tab, gives it
// the four files and waits for the verdict. Prints one JSON object: per run, the time the page
// reports (performance.now() around the verification, what the user is shown) and the time from
// handing over the files to the verdict on screen (reading the files, parsing, checking,
// painting). Used by benchmarks/bench_web.py.
//
//     node web/browser-test/measure.mjs CASE_DIR [--runs 7]
import path from 'node:path';
import { Browser, findChromium } from './cdp.mjs';
import { verifyFiles } from '../src/verify.js';
import { caseFiles } from '../test/helpers.js';

const [dir, ...rest] = process.argv.slice(2);
const runs = Number(rest[rest.indexOf('--runs') + 1] || 7);
const PAGE = path.resolve(import.meta.dirname, '..', '..', 'src', 'solvency', 'web', 'verifier.html');
const NAMES = ['proof.json', 'root.json', 'root.json.sig', 'signing.pub'];

const chromium = findChromium();
const browser = await Browser.launch(chromium);
const versionInfo = await browser.send('Browser.getVersion');
const page_s = [];
const to_verdict_s = [];
let status = null;
let requests = 0;
try {
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage();
    await page.open(PAGE);
    const t0 = performance.now();
    await page.setFiles('file-any', NAMES.map((n) => path.join(dir, n)));
    const v = await page.verdict();
    // The page waits 30 ms (to paint "Checking…") before it starts: not part of the check.
    to_verdict_s.push((performance.now() - t0) / 1000);
    page_s.push(v.seconds);
    status = v.status;
    requests += page.foreignRequests().length;
    await page.send('Page.close').catch(() => {});
  }
} finally {
  await browser.close();
}
// The same verifier in Node, same process layout as the tests.
const node_s = [];
for (let i = 0; i < runs; i++) node_s.push(verifyFiles(caseFiles(dir)).verify_seconds);
console.log(JSON.stringify({ browser: versionInfo.product, status, foreign_requests: requests, page_s, to_verdict_s, node_s }));
