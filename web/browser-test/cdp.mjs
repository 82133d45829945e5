// A small driver for Debian's chromium over the DevTools protocol, through
// --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON): no WebSocket, no download,
// nothing but the browser binary. Used by browser.test.js and benchmarks/bench_web.py.
//
// Every network request the page makes is recorded (Network.requestWillBeSent, WebSocket and
// EventSource creation); the only one expected is the navigation to the page's own file:// URL.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The chromium binary: $CHROMIUM, else chromium or chromium-browser on PATH; null if none. */
export function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

export class Browser {
  static async launch(binary = findChromium()) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'solvency-chromium-'));
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      '--metrics-recording-only',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ];
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const b = new Browser(proc, profile);
    await b.send('Target.getTargets');
    return b;
  }

  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    this.stderr = '';
    proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    let buf = Buffer.alloc(0);
    proc.stdio[4].on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let end;
      while ((end = buf.indexOf(0)) >= 0) {
        const msg = JSON.parse(buf.subarray(0, end).toString('utf8'));
        buf = buf.subarray(end + 1);
        this.dispatch(msg);
      }
    });
    this.exited = new Promise((resolve) => proc.on('exit', resolve));
  }

  dispatch(msg) {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const msg = { id, method, params, ...(sessionId ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.proc.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }

  on(listener) {
    this.listeners.push(listener);
  }

  async newPage() {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    return new Page(this, sessionId);
  }

  async close() {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
    } catch {
      // already gone
    }
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    await this.exited;
    try {
      fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      // a helper process may still be writing its profile; it is a fresh temporary folder
    }
  }
}

export class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.requests = [];
    this.blocked = new Map(); // url -> blockedReason (e.g. "csp") of requests refused before sending
    this.console = [];
    this.events = [];
    browser.on((msg) => {
      if (msg.sessionId !== sessionId) return;
      this.events.push(msg.method);
      if (msg.method === 'Network.requestWillBeSent') {
        this.requests.push(msg.params.request.url);
        this.urls = { ...(this.urls ?? {}), [msg.params.requestId]: msg.params.request.url };
      }
      if (msg.method === 'Network.loadingFailed' && msg.params.blockedReason) {
        this.blocked.set(this.urls?.[msg.params.requestId], msg.params.blockedReason);
      }
      if (msg.method === 'Network.webSocketCreated') this.requests.push(msg.params.url);
      if (msg.method === 'Network.eventSourceMessageReceived') this.requests.push('eventsource');
      if (msg.method === 'Runtime.consoleAPICalled') this.console.push(msg.params.args.map((a) => a.value).join(' '));
      if (msg.method === 'Runtime.exceptionThrown') this.console.push(`exception: ${msg.params.exceptionDetails.text}`);
      if (msg.method === 'Log.entryAdded') this.console.push(`${msg.params.entry.level}: ${msg.params.entry.text}`);
    });
  }

  send(method, params) {
    return this.browser.send(method, params, this.sessionId);
  }

  async open(file) {
    await this.send('Network.enable');
    await this.send('Page.enable');
    await this.send('Runtime.enable');
    await this.send('Log.enable');
    this.url = pathToFileURL(path.resolve(file)).href;
    const loaded = this.waitFor('Page.loadEventFired');
    await this.send('Page.navigate', { url: this.url });
    await loaded;
  }

  waitFor(method, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs);
      this.browser.on((msg) => {
        if (msg.sessionId === this.sessionId && msg.method === method) {
          clearTimeout(timer);
          resolve(msg.params);
        }
      });
    });
  }

  async eval(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** Put files into <input type=file id=inputId> (fires its change event). */
  async setFiles(inputId, paths) {
    const { root } = await this.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await this.send('DOM.querySelector', { nodeId: root.nodeId, selector: `#${inputId}` });
    await this.send('DOM.setFileInputFiles', { nodeId, files: paths.map((p) => path.resolve(p)) });
  }

  /** Wait until the verdict is final; return what the page shows. */
  async verdict(timeoutMs = 60000) {
    const start = Date.now();
    for (;;) {
      const v = await this.eval(`(() => {
        const v = document.getElementById('verdict');
        const t = document.getElementById('time');
        const rows = [...document.querySelectorAll('#balances tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent));
        const reserves = document.getElementById('reserves-result');
        return { status: v.dataset.status, text: v.textContent, seconds: Number(t.dataset.seconds ?? 'NaN'),
                 balances: rows, fault: document.getElementById('file-at-fault').textContent,
                 reserves: reserves && !reserves.classList.contains('hidden')
                   ? { exchange: document.getElementById('out-exchange').textContent,
                       sha256: document.getElementById('out-reserves-sha').textContent,
                       assets: [...document.querySelectorAll('#reserves-table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)) }
                   : null,
                 resources: performance.getEntriesByType('resource').length };
      })()`);
      if (['verified', 'failed', 'error'].includes(v.status)) return v;
      if (Date.now() - start > timeoutMs) throw new Error(`no verdict after ${timeoutMs} ms: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async screenshot(file) {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
  }

  /** Requests other than the navigation to the page itself. */
  foreignRequests() {
    return this.requests.filter((u) => u !== this.url);
  }
}
