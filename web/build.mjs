// Builds the verifier page: src/page.js bundled by esbuild (pinned in package-lock.json) into one
// IIFE, inlined with the stylesheet into page/index.html under a strict Content-Security-Policy
// that allows exactly that script and that style (by SHA-256) and nothing else: no network
// request of any kind, no other script, no form, no frame.
//
//     node build.mjs            writes src/solvency/web/verifier.html (shipped in the Python package)
//     node build.mjs --check    rebuilds in memory; fails unless that file equals the rebuild
//
// The build is byte-for-byte reproducible: same sources, same lockfile, same bytes.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUT as SCHEMAS_OUT, render as renderSchemas } from './gen-schemas.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGED = path.join(here, '..', 'src', 'solvency', 'web', 'verifier.html');

const sha256b64 = (text) => createHash('sha256').update(text, 'utf8').digest('base64');

export async function render() {
  const schemas = renderSchemas();
  if (!fs.existsSync(SCHEMAS_OUT) || fs.readFileSync(SCHEMAS_OUT, 'utf8') !== schemas) {
    fs.writeFileSync(SCHEMAS_OUT, schemas);
  }
  const result = await build({
    entryPoints: [path.join(here, 'src', 'page.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'eof',
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
  });
  const script = result.outputFiles[0].text.trimEnd();
  if (/<\/script|<!--/i.test(script)) throw new Error('the bundle contains </script or <!--: it cannot be inlined');
  const style = fs.readFileSync(path.join(here, 'page', 'style.css'), 'utf8');
  const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(here, 'package-lock.json'), 'utf8'));
  const v = (name) => lock.packages[`node_modules/${name}`].version;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256b64(script)}'`,
    `style-src 'sha256-${sha256b64(style)}'`,
    "img-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  const buildLine =
    `solvency web verifier ${pkg.version}: @noble/curves ${v('@noble/curves')}, ` +
    `@noble/hashes ${v('@noble/hashes')}, built with esbuild ${v('esbuild')}.`;
  const template = fs.readFileSync(path.join(here, 'page', 'index.html'), 'utf8');
  // Replaced by function so that "$" in the bundle is never read as a replacement pattern.
  return template
    .replace('{{CSP}}', () => csp)
    .replace('{{STYLE}}', () => style)
    .replace('{{BUILD}}', () => buildLine)
    .replace('{{SCRIPT}}', () => script);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const html = await render();
  if (process.argv.includes('--check')) {
    if (!fs.existsSync(PACKAGED) || fs.readFileSync(PACKAGED, 'utf8') !== html) {
      console.error(`${path.relative(process.cwd(), PACKAGED)} differs from a fresh build: run make web`);
      process.exit(1);
    }
    console.log('the built page equals a fresh build, byte for byte');
  } else {
    fs.mkdirSync(path.dirname(PACKAGED), { recursive: true });
    fs.writeFileSync(PACKAGED, html);
    const bytes = Buffer.from(html, 'utf8');
    console.log(`wrote ${path.relative(process.cwd(), PACKAGED)}: ${bytes.length} bytes`);
    console.log(`sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
  }
}
