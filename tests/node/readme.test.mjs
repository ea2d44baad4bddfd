// The READMEs' Node snippets run as written: every ```js block of the top-level
// README's Node section and of node/README.md (the npm package's) is written
// to a file (`.cjs` when it uses require, else `.mjs`) in a project whose
// node_modules links this package, and run by node in a directory holding a
// `.loki`. Only the port changes: a snippet that scrapes 57374 gets a live
// exporter's port, one that serves on 57374 a free port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixturesDir, loki, root } from './helpers.mjs';

const run = promisify(execFile);

/** The ```js blocks of `text`, in order. */
function jsBlocks(text) {
  return [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const nodeSection = readme.slice(readme.indexOf('### Node ('), readme.indexOf('\n### ', readme.indexOf('### Node (') + 1));
const snippets = [
  ...jsBlocks(nodeSection).map((code, i) => ({ name: `README.md Node block ${i + 1}`, code })),
  ...jsBlocks(readFileSync(path.join(root, 'node', 'README.md'), 'utf8')).map((code, i) => ({ name: `node/README.md block ${i + 1}`, code })),
];

const isCjs = (code) => /\brequire\('loki-metrics'\)/.test(code);
const keepsServing = (code) => /serve\(\{[^}]*port: 57374/.test(code);

let work;
let exporter;

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'loki-metrics-readme-'));
  mkdirSync(path.join(work, 'node_modules'));
  // The package as an installed dependency (no self-reference), and prom-client beside it.
  symlinkSync(root, path.join(work, 'node_modules', 'loki-metrics'));
  symlinkSync(path.join(root, 'node_modules', 'prom-client'), path.join(work, 'node_modules', 'prom-client'));
  // A live session (its loki.pid names PID 1), as the snippets' `.loki`.
  symlinkSync(path.join(fixturesDir, 'runsh-mid-run', '.loki'), path.join(work, '.loki'));
  // The exporter the snippets that scrape expect "already running".
  exporter = await loki.serve({ dir: path.join(work, '.loki'), port: 0 });
});

after(async () => {
  await exporter?.close();
  rmSync(work, { recursive: true, force: true });
});

function write(name, code) {
  const file = path.join(work, name);
  writeFileSync(file, code);
  return file;
}

test('the READMEs have a CommonJS and an ES module snippet each, and the exporter recipe', () => {
  const inNodeSection = jsBlocks(nodeSection);
  const inNodeReadme = jsBlocks(readFileSync(path.join(root, 'node', 'README.md'), 'utf8'));
  for (const blocks of [inNodeSection, inNodeReadme]) {
    assert.ok(blocks.some(isCjs), 'a CommonJS snippet');
    assert.ok(blocks.some((b) => !isCjs(b) && /^import .* from 'loki-metrics';$/m.test(b)), 'an ES module snippet');
    assert.ok(blocks.some(keepsServing), 'the serve-until-a-signal snippet');
    // The old mix: require with a top-level await.
    for (const b of blocks.filter(isCjs)) assert.ok(!/^(const \w+ = )?await /m.test(b), 'top-level await in a CommonJS snippet');
  }
  // The README says why next to the snippet.
  assert.match(nodeSection, /does \*\*not\*\*\s+keep Node's event loop alive/);
});

for (const [i, { name, code }] of snippets.entries()) {
  if (keepsServing(code)) continue;
  test(`${name} runs as written (${isCjs(code) ? 'CommonJS' : 'ES module'})`, async () => {
    const file = write(`snippet-${i}.${isCjs(code) ? 'cjs' : 'mjs'}`, code.replaceAll('57374', String(exporter.port)));
    const { stdout } = await run(process.execPath, [file], { cwd: work, timeout: 60_000 });
    if (/render\(snap, \{ format: 'openmetrics' \}\)\);/.test(code)) assert.match(stdout, /^# EOF$/m);
    if (/scrape\(/.test(code)) assert.match(stdout, /'loki_session_status'/);
    if (/console\.log\(server\.url\)/.test(code)) assert.match(stdout, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    if (/registry\.metrics\(\)/.test(code)) assert.match(stdout, /^loki_session_status 1$/m);
  });
}

for (const [i, { name, code }] of snippets.entries()) {
  if (!keepsServing(code)) continue;
  test(`${name} serves until SIGINT, then closes and exits 0`, async () => {
    const port = await freePort();
    const file = write(`snippet-${i}.mjs`, code.replaceAll('57374', String(port)));
    const child = spawn(process.execPath, [file], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let stdout = '';
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('until Ctrl-C')) resolve();
      });
      exited.then(() => reject(new Error(`exited before serving: ${stdout}`)));
    });
    assert.match(stdout, new RegExp(`^serving http://127\\.0\\.0\\.1:${port}/metrics until Ctrl-C$`, 'm'));
    // Still serving a while later: the interval holds the event loop.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const families = await loki.scrape(`http://127.0.0.1:${port}/metrics`);
    assert.ok(families.some((f) => f.name === 'loki_session_status'));
    child.kill('SIGINT');
    assert.deepEqual(await exited, { code: 0, signal: null });
  });
}

test('what the README says: a script that only calls serve() exits at once, with code 0', async () => {
  const file = write('only-serve.mjs', `import { serve } from 'loki-metrics';\nconst server = await serve({ dir: '.loki', port: 0 });\nconsole.log(server.url);\n`);
  const started = Date.now();
  const { stdout } = await run(process.execPath, [file], { cwd: work, timeout: 30_000 });
  assert.match(stdout, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
  assert.ok(Date.now() - started < 20_000);
});
