// Shared by the Node tests: the built package, the fixtures, the Rust CLI.
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const require = createRequire(import.meta.url);
/** The package as a consumer sees it (self-reference through package.json "exports"). */
export const loki = require('loki-metrics');

// Golden fixtures are rendered with LOKI_MAX_ITERATIONS unset.
delete process.env.LOKI_MAX_ITERATIONS;
delete process.env.LOKI_DIR;
delete process.env.LOKI_METRICS_EXPORTER_METRICS;

/** The default families every collection emits (SPEC §3: Loki Mode 5.38's nine, 9.20's three Evidence Receipt families, seven of ours). */
export const DEFAULT_FAMILIES = 19;

export const fixturesDir = path.join(root, 'tests', 'fixtures');
export const fixtures = readdirSync(fixturesDir)
  .filter((name) => existsSync(path.join(fixturesDir, name, 'now')))
  .sort()
  .map((name) => {
    const dir = path.join(fixturesDir, name);
    return {
      name,
      lokiDir: path.join(dir, '.loki'),
      now: readFileSync(path.join(dir, 'now'), 'utf8').trim(),
      expected: {
        prometheus: readFileSync(path.join(dir, 'expected.prom'), 'utf8'),
        openmetrics: readFileSync(path.join(dir, 'expected.om'), 'utf8'),
        json: readFileSync(path.join(dir, 'expected.json'), 'utf8'),
      },
    };
  });

/** The Rust CLI binary (scripts/test-node.sh builds it and sets LOKI_METRICS_BIN). */
export const cli = process.env.LOKI_METRICS_BIN && existsSync(process.env.LOKI_METRICS_BIN) ? process.env.LOKI_METRICS_BIN : null;
export const noCli = cli ? false : 'LOKI_METRICS_BIN is not set to a built loki-metrics binary';

export function runCli(args, input) {
  return spawnSync(cli, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

export function cliOutput(args) {
  return execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}
