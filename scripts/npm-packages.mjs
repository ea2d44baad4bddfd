// Packs the npm packages in napi-rs's layout:
//
//   main OUTDIR                      loki-metrics, as `npm pack` packs the repository,
//                                    plus optionalDependencies on the six platform packages
//   platform PLATFORM ADDON OUTDIR   @loki-metrics/<platform> around a built addon
//
// The main package names each platform package under the alias
// `loki-metrics-<platform>` (`npm:@loki-metrics/<platform>@VERSION`), the name
// the generated loader (node/index.js) requires; npm installs the one whose
// os/cpu/libc match. The repository's package.json leaves them out, as napi-rs's
// `prepublish` does: unpublished, they would break `npm ci` here.
// Prints the path of the packed tarball.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PLATFORMS = {
  'linux-x64-gnu': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-arm64-gnu': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
};

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const main = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

function pack(dir, outDir) {
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', path.resolve(outDir)], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  return path.join(path.resolve(outDir), info.filename);
}

function packMain(outDir) {
  const stage = mkdtempSync(path.join(tmpdir(), 'loki-metrics-main-'));
  try {
    const tarball = pack(root, stage);
    execFileSync('tar', ['-xzf', tarball, '-C', stage]);
    const manifest = {
      ...main,
      optionalDependencies: Object.fromEntries(
        Object.keys(PLATFORMS).map((p) => [`${main.napi.binaryName}-${p}`, `npm:@loki-metrics/${p}@${main.version}`]),
      ),
    };
    writeFileSync(path.join(stage, 'package', 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return pack(path.join(stage, 'package'), outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function packPlatform(platform, addon, outDir) {
  const target = PLATFORMS[platform];
  if (!target) throw new Error(`unknown platform ${platform}: one of ${Object.keys(PLATFORMS).join(', ')}`);
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
    return pack(stage, outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'main' && args.length === 1) console.log(packMain(args[0]));
  else if (mode === 'platform' && args.length === 3) console.log(packPlatform(...args));
  else {
    console.error('usage: npm-packages.mjs main OUTDIR | platform PLATFORM ADDON.node OUTDIR');
    process.exit(2);
  }
}
