// The package as shipped: entries, generated files, and `npm pack` installed
// into a separate project that has no Rust toolchain on its PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtures, loki, root } from './helpers.mjs';

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
  assert.ok(pkg.files.includes('node/loki-metrics.linux-x64-gnu.node'));
});

test('npm pack produces a tarball that installs and works in a project without Rust', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'loki-metrics-pack-'));
  try {
    const npmEnv = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env: npmEnv, encoding: 'utf8' });
    const [info] = JSON.parse(out.slice(out.indexOf('[')));
    assert.equal(info.filename, `loki-metrics-${pkg.version}.tgz`);
    const packed = info.files.map((f) => f.path).sort();
    // npm adds package.json and README.md to the "files" list by itself.
    assert.deepEqual(packed, ['README.md', 'package.json', ...pkg.files].sort());
    // Both licence texts (npm adds only LICENSE/LICENCE/COPYING by itself, not
    // LICENSE-MIT) and the Node README, beside the repository's README.md that
    // npm always packs.
    for (const f of ['LICENSE-MIT', 'LICENSE-APACHE', 'node/README.md']) assert.ok(packed.includes(f), `${f} is not packed`);

    const project = path.join(work, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--offline', '--no-package-lock', path.join(work, info.filename)], { cwd: project, env: npmEnv, encoding: 'utf8' });
    const installed = path.join(project, 'node_modules', 'loki-metrics');
    for (const f of ['LICENSE-MIT', 'LICENSE-APACHE', 'node/README.md']) {
      assert.equal(readFileSync(path.join(installed, f), 'utf8'), readFileSync(path.join(root, f), 'utf8'), f);
    }
    assert.match(readFileSync(path.join(installed, 'LICENSE-MIT'), 'utf8'), /^Copyright \(c\) the loki-metrics developers$/m);
    assert.match(readFileSync(path.join(installed, 'LICENSE-APACHE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);

    const fx = fixtures.find((f) => f.name === 'running');
    const script = `
      const loki = require('loki-metrics');
      const out = loki.render(${JSON.stringify(fx.lokiDir)}, { now: ${JSON.stringify(fx.now)}, format: 'openmetrics' });
      if (out !== ${JSON.stringify(fx.expected.openmetrics)}) throw new Error('render differs');
      if (loki.parse(out).length !== 19) throw new Error('parse differs');
      if (!require.resolve('loki-metrics').startsWith(${JSON.stringify(project)})) throw new Error('resolved outside the project');
      import('loki-metrics').then((m) => { if (m.render !== loki.render) throw new Error('esm differs'); console.log('consumer ok'); });
    `;
    // No cargo or rustc on the PATH: the prebuilt addon must be enough.
    const env = { PATH: path.dirname(process.execPath), HOME: work };
    const result = execFileSync(process.execPath, ['-e', script], { cwd: project, env, encoding: 'utf8' });
    assert.equal(result.trim(), 'consumer ok');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
