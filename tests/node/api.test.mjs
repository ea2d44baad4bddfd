// collect/render/Collector/negotiate: JavaScript conventions and typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtures, loki } from './helpers.mjs';

const running = fixtures.find((f) => f.name === 'running');

function expectError(fn, code, ErrorType = Error) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof ErrorType, `${e} is not a ${ErrorType.name}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('collect returns a camelCase snapshot with every family\'s value', () => {
  const s = loki.collect(running.lokiDir, { now: running.now });
  assert.deepEqual(
    { ...s, tasks: { ...s.tasks } },
    {
      sessionStatus: 'running',
      iterationCurrent: 12,
      iterationMax: 1000,
      tasks: { pending: 3, inProgress: 1, completed: 7, failed: 1 },
      agentsActive: 2,
      agentsTotal: 3,
      costUsd: 1.2,
      eventsTotal: 12,
      uptimeSeconds: 7200,
      receiptsTotal: 0,
      receiptsByVerdict: { verified: 0, withGaps: 0, notVerified: 0, unknown: 0 },
      receiptsWithProvenance: { attestation: 0, gpg: 0 },
      budgetLimitUsd: null,
      budgetExceeded: null,
      tokens: { input: 170000, output: 10000, cacheRead: 0, cacheCreation: 0 },
      modelCostUsd: { opus: 0.3, sonnet: 0.9 },
      sessionInfo: { version: '5.38.0', provider: 'claude', phase: 'DEVELOPMENT' },
      stateUpdatedTimestampSeconds: 1767614398,
      checklistItems: {},
      failedSources: [],
      warnings: [],
    },
  );
});

test('every key of the JSON encoding is a property of the snapshot object, camelCased', () => {
  const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  const s = loki.collect(running.lokiDir, { now: running.now, exporterMetrics: true });
  const json = JSON.parse(loki.render(s, { format: 'json' }));
  assert.deepEqual(Object.keys(s), Object.keys(json).map(camel));
  assert.deepEqual(Object.keys(s.tasks), Object.keys(json.tasks).map(camel));
  assert.deepEqual(Object.keys(s.exporter), Object.keys(json.exporter).map(camel));
  assert.equal(s.exporter.version, loki.VERSION);
});

test('a missing directory is a warning on the snapshot, not an error', () => {
  const s = loki.collect(path.join(tmpdir(), 'no-such-loki-dir-for-node-tests'));
  assert.equal(s.sessionStatus, 'stopped');
  assert.equal(s.warnings.length, 1);
  assert.equal(s.warnings[0].source, '.');
});

test('now accepts a Date, epoch milliseconds and RFC 3339 text alike', () => {
  const date = new Date(running.now);
  const a = loki.render(running.lokiDir, { now: date });
  assert.equal(loki.render(running.lokiDir, { now: date.getTime() }), a);
  assert.equal(loki.render(running.lokiDir, { now: running.now }), a);
  assert.equal(a, running.expected.prometheus);
});

test('maxIterations sets loki_iteration_max', () => {
  assert.equal(loki.collect(running.lokiDir, { maxIterations: 50 }).iterationMax, 50);
});

test('staleAfterMs is how old the state may be and still read running, in every function that collects', async () => {
  // The running fixture's dashboard-state.json was written 2 s before its `now`.
  const stale = { now: running.now, staleAfterMs: 1000 };
  assert.equal(loki.collect(running.lokiDir, stale).sessionStatus, 'stopped');
  assert.equal((await loki.collectAsync(running.lokiDir, stale)).sessionStatus, 'stopped');
  assert.match(loki.render(running.lokiDir, stale), /^loki_session_status 0$/m);
  assert.match(await loki.renderAsync(running.lokiDir, stale), /^loki_session_status 0$/m);
  assert.equal(new loki.Collector({ dir: running.lokiDir, ...stale }).collect().sessionStatus, 'stopped');
  const server = await loki.serve({ dir: running.lokiDir, port: 0, ...stale });
  try {
    assert.equal(server.collector.collect().sessionStatus, 'stopped');
  } finally {
    await server.close();
  }
  assert.equal(loki.collect(running.lokiDir, { now: running.now, staleAfterMs: 3000 }).sessionStatus, 'running');
});

test('collectAsync resolves to the same snapshot as collect', async () => {
  assert.deepEqual(await loki.collectAsync(running.lokiDir, { now: running.now }), loki.collect(running.lokiDir, { now: running.now }));
});

test('render defaults to Prometheus text 0.0.4', () => {
  assert.equal(loki.render(running.lokiDir, { now: running.now }), running.expected.prometheus);
});

test('a wrong argument type throws a TypeError with code ERR_INVALID_ARG_TYPE', () => {
  expectError(() => loki.collect(42), 'ERR_INVALID_ARG_TYPE', TypeError);
  expectError(() => loki.collect(running.lokiDir, 'opts'), 'ERR_INVALID_ARG_TYPE', TypeError);
  expectError(() => loki.collect(running.lokiDir, { now: true }), 'ERR_INVALID_ARG_TYPE', TypeError);
  expectError(() => loki.render(12), 'ERR_INVALID_ARG_TYPE', TypeError);
  expectError(() => loki.negotiate(1), 'ERR_INVALID_ARG_TYPE', TypeError);
});

test('an unusable argument value throws code ERR_INVALID_ARG_VALUE', () => {
  expectError(() => loki.render(running.lokiDir, { format: 'xml' }), 'ERR_INVALID_ARG_VALUE', TypeError);
  expectError(() => loki.collect(running.lokiDir, { now: 'yesterday' }), 'ERR_INVALID_ARG_VALUE', TypeError);
  expectError(() => loki.collect(running.lokiDir, { maxIterations: 0 }), 'ERR_INVALID_ARG_VALUE', TypeError);
  expectError(() => loki.collect(running.lokiDir, { maxIterations: 1.5 }), 'ERR_INVALID_ARG_VALUE', TypeError);
  expectError(() => new loki.Collector({ cacheTtlMs: -1 }), 'ERR_INVALID_ARG_VALUE', TypeError);
  expectError(() => loki.render({ ...loki.collect(running.lokiDir), sessionStatus: 'asleep' }), 'ERR_INVALID_ARG_VALUE', TypeError);
});

test('async forms reject (not throw) on bad arguments', async () => {
  const pending = loki.renderAsync(running.lokiDir, { format: 'xml' });
  assert.ok(pending instanceof Promise);
  await assert.rejects(pending, { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(loki.collectAsync(7), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a Collector serves a fresh cache without reading again', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loki-node-'));
  writeFileSync(path.join(dir, 'events.jsonl'), '{}\n');
  const c = new loki.Collector({ dir, cacheTtlMs: 60_000 });
  assert.equal(c.collect().eventsTotal, 1);
  appendFileSync(path.join(dir, 'events.jsonl'), '{}\n');
  assert.equal(c.collect().eventsTotal, 1);
  assert.match(c.render(), /^loki_events_total 1$/m);
  assert.equal(c.collections, 1);
  assert.equal(c.cacheTtlMs, 60_000);
  assert.equal(c.dir, dir);
  c.invalidate();
  assert.equal(c.collect().eventsTotal, 2);
  assert.equal(c.collections, 2);
});

test('a Collector with cacheTtlMs 0 reads on every call', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loki-node-'));
  const c = new loki.Collector({ dir, cacheTtlMs: 0 });
  c.collect();
  await c.collectAsync();
  c.render('openmetrics');
  assert.equal(c.collections, 3);
});

test('negotiate follows the Accept header like the exporter', () => {
  assert.equal(loki.negotiate(), 'prometheus');
  assert.equal(loki.negotiate(null), 'prometheus');
  assert.equal(loki.negotiate('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), 'openmetrics');
  assert.equal(loki.negotiate('text/plain'), 'prometheus');
});

test('content-type constants and contentType() agree with the core', () => {
  assert.equal(loki.PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(loki.OPENMETRICS_CONTENT_TYPE, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.equal(loki.JSON_CONTENT_TYPE, 'application/json');
  assert.equal(loki.contentType('openmetrics'), loki.OPENMETRICS_CONTENT_TYPE);
  assert.match(loki.VERSION, /^\d+\.\d+\.\d+/);
});

test('the ESM entry exports the same functions as the CommonJS entry', async () => {
  const esm = await import('loki-metrics');
  const cjsNames = Object.keys(loki).filter((k) => !k.startsWith('__') && !['Format', 'SourcePath', 'MetricType'].includes(k)).sort();
  for (const name of cjsNames) assert.equal(esm[name], loki[name], name);
  assert.equal(esm.default, loki);
});
