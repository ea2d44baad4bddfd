// The prom-client bridge inside real prom-client registries, and the Express example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtures, loki, require } from './helpers.mjs';

const client = require('prom-client');
const { registerLokiMetrics } = require('loki-metrics/prom-client');
const running = fixtures.find((f) => f.name === 'running');

function values(families) {
  return Object.fromEntries(families.flatMap((f) => f.samples.map((s) => [`${s.name}${JSON.stringify(s.labels)}`, s.value])));
}

test('registerLokiMetrics adds every Loki family next to the app\'s metrics', async () => {
  const registry = new client.Registry();
  const appCounter = new client.Counter({ name: 'app_requests_total', help: 'App requests', registers: [registry] });
  appCounter.inc(5);
  const registration = registerLokiMetrics(registry, { dir: running.lokiDir, now: running.now });
  assert.deepEqual(registration.names, [
    'loki_session_status', 'loki_iteration_current', 'loki_iteration_max', 'loki_tasks_total', 'loki_agents_active',
    'loki_agents_total', 'loki_cost_usd', 'loki_events_total', 'loki_uptime_seconds', 'loki_receipts_total',
    'loki_receipts_by_verdict', 'loki_receipts_with_provenance', 'loki_budget_limit_usd', 'loki_budget_exceeded',
    'loki_tokens_total', 'loki_model_cost_usd', 'loki_session_info', 'loki_state_updated_timestamp_seconds',
    'loki_checklist_items',
  ]);
  const text = await registry.metrics();
  const families = loki.parse(text, { format: 'prometheus' });
  assert.equal(families.find((f) => f.name === 'app_requests_total').samples[0].value, 5);
  const loki9 = families.filter((f) => f.name.startsWith('loki_'));
  const expected = loki.parse(running.expected.prometheus);
  assert.deepEqual(values(loki9), values(expected));
  assert.deepEqual(loki9.map((f) => [f.name, f.type, f.help]), expected.map((f) => [f.name, f.type, f.help]));
});

test('registered values follow the directory through the collector', async () => {
  const registry = new client.Registry();
  const collector = new loki.Collector({ dir: running.lokiDir, now: running.now, cacheTtlMs: 0 });
  const registration = registerLokiMetrics(registry, { collector });
  assert.equal(registration.collector, collector);
  const before = collector.collections;
  await registry.metrics();
  assert.ok(collector.collections > before, 'a scrape of the registry did not collect');
});

test('the global registry is used when none is given, and unregister removes the families', async () => {
  const registration = registerLokiMetrics(undefined, { dir: running.lokiDir, now: running.now });
  try {
    assert.match(await client.register.metrics(), /^loki_iteration_current 12$/m);
  } finally {
    registration.unregister();
  }
  assert.doesNotMatch(await client.register.metrics(), /loki_/);
});

test('registering twice in one registry fails with prom-client\'s error', () => {
  const registry = new client.Registry();
  registerLokiMetrics(registry, { dir: running.lokiDir });
  assert.throws(() => registerLokiMetrics(registry, { dir: running.lokiDir }), /already been registered/);
});

test('a non-registry argument is a TypeError', () => {
  assert.throws(() => registerLokiMetrics({}, {}), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => registerLokiMetrics(new client.Registry(), 'x'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('the Express example serves app and Loki metrics on one /metrics', async () => {
  const { createApp } = await import('../../examples/node/express.mjs');
  const app = createApp({ dir: running.lokiDir, now: running.now });
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  try {
    const base = `http://127.0.0.1:${server.address().port}`;
    const families = await loki.scrape(`${base}/metrics`);
    const names = families.map((f) => f.name);
    assert.ok(names.includes('dashboard_http_requests_total'));
    assert.ok(names.includes('process_cpu_user_seconds_total'));
    assert.equal(families.find((f) => f.name === 'loki_tasks_total').samples.length, 4);
    const snapshot = await (await fetch(`${base}/loki`)).json();
    assert.equal(snapshot.sessionStatus, 'running');
  } finally {
    server.close();
  }
});

test('a family without samples is declared with no sample (an unset budget limit is not a limit of 0)', async () => {
  const registry = new client.Registry();
  registerLokiMetrics(registry, { dir: running.lokiDir, now: running.now });
  const text = await registry.metrics();
  assert.match(text, /# TYPE loki_budget_limit_usd gauge\n/);
  assert.doesNotMatch(text, /^loki_budget_limit_usd /m);
  assert.doesNotMatch(text, /^loki_checklist_items/m);
});

test('a family whose samples appear after registration is rendered with their labels', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loki-prom-client-'));
  const registry = new client.Registry();
  registerLokiMetrics(registry, { dir, cacheTtlMs: 0 });
  assert.doesNotMatch(await registry.metrics(), /^loki_model_cost_usd\{/m);
  mkdirSync(path.join(dir, 'metrics', 'efficiency'), { recursive: true });
  writeFileSync(path.join(dir, 'metrics', 'efficiency', 'iteration-1.json'), '{"model": "Opus", "cost_usd": 0.25}');
  assert.match(await registry.metrics(), /^loki_model_cost_usd\{model="opus"\} 0\.25$/m);
});

test('unregister removes every family, also after the registry rendered OpenMetrics', async () => {
  const registry = new client.Registry();
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const registration = registerLokiMetrics(registry, { dir: running.lokiDir, now: running.now });
  const om = await registry.metrics();
  assert.match(om, /^loki_events_total 12$/m);
  assert.match(om, /# TYPE loki_events counter\n/);
  registration.unregister();
  assert.deepEqual(registry.getMetricsAsArray(), []);
});
