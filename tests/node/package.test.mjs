// The package as shipped: entries, generated files, and `npm pack` of the main
// package and this machine's platform package (@loki-metrics/linux-x64-gnu),
// installed by `npm install loki-metrics` into a separate project that has no
// Rust toolchain on its PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loki, root } from './helpers.mjs';

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

test('every export is declared in the generated index.d.ts or the hand-written main.d.ts', () => {
  const dts = ['index.d.ts', 'main.d.ts'].map((f) => readFileSync(path.join(root, 'node', f), 'utf8')).join('\n');
  for (const name of Object.keys(loki).filter((k) => !k.startsWith('__'))) {
    assert.match(dts, new RegExp(`export (declare (class|function|const)|type) ${name}\\b`), name);
  }
  assert.doesNotMatch(dts, /Promise<unknown>/);
});

test('the ESM entry re-exports every native value', () => {
  const mjs = readFileSync(path.join(root, 'node', 'index.mjs'), 'utf8');
  for (const [name, value] of Object.entries(loki)) {
    if (name.startsWith('__') || typeof value === 'object') continue; // string-enum objects are types in TS
    assert.match(mjs, new RegExp(`\\b${name},`), name);
  }
});

test('package.json lists every file the entries need', () => {
  for (const target of Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))) {
    if (target.endsWith('package.json')) continue;
    assert.ok(pkg.files.includes(target.replace(/^\.\//, '')), `${target} is not in "files"`);
  }
  // The addons ship in the platform packages, never in the main one.
  assert.deepEqual(pkg.files.filter((f) => f.endsWith('.node')), []);
});

test('the package is for every platform, and each napi target has its platform package', async () => {
  assert.equal(pkg.os, undefined);
  assert.equal(pkg.cpu, undefined);
  const { PLATFORMS } = await import('../../scripts/npm-packages.mjs');
  const napiName = { x86_64: 'x64', aarch64: 'arm64', 'unknown-linux-gnu': 'linux-%-gnu', 'unknown-linux-musl': 'linux-%-musl', 'apple-darwin': 'darwin-%' };
  const fromTargets = pkg.napi.targets.map((t) => {
    const [arch, ...rest] = t.split('-');
    return napiName[rest.join('-')].replace('%', napiName[arch]);
  });
  assert.deepEqual(fromTargets.sort(), Object.keys(PLATFORMS).sort());
});

test('npm install loki-metrics, from the packed main and linux-x64-gnu packages, picks the addon package and works without Rust', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'loki-metrics-pack-'));
  try {
    const npmEnv = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
    const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, env: npmEnv, encoding: 'utf8' });
    const [info] = JSON.parse(out.slice(out.indexOf('[')));
    assert.equal(info.filename, `loki-metrics-${pkg.version}.tgz`);
    const packed = info.files.map((f) => f.path).sort();
    // npm adds package.json and README.md to the "files" list by itself.
    assert.deepEqual(packed, ['README.md', 'package.json', ...pkg.files].sort());
    // Both licence texts (npm adds only LICENSE/LICENCE/COPYING by itself, not
    // LICENSE-MIT) and the Node README, beside the repository's README.md that
    // npm always packs.
    for (const f of ['LICENSE-MIT', 'LICENSE-APACHE', 'node/README.md']) assert.ok(packed.includes(f), `${f} is not packed`);

    // The main package as scripts/dist.sh packs it: the same files, and the
    // platform packages as optional dependencies.
    const script = path.join(root, 'scripts', 'npm-packages.mjs');
    const tarball = execFileSync('node', [script, 'main', work], { encoding: 'utf8' }).trim();
    assert.equal(path.basename(tarball), info.filename);
    assert.deepEqual(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, '')).sort(), packed);
    const mainPkg = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.equal(mainPkg.optionalDependencies['loki-metrics-linux-x64-gnu'], `npm:@loki-metrics/linux-x64-gnu@${pkg.version}`);
    assert.equal(Object.keys(mainPkg.optionalDependencies).length, 6);
    for (const f of ['LICENSE-MIT', 'LICENSE-APACHE', 'node/README.md']) {
      assert.equal(execFileSync('tar', ['-xOzf', tarball, `package/${f}`], { encoding: 'utf8' }), readFileSync(path.join(root, f), 'utf8'), f);
    }

    // The platform package around the addon `npm run build` made, packed the
    // way scripts/dist.sh packs all six.
    const addon = path.join(root, 'node', 'loki-metrics.linux-x64-gnu.node');
    const platformTarball = execFileSync('node', [script, 'platform', 'linux-x64-gnu', addon, work], { encoding: 'utf8' }).trim();
    assert.equal(path.basename(platformTarball), `loki-metrics-linux-x64-gnu-${pkg.version}.tgz`);
    const platformPkg = JSON.parse(execFileSync('tar', ['-xOzf', platformTarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.deepEqual([platformPkg.name, platformPkg.os, platformPkg.cpu, platformPkg.libc], ['@loki-metrics/linux-x64-gnu', ['linux'], ['x64'], ['glibc']]);

    const result = execFileSync('node', [path.join(root, 'scripts', 'npm-install-check.mjs'), work, 'linux-x64-gnu'], { env: npmEnv, encoding: 'utf8' });
    assert.match(result, /picked @loki-metrics\/linux-x64-gnu .*rendered running\/expected\.om byte-identically/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
