// Packs one napi-rs platform package, `@loki-metrics/<platform>`, around a
// built addon. The main package names it in optionalDependencies under the
// alias `loki-metrics-<platform>`, the name the generated loader
// (node/index.js) requires; npm installs the one whose os/cpu/libc match.
//
// Usage: node scripts/npm-platform-package.mjs PLATFORM ADDON.node OUTDIR
// Prints the path of the packed tarball (OUTDIR/loki-metrics-<platform>-<version>.tgz).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const PLATFORMS = {
  'linux-x64-gnu': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-arm64-gnu': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
};

const [platform, addon, outDir] = process.argv.slice(2);
const target = PLATFORMS[platform];
if (!target || !addon || !outDir) {
  console.error(`usage: npm-platform-package.mjs {${Object.keys(PLATFORMS).join('|')}} ADDON.node OUTDIR`);
  process.exit(2);
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const main = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const alias = `${main.napi.binaryName}-${platform}`;
if (main.optionalDependencies?.[alias] !== `npm:@loki-metrics/${platform}@${main.version}`) {
  throw new Error(`package.json's optionalDependencies lack ${alias}: npm:@loki-metrics/${platform}@${main.version}`);
}

const binary = `${main.napi.binaryName}.${platform}.node`;
const stage = mkdtempSync(path.join(tmpdir(), `loki-metrics-${platform}-`));
try {
  copyFileSync(addon, path.join(stage, binary));
  for (const f of ['LICENSE-MIT', 'LICENSE-APACHE']) copyFileSync(path.join(root, f), path.join(stage, f));
  writeFileSync(
    path.join(stage, 'README.md'),
    `# @loki-metrics/${platform}\n\nThe ${platform} native addon of [loki-metrics](https://www.npmjs.com/package/loki-metrics).\nInstall \`loki-metrics\`, not this package: npm picks the platform package that matches.\n`,
  );
  const manifest = {
    name: `@loki-metrics/${platform}`,
    version: main.version,
    description: `The ${platform} native addon of loki-metrics`,
    license: main.license,
    repository: main.repository,
    main: binary,
    files: [binary, 'LICENSE-MIT', 'LICENSE-APACHE'],
    engines: main.engines,
    os: [target.os],
    cpu: [target.cpu],
    ...(target.libc ? { libc: [target.libc] } : {}),
    publishConfig: { access: 'public' },
  };
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', path.resolve(outDir)], {
    cwd: stage,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  console.log(path.join(path.resolve(outDir), info.filename));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
