// A collected snapshot's families and value(): the core's families as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtures, loki } from './helpers.mjs';

const running = fixtures.find((f) => f.name === 'running');
const collectRunning = (opts = {}) => loki.collect(running.lokiDir, { now: running.now, ...opts });

for (const fx of fixtures) {
  test(`families are what parse reads from the expected OpenMetrics for ${fx.name}`, () => {
    const snapshot = loki.collect(fx.lokiDir, { now: fx.now });
    assert.deepEqual(snapshot.families, loki.parse(fx.expected.openmetrics, { format: 'openmetrics' }));
  });
}

test('value finds a sample by sample name and exact labels', () => {
  const snapshot = collectRunning();
  assert.equal(snapshot.value('loki_tasks_total', { status: 'pending' }), snapshot.tasks.pending);
  assert.equal(snapshot.value('loki_tasks_total', { status: 'pending' }), 3);
  assert.equal(snapshot.value('loki_cost_usd'), 1.2);
  assert.equal(snapshot.value('loki_events'), snapshot.value('loki_events_total'));
  assert.equal(snapshot.value('loki_tasks_total'), null, 'no unlabelled sample');
  assert.equal(snapshot.value('loki_tasks_total', { status: 'pending', extra: 'x' }), null);
  assert.equal(snapshot.value('loki_no_such_metric'), null);
});

test('value rejects arguments of the wrong type with typed errors', () => {
  const snapshot = collectRunning();
  assert.throws(() => snapshot.value(3), { code: 'ERR_INVALID_ARG_TYPE', message: /"name"/ });
  assert.throws(() => snapshot.value('loki_tasks_total', { status: 1 }), { code: 'ERR_INVALID_ARG_TYPE', message: /"labels"/ });
});

test('families and value are not enumerable: a snapshot spreads and serialises as its plain fields', () => {
  const snapshot = collectRunning();
  assert.ok(!Object.keys(snapshot).includes('families'));
  assert.ok(!Object.keys(snapshot).includes('value'));
  assert.equal(JSON.stringify(snapshot), JSON.stringify({ ...snapshot }));
});

test('families follow exporter metrics and describe the collection, not later edits', () => {
  const snapshot = collectRunning({ exporterMetrics: true });
  const names = snapshot.families.map((f) => f.name);
  assert.deepEqual(names.slice(-3), ['loki_source_error', 'loki_scrape_duration_seconds', 'loki_exporter_build']);
  assert.equal(snapshot.value('loki_exporter_build_info', { version: loki.VERSION }), 1);
  assert.equal(snapshot.families, snapshot.families, 'built once');
  snapshot.iterationCurrent = 99;
  assert.equal(snapshot.value('loki_iteration_current'), 12);
  assert.match(loki.render(snapshot), /\nloki_iteration_current 99\n/, 'render encodes the plain fields as edited');
});

test('a Collector method called on another object is a TypeError', () => {
  const collector = new loki.Collector({ lokiDir: running.lokiDir, now: running.now });
  assert.throws(() => collector.collect.call({}), TypeError);
});

test('a Collector returns snapshots with families, sync and async', async () => {
  const collector = new loki.Collector({ dir: running.lokiDir, now: running.now });
  const expected = loki.parse(running.expected.openmetrics, { format: 'openmetrics' });
  assert.deepEqual(collector.collect().families, expected);
  assert.deepEqual((await collector.collectAsync()).families, expected);
  assert.deepEqual((await loki.collectAsync(running.lokiDir, { now: running.now })).families, expected);
});

test('each family of a snapshot knows its 0.0.4 name, non-enumerably', () => {
  const snapshot = collectRunning({ exporterMetrics: true });
  const byName = Object.fromEntries(snapshot.families.map((f) => [f.name, f.prometheusName]));
  assert.equal(byName.loki_events, 'loki_events_total');
  assert.equal(byName.loki_exporter_build, 'loki_exporter_build_info');
  assert.equal(byName.loki_cost_usd, 'loki_cost_usd');
  assert.deepEqual(snapshot.families.map((f) => f.prometheusName), loki.parse(loki.render(running.lokiDir, { now: running.now, exporterMetrics: true }), { format: 'prometheus' }).map((f) => f.name));
  assert.ok(!Object.keys(snapshot.families[0]).includes('prometheusName'));
});
