// Installs `loki-metrics` the way a user does, `npm install loki-metrics`, into
// a fresh project, from a registry that holds exactly the packed tarballs of
// DIR (a throwaway npm registry on loopback: packuments + tarballs, all npm
// needs). Then checks that npm installed this machine's platform package and
// no other, and that the package renders the `running` golden fixture with no
// Rust toolchain on the PATH.
//
// Usage: node scripts/npm-install-check.mjs DIR EXPECTED_PLATFORM
// Exit 0 and one summary line on success.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const [dir, expected] = process.argv.slice(2);
if (!dir || !expected) {
  console.error('usage: npm-install-check.mjs DIR EXPECTED_PLATFORM');
  process.exit(2);
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));

const packuments = new Map();
const files = new Map();
let server;
const listening = new Promise((resolve) => {
  server = createServer((req, res) => {
    const url = decodeURIComponent(req.url);
    const body = url.startsWith('/-/tarballs/') ? files.get(url.slice('/-/tarballs/'.length)) : packuments.get(url.slice(1));
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' });
    res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
  }).listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
});
const registry = await listening;

for (const file of tarballs) {
  const data = readFileSync(path.join(dir, file));
  const manifest = JSON.parse(execFileSync('tar', ['-xOzf', path.join(dir, file), 'package/package.json'], { encoding: 'utf8' }));
  files.set(file, data);
  packuments.set(manifest.name, {
    name: manifest.name,
    'dist-tags': { latest: manifest.version },
    versions: {
      [manifest.version]: {
        ...manifest,
        dist: {
          tarball: `${registry}/-/tarballs/${file}`,
          integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
          shasum: createHash('sha1').update(data).digest('hex'),
        },
      },
    },
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'loki-metrics-npm-install-'));
try {
  const project = path.join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const npmEnv = {
    ...process.env,
    npm_config_registry: `${registry}/`,
    npm_config_cache: path.join(work, 'npm-cache'),
    npm_config_userconfig: path.join(work, 'npmrc'),
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
  // Asynchronously: this process is the registry npm talks to.
  await promisify(execFile)('npm', ['install', '--no-package-lock', 'loki-metrics'], { cwd: project, env: npmEnv });

  const modules = path.join(project, 'node_modules');
  const platformDirs = readdirSync(modules).filter((d) => d.startsWith('loki-metrics-'));
  if (platformDirs.join() !== `loki-metrics-${expected}`) {
    throw new Error(`expected only loki-metrics-${expected} beside loki-metrics, npm installed: ${platformDirs.join(', ') || 'none'}`);
  }
  const installedName = JSON.parse(readFileSync(path.join(modules, platformDirs[0], 'package.json'), 'utf8')).name;
  if (installedName !== `@loki-metrics/${expected}`) throw new Error(`loki-metrics-${expected} is ${installedName}`);

  const fixture = path.join(root, 'tests', 'fixtures', 'running');
  const script = `
    const loki = require('loki-metrics');
    const out = loki.render(${JSON.stringify(path.join(fixture, '.loki'))}, { now: ${JSON.stringify(readFileSync(path.join(fixture, 'now'), 'utf8').trim())}, format: 'openmetrics' });
    if (out !== ${JSON.stringify(readFileSync(path.join(fixture, 'expected.om'), 'utf8'))}) throw new Error('render differs from expected.om');
    if (loki.parse(out).length !== 19) throw new Error('parse differs');
    if (!require.resolve('loki-metrics').startsWith(${JSON.stringify(project + path.sep)})) throw new Error('resolved outside the project');
    const addon = Object.keys(require.cache).find((f) => f.endsWith('.node'));
    if (!addon.startsWith(${JSON.stringify(path.join(modules, platformDirs[0]) + path.sep)})) throw new Error('addon loaded from ' + addon);
    import('loki-metrics').then((m) => {
      if (m.render !== loki.render) throw new Error('the ESM entry differs');
      console.log(addon);
    });
  `;
  // No cargo or rustc on the PATH: the prebuilt addon must be enough.
  const env = { PATH: path.dirname(process.execPath), HOME: work };
  const addon = execFileSync(process.execPath, ['-e', script], { cwd: project, env, encoding: 'utf8' }).trim();
  console.log(`npm install loki-metrics from ${tarballs.length} packed tarballs: picked @loki-metrics/${expected} (${path.relative(project, addon)}), rendered running/expected.om byte-identically`);
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
