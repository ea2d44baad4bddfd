// The option rules of tests/options/cases.txt through Node's option objects
// (the CLI, Python, C and the core run the same cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir, loki, root } from './helpers.mjs';

const special = { '@running': path.join(fixturesDir, 'running', '.loki'), '@missing': path.join(fixturesDir, 'missing-dir', '.loki') };
const pairs = (text) => (text.trim() === '-' ? [] : text.split(',').map((p) => {
  const [k, v] = p.trim().split(/=(.*)/s);
  return [k, special[v] ?? v];
}));
const camel = (snake) => snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const now = readFileSync(path.join(fixturesDir, 'running', 'now'), 'utf8').trim();
const loKiEnv = ['LOKI_DIR', 'LOKI_MAX_ITERATIONS', 'LOKI_METRICS_EXPORTER_METRICS', 'LOKI_METRICS_STALE_AFTER'];

const cases = readFileSync(path.join(root, 'tests', 'options', 'cases.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => {
    const [name, given, env, outcome] = l.split('|').map((f) => f.trim());
    return { name, given: pairs(given), env: pairs(env), outcome: outcome.split(/\s+/) };
  });

test('the options table is complete', () => assert.ok(cases.length >= 10));

for (const c of cases) {
  test(`options: ${c.name}`, () => {
    const saved = Object.fromEntries(loKiEnv.map((k) => [k, process.env[k]]));
    for (const k of loKiEnv) delete process.env[k];
    for (const [k, v] of c.env) process.env[k] = v;
    try {
      const opts = { now };
      let dir;
      for (const [k, v] of c.given) {
        if (k === 'loki_dir') dir = v;
        else if (k === 'max_iterations' || k === 'json_size_cap') opts[camel(k)] = Number(v);
        else if (k === 'exporter_metrics') opts.exporterMetrics = v === 'true';
        else if (k === 'stale_after') opts.staleAfterMs = Number(v) * 1000;
        else opts[camel(k)] = v;
      }
      const run = () => loki.collect(dir, opts);
      const [kind, ...rest] = c.outcome;
      if (kind === 'ok') {
        const snapshot = run();
        for (const check of rest) {
          const [k, v] = check.split('=');
          if (k === 'iteration_current' || k === 'iteration_max') assert.equal(String(snapshot[camel(k)]), v, check);
          else if (k === 'exporter') assert.equal(snapshot.exporter != null, v === 'yes', check);
          else if (k === 'failed') assert.ok(snapshot.failedSources.includes(v), check);
          else if (k === 'session_status') assert.equal(snapshot.sessionStatus, v, check);
          else assert.fail(`unknown check ${check}`);
        }
      } else {
        assert.throws(run, { code: 'ERR_INVALID_ARG_VALUE', message: new RegExp(camel(rest[0])) });
      }
    } finally {
      for (const k of loKiEnv) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
}
