// Hostile input for every export: wrong types, unusable values, bad paths, misbehaving
// servers, huge inputs, concurrency. Each case ends in a typed error (the package's `code`s,
// TypeError/RangeError where JavaScript does) or the correct result; never a crash or hang.
// Cases that could crash the process run in a child, so a crash fails the test, not the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_FAMILIES, fixtures, loki, require, root } from './helpers.mjs';

const client = require('prom-client');
const { registerLokiMetrics } = require('loki-metrics/prom-client');
const running = fixtures.find((f) => f.name === 'running');
const scratch = mkdtempSync(path.join(tmpdir(), 'loki-hostile-'));

/** `{ name, code, message }` that an error must match (`name` is the constructor's). */
function matches(e, { name = 'Error', code, message }) {
  assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
  assert.equal(e.constructor.name, name, `${e.constructor.name}: ${e.message}`);
  assert.equal(e.code, code, e.message);
  if (message instanceof RegExp) assert.match(e.message, message);
  else assert.ok(e.message.includes(message), `${JSON.stringify(e.message)} lacks ${JSON.stringify(message)}`);
  return true;
}
const throws = (fn, want) => assert.throws(fn, (e) => matches(e, want));
const rejects = (promise, want) => assert.rejects(promise, (e) => matches(e, want));

/** Runs `source` (an ES module, `loki` and `fs` in scope) in a child Node; returns its JSON output. */
function inChild(source, { timeout = 30_000, args = [] } = {}) {
  const prelude = `import { createRequire } from 'node:module'; import fs from 'node:fs';
const require = createRequire(${JSON.stringify(path.join(root, 'package.json'))});
const loki = require('loki-metrics');
const out = (v) => process.stdout.write(JSON.stringify(v) + '\\n');
const rssPeak = () => Math.round(process.resourceUsage().maxRSS / 1024);\n`;
  const child = spawnSync(process.execPath, [...args, '--input-type=module', '-e', prelude + source], {
    encoding: 'utf8',
    timeout,
    maxBuffer: 16 * 1024 * 1024,
    cwd: root,
  });
  assert.equal(child.signal, null, `the child died of ${child.signal}: ${child.stderr}`);
  assert.equal(child.status, 0, `the child exited ${child.status}: ${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// --- wrong types --------------------------------------------------------------------------

const throwingToString = { toString() { throw new Error('toString ran'); } };
/** Values that are not strings, with how Node's messages describe them. */
const notStrings = [
  [42, 'type number'], [true, 'type boolean'], [{}, 'an object'], [[], 'an object'], [Symbol('s'), 'type symbol'],
  [10n, 'type bigint'], [() => {}, 'a function'], [Buffer.from('a 1\n'), 'an object'],
  [new Uint8Array([97]), 'an object'], [new Proxy({}, {}), 'an object'], [throwingToString, 'an object'],
  [new String('x'), 'an object'], [new URL('http://127.0.0.1/'), 'an object'],
];
/** Values that are not objects. */
const notObjects = [[42, 'type number'], ['opts', 'type string'], [true, 'type boolean'], [Symbol('s'), 'type symbol'], [10n, 'type bigint'], [() => {}, 'a function']];
const typeError = (message) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message });
const valueError = (message) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message });

test('string arguments refuse every other type with ERR_INVALID_ARG_TYPE, naming the argument', async () => {
  for (const [value, received] of notStrings) {
    throws(() => loki.collect(value), typeError(`The "dir" argument must be of type string. Received ${received}`));
    await rejects(loki.collectAsync(value), typeError('The "dir" argument must be of type string'));
    throws(() => loki.parse(value), typeError(`The "text" argument must be of type string. Received ${received}`));
    await rejects(loki.parseAsync(value), typeError('The "text" argument must be of type string'));
    await rejects(loki.scrape(value), typeError(`The "url" argument must be of type string. Received ${received}`));
    throws(() => loki.contentType(value), typeError('The "format" argument must be of type string'));
    throws(() => new loki.Collector().render(value), typeError('The "format" argument must be of type string'));
    await rejects(new loki.Collector().renderAsync(value), typeError('The "format" argument must be of type string'));
    if (typeof value !== 'object' || value === null) {
      throws(() => loki.negotiate(value), typeError(`The "accept" argument must be of type string. Received ${received}`));
    }
  }
  throws(() => loki.contentType(), typeError('Received undefined'));
  throws(() => loki.parse(), typeError('Received undefined'));
  throws(() => loki.parse(null), typeError('Received null'));
});

test('option objects refuse non-objects with ERR_INVALID_ARG_TYPE', async () => {
  for (const [value, received] of notObjects) {
    const want = typeError(`The "opts" argument must be an object. Received ${received}`);
    throws(() => loki.collect(scratch, value), want);
    throws(() => loki.render(scratch, value), want);
    await rejects(loki.renderAsync(scratch, value), want);
    throws(() => loki.parse('a 1\n', value), want);
    throws(() => new loki.Collector(value), want);
    await rejects(loki.serve(value), want);
    await rejects(loki.scrape('http://127.0.0.1:1/', value), want);
  }
});

test('render refuses a source that is neither a path nor a Snapshot', async () => {
  for (const [value, received] of [[42, 'type number'], [Symbol('s'), 'type symbol'], [10n, 'type bigint'], [() => {}, 'a function']]) {
    throws(() => loki.render(value), typeError(`The "source" argument must be a directory path or a Snapshot. Received ${received}`));
    await rejects(loki.renderAsync(value), typeError('must be a directory path or a Snapshot'));
  }
  for (const value of [{}, new Date()]) {
    throws(() => loki.render(value), typeError('The "source" argument is not a Snapshot: missing field `sessionStatus`'));
  }
  throws(() => loki.render([]), typeError('The "source" argument is not a Snapshot: expected an object'));
  throws(() => loki.render(Buffer.from('x')), typeError('The "source" argument is not a Snapshot: invalid type: byte array'));
  const cyclic = {};
  cyclic.self = cyclic;
  throws(() => loki.render(cyclic), typeError('The "source" argument is not a Snapshot: nested too deeply'));
  const snapshot = loki.collect(running.lokiDir, { now: running.now });
  throws(() => loki.render({ ...snapshot, iterationCurrent: '12' }), typeError('is not a Snapshot'));
  throws(() => loki.render({ ...snapshot, iterationCurrent: -1 }), valueError('"iterationCurrent" option must be an integer >= 0'));
  throws(() => loki.render({ ...snapshot, eventsTotal: 2 ** 53 }), valueError('Received 9007199254740992'));
  throws(() => loki.render({ ...snapshot, warnings: [{ source: '../etc/passwd', message: 'x' }] }), valueError('is not a .loki source path'));
  // Non-finite gauges are data, not errors: they render as the exposition spells them.
  assert.match(loki.render({ ...snapshot, costUsd: NaN, uptimeSeconds: -Infinity }), /^loki_cost_usd NaN$[^]*^loki_uptime_seconds -Inf$/m);
});

test('options of the wrong type are ERR_INVALID_ARG_TYPE naming the field', async () => {
  const cases = [
    [{ maxIterations: '10' }, 'CollectOptions.maxIterations'], [{ maxIterations: 10n }, 'CollectOptions.maxIterations'],
    [{ maxIterations: {} }, 'CollectOptions.maxIterations'], [{ jsonSizeCap: '1' }, 'CollectOptions.jsonSizeCap'],
    [{ exporterMetrics: 'yes' }, 'CollectOptions.exporterMetrics'], [{ exporterMetrics: 1 }, 'CollectOptions.exporterMetrics'],
    [{ staleAfterMs: '60000' }, 'CollectOptions.staleAfterMs'],
    [{ now: true }, 'now must be a Date, epoch milliseconds or an RFC 3339 string'], [{ now: 10n }, 'now must be a Date'],
    [{ now: Symbol('t') }, 'now must be a Date'], [{ now: {} }, 'now must be a Date'], [{ now: [] }, 'now must be a Date'],
  ];
  for (const [opts, message] of cases) {
    throws(() => loki.collect(scratch, opts), typeError(message));
    await rejects(loki.collectAsync(scratch, opts), typeError(message));
  }
  throws(() => new loki.Collector({ dir: 5 }), typeError('CollectorOptions.dir'));
  throws(() => new loki.Collector({ cacheTtlMs: '5' }), typeError('CollectorOptions.cacheTtlMs'));
  throws(() => loki.render(scratch, { format: 1 }), typeError('RenderOptions.format'));
  throws(() => loki.parse('a 1\n', { format: ['auto'] }), typeError('ParseOptions.format'));
  await rejects(loki.serve({ port: '80' }), typeError('ServeOptions.port'));
  await rejects(loki.serve({ host: 127001 }), typeError('ServeOptions.host'));
  await rejects(loki.scrape('http://127.0.0.1:1/', { timeoutMs: '5' }), typeError('ScrapeOptions.timeoutMs'));
  await rejects(loki.scrape('http://127.0.0.1:1/', { insecure: 'yes' }), typeError('ScrapeOptions.insecure'));
});

test('out-of-range numbers are ERR_INVALID_ARG_VALUE, never a panic (each in a child process)', () => {
  // 1e300 ms as `now`, `cacheTtlMs` or `timeoutMs` overflowed Duration::from_secs_f64 and aborted Node.
  const result = inChild(`
    const dir = ${JSON.stringify(scratch)};
    const cases = [
      ['maxIterations', (v) => loki.collect(dir, { maxIterations: v }), [0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300]],
      ['jsonSizeCap', (v) => loki.collect(dir, { jsonSizeCap: v }), [-1, 0.5, NaN, Infinity, 2 ** 53]],
      ['now', (v) => loki.collect(dir, { now: v }), [NaN, Infinity, -Infinity, 1e300, -1e300, Number.MAX_VALUE, new Date(NaN), '', 'yesterday', '2026-13-01T00:00:00Z']],
      ['cacheTtlMs', (v) => new loki.Collector({ cacheTtlMs: v }), [-1, NaN, Infinity, 1e300, -0.5]],
      ['staleAfterMs', (v) => loki.collect(dir, { staleAfterMs: v }), [-1, NaN, Infinity, -Infinity, 1e300]],
      ['timeoutMs', (v) => loki.scrape('http://127.0.0.1:1/', { timeoutMs: v }), [0, -1, NaN, Infinity, 1e300]],
      ['port', (v) => loki.serve({ port: v }), [-1, 65536, NaN, 80.5, Infinity, 2 ** 53]],
      ['format', (v) => loki.render(dir, { format: v }), ['xml', '', 'prometheus\\0', 'js'] ],
      ['format', (v) => loki.parse('a 1\\n', { format: v }), ['json', 'Auto\\0']],
    ];
    const seen = [];
    for (const [name, call, values] of cases) {
      for (const v of values) {
        try { await call(v); seen.push([name, String(v), 'resolved']); }
        catch (e) { seen.push([name, String(v), e.constructor.name, e.code, e.message]); }
      }
    }
    out(seen);`);
  for (const [name, value, ctor, code, message] of result) {
    assert.equal(ctor, 'TypeError', `${name}=${value}: ${ctor} ${message ?? ''}`);
    assert.equal(code, 'ERR_INVALID_ARG_VALUE', `${name}=${value}: ${message}`);
    assert.ok(message.length < 200, `${name}=${value}: a ${message.length}-character message`);
  }
  assert.equal(result.length, 8 + 5 + 10 + 5 + 5 + 5 + 6 + 4 + 2);
  const byName = (n, v) => result.find(([name, value]) => name === n && value === v)[4];
  assert.equal(byName('now', '1e+300'), 'The "now" argument is invalid: 1e300 ms is out of range');
  assert.match(byName('cacheTtlMs', '1e+300'), /must be a finite number of milliseconds >= 0\. Received 1e300$/);
  assert.equal(byName('staleAfterMs', '-1'), 'The "staleAfterMs" argument is invalid: must be a finite number of milliseconds >= 0. Received -1');
  assert.match(byName('staleAfterMs', 'Infinity'), /^The "staleAfterMs" argument is invalid: must be a finite number of milliseconds >= 0/);
  assert.match(byName('timeoutMs', '0'), /must be a finite number of milliseconds > 0\. Received 0$/);
  assert.match(byName('port', 'NaN'), /"port" argument is invalid: must be an integer 0-65535\. Received NaN$/);
  assert.match(byName('port', '80.5'), /Received 80\.5$/);
});

test('extreme but valid numbers give correct results', () => {
  // The latest Date there is; a huge TTL; no TTL; the smallest cap (0 is refused, as in every front end).
  // The session must be alive whatever the clock: runsh-mid-run's loki.pid names PID 1, and its
  // start is that file's mtime (the checkout's).
  const live = fixtures.find((f) => f.name === 'runsh-mid-run');
  const far = loki.collect(live.lokiDir, { now: 8.64e15 });
  const started = statSync(path.join(live.lokiDir, 'loki.pid')).mtimeMs;
  assert.equal(far.sessionStatus, 'running');
  assert.ok(Math.abs(far.uptimeSeconds - (8.64e15 - started) / 1000) < 1, `${far.uptimeSeconds}`);
  assert.equal(loki.collect(running.lokiDir, { now: -1 }).uptimeSeconds, 0);
  assert.equal(loki.collect(running.lokiDir, { now: new Date(-8.64e15) }).uptimeSeconds, 0);
  assert.equal(loki.collect(running.lokiDir, { maxIterations: 2 ** 53 - 1 }).iterationMax, 2 ** 53 - 1);
  const capped = loki.collect(running.lokiDir, { jsonSizeCap: 1 });
  assert.ok(capped.failedSources.includes('dashboard-state.json'), JSON.stringify(capped.failedSources));
  assert.throws(() => loki.collect(running.lokiDir, { jsonSizeCap: 0 }), { code: 'ERR_INVALID_ARG_VALUE', message: /jsonSizeCap: must be at least 1 byte/ });
  const forever = new loki.Collector({ dir: running.lokiDir, cacheTtlMs: 1e15 });
  assert.equal(forever.cacheTtlMs, 1e15);
  forever.collect();
  forever.collect();
  assert.equal(forever.collections, 1);
  const never = new loki.Collector({ dir: running.lokiDir, cacheTtlMs: Number.MIN_VALUE });
  never.collect();
  assert.equal(never.cacheTtlMs, 0);
});

test('unknown options are errors naming them; arrays and Proxies are read as option objects', () => {
  const base = loki.render(running.lokiDir, { now: running.now });
  assert.throws(() => loki.render(running.lokiDir, { now: running.now, bogus: 1 }), { code: 'ERR_INVALID_ARG_VALUE', message: /unknown option "bogus"/ });
  assert.throws(() => loki.collect(running.lokiDir, { now: running.now, maxIteration: 5 }), { code: 'ERR_INVALID_ARG_VALUE', message: /unknown option "maxIteration": did you mean "maxIterations"\?/ });
  // Options are read as JavaScript reads properties: inherited ones count; names are trimmed and case-blind.
  assert.match(loki.render(running.lokiDir, { now: running.now, __proto__: { format: 'json' } }), /^\{\n {2}"session_status"/);
  assert.equal(loki.render(running.lokiDir, { now: running.now, format: ' Prometheus ' }), base);
  assert.equal(loki.collect(running.lokiDir, []).iterationMax, 1000);
  const proxy = new Proxy({}, { get: (_t, k) => (k === 'maxIterations' ? 5 : k === 'now' ? running.now : undefined) });
  assert.equal(loki.collect(running.lokiDir, proxy).iterationMax, 5);
  assert.throws(() => new loki.Collector({ dir: running.lokiDir, cacheTtlMs: 1, bogus: true }), { code: 'ERR_INVALID_ARG_VALUE', message: /unknown option "bogus"/ });
});

test('lokiDir names the directory, dir stays its alias, and the two must agree', () => {
  const byLokiDir = new loki.Collector({ lokiDir: running.lokiDir, now: running.now });
  assert.equal(byLokiDir.render('openmetrics'), running.expected.openmetrics);
  assert.equal(new loki.Collector({ dir: running.lokiDir, now: running.now }).render('openmetrics'), running.expected.openmetrics);
  assert.equal(new loki.Collector({ dir: running.lokiDir, lokiDir: running.lokiDir, now: running.now }).render('openmetrics'), running.expected.openmetrics);
  assert.throws(() => new loki.Collector({ dir: running.lokiDir, lokiDir: '/elsewhere' }), { code: 'ERR_INVALID_ARG_VALUE', message: /disagree/ });
  assert.throws(() => new loki.Collector({ lokiDri: running.lokiDir }), { message: /unknown option "lokiDri": did you mean "lokiDir"\?/ });
});

test('what a getter or Proxy trap throws propagates unchanged (sync throws, async rejects)', async () => {
  class Boom extends RangeError {}
  const thrower = () => { throw new Boom('getter threw'); };
  const getter = () => Object.defineProperties({}, Object.fromEntries(['dir', 'now', 'format', 'port', 'token'].map((k) => [k, { get: thrower, enumerable: true }])));
  const trap = () => new Proxy({}, { get() { throw new Boom('trap threw'); } });
  const isBoom = (message) => (e) => e instanceof Boom && e.message === message;
  for (const make of [getter, trap]) {
    const message = make === getter ? 'getter threw' : 'trap threw';
    assert.throws(() => loki.collect(scratch, make()), isBoom(message));
    assert.throws(() => loki.render(scratch, make()), isBoom(message));
    assert.throws(() => new loki.Collector(make()), isBoom(message));
    assert.throws(() => loki.parse('a 1\n', make()), isBoom(message));
    await assert.rejects(loki.collectAsync(scratch, make()), isBoom(message));
    await assert.rejects(loki.parseAsync('a 1\n', make()), isBoom(message));
    await assert.rejects(loki.serve(make()), isBoom(message));
  }
  await assert.rejects(loki.scrape('http://127.0.0.1:1/', { get token() { throw new Boom('token'); } }), isBoom('token'));
  await assert.rejects(loki.scrape('http://127.0.0.1:1/', trap()), isBoom('trap threw'));
  const snapshot = { ...loki.collect(scratch), get tasks() { throw new Boom('snapshot getter'); } };
  assert.throws(() => loki.render(snapshot), isBoom('snapshot getter'));
  // A thrown primitive (napi cannot hold one) is quoted in a typed error.
  throws(() => loki.collect(scratch, { get now() { throw 'plain string'; } }), valueError('The "opts" argument is invalid: reading it threw plain string'));
  await rejects(loki.serve({ get port() { throw 42; } }), valueError('reading it threw 42'));
});

test('NUL bytes, lone surrogates and Buffers in strings', async () => {
  const nul = loki.collect(`${scratch}\0/x`);
  assert.deepEqual(nul.warnings.map((w) => [w.source, w.message]), [['.', 'the directory cannot be read: file name contained an unexpected NUL byte; all values are fallbacks']]);
  assert.equal(loki.collect('\ud800').warnings[0].message, 'the directory does not exist; all values are fallbacks');
  assert.equal(loki.parse('a{x="\0"} 1\n')[0].samples[0].labels.x, '\0');
  assert.equal(loki.parse('a{x="\ud800"} 1\n')[0].samples[0].labels.x, '\ufffd');
  assert.equal(loki.parse('# HELP a \udfff\u0000\na 1\n')[0].help, '\ufffd\0');
  assert.equal(loki.negotiate('\0\ud800'), 'prometheus');
  await rejects(loki.scrape('http://127.0.0.1:1/\0'), valueError('not a URL'));
  await rejects(loki.scrape('http://[::1'), valueError('not a URL'));
  await rejects(loki.scrape('ftp://127.0.0.1/'), valueError('the scheme must be http or https'));
  await rejects(loki.scrape(''), valueError('invalid URL'));
  await rejects(loki.scrape('http://127.0.0.1:99999/'), valueError('the port must be a number from 0 to 65535'));
  await rejects(loki.scrape('http://127.0.0.1:1/', { token: 'a\nb' }), valueError('the token must be non-empty printable ASCII'));
  await rejects(loki.scrape('http://127.0.0.1:1/', { token: '' }), valueError('the token must be non-empty printable ASCII'));
  await rejects(loki.serve({ port: 0, host: 'a\0b' }), { code: 'ERR_LOKI_SERVE', message: 'must be a name or an address, without spaces or control characters' });
  await rejects(loki.serve({ port: 0, path: '/m\0' }), { code: 'ERR_LOKI_SERVE', message: 'must start with \'/\' and use only plain path characters' });
  await rejects(loki.serve({ port: 0, token: 'se\0cret' }), { code: 'ERR_LOKI_SERVE', message: 'the token must be non-empty printable ASCII' });
  await rejects(loki.serve({ port: 0, token: '\ud800' }), { code: 'ERR_LOKI_SERVE', message: 'the token must be non-empty printable ASCII' });
  throws(() => loki.render(scratch, { format: Buffer.from('json') }), typeError('RenderOptions.format'));
});

test('classes called without new, and methods and getters called on a foreign this', async () => {
  throws(() => loki.Collector(), { name: 'TypeError', code: 'ERR_CONSTRUCT_CALL_REQUIRED', message: "Class constructor Collector cannot be invoked without 'new'" });
  const { Collector } = loki;
  throws(() => Collector({ dir: scratch }), { name: 'TypeError', code: 'ERR_CONSTRUCT_CALL_REQUIRED', message: "without 'new'" });
  throws(() => Collector.call(globalThis), { name: 'TypeError', code: 'ERR_CONSTRUCT_CALL_REQUIRED', message: "without 'new'" });
  assert.equal(typeof loki.collect, 'function', 'a new-less call must not wrap the module exports');
  class Sub extends loki.Collector {}
  assert.equal(new Sub({ dir: scratch, cacheTtlMs: 3 }).cacheTtlMs, 3);
  const collector = new loki.Collector({ dir: scratch });
  const server = await loki.serve({ dir: scratch, port: 0 });
  try {
    for (const [Class, instance] of [[loki.Collector, collector], [loki.Server, server]]) {
      const proto = Class.prototype;
      for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
        if (name === 'constructor') continue;
        for (const self of [undefined, null, {}, Object.create(proto), name === 'collections' ? server : collector === instance ? server : collector]) {
          if (d.get) {
            assert.throws(() => d.get.call(self), (e) => matches(e, { name: 'TypeError', code: 'ERR_INVALID_THIS', message: `Value of "this" must be of type ${Class.name}` }), `${Class.name}.${name}`);
          } else if (typeof d.value === 'function') {
            assert.throws(() => d.value.call(self), (e) => e instanceof TypeError && /Illegal invocation/.test(e.message), `${Class.name}.${name}()`);
          }
        }
      }
    }
  } finally {
    await server.close();
  }
});

test('the prom-client bridge refuses wrong arguments with ERR_INVALID_ARG_TYPE', () => {
  const registry = new client.Registry();
  for (const opts of [null, 5, 'dir', true]) throws(() => registerLokiMetrics(registry, opts), typeError('The "opts" argument must be an object'));
  for (const reg of [5, 'r', {}, { registerMetric: 1 }]) throws(() => registerLokiMetrics(reg, {}), typeError('The "registry" argument must be a prom-client Registry'));
  for (const collector of [5, 'c', {}, { render() {} }]) throws(() => registerLokiMetrics(registry, { collector }), typeError('The "opts.collector" option must be a Collector'));
  for (const promClient of [5, {}, { Gauge: 1, Counter: 1 }]) throws(() => registerLokiMetrics(registry, { promClient }), typeError('The "opts.promClient" option must be the prom-client module'));
  throws(() => registerLokiMetrics(registry, { dir: 5 }), typeError('CollectorOptions.dir'));
  throws(() => registerLokiMetrics(registry, { cacheTtlMs: 1e300 }), valueError('cacheTtlMs'));
  assert.deepEqual(registry.getMetricsAsArray(), [], 'a refused call registered something');
});

// --- bad paths ------------------------------------------------------------------------------

test('missing dir, a file as the dir, FIFOs as the dir and as every source never hang', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'loki-fifo-'));
  const lokiDir = path.join(base, '.loki');
  mkdirSync(path.join(lokiDir, 'state'), { recursive: true });
  mkdirSync(path.join(lokiDir, 'metrics', 'efficiency'), { recursive: true });
  const fifos = ['dashboard-state.json', 'loki.pid', 'state/agents.json', 'pricing.json', 'events.jsonl', 'metrics/efficiency/iteration-1.json'];
  execFileSync('mkfifo', [path.join(base, 'fifo-dir'), path.join(base, 'cert.pem'), ...fifos.map((f) => path.join(lokiDir, f))]);
  writeFileSync(path.join(base, 'plain-file'), 'x');
  const result = inChild(`
    const base = ${JSON.stringify(base)}, lokiDir = ${JSON.stringify(lokiDir)};
    const warn = (s) => s.warnings.map((w) => w.source + ': ' + w.message);
    const r = {
      missing: warn(loki.collect(base + '/nope')),
      file: warn(loki.collect(base + '/plain-file')),
      fifoDir: warn(loki.collect(base + '/fifo-dir')),
      fifoSources: loki.collect(lokiDir).failedSources,
      fifoAsync: (await loki.collectAsync(lokiDir)).failedSources,
      fifoRender: (await loki.renderAsync(lokiDir)).split('\\n').length,
      fifoCollector: new loki.Collector({ dir: lokiDir }).render('openmetrics').endsWith('# EOF\\n'),
    };
    const server = await loki.serve({ dir: lokiDir, port: 0 });
    r.health = (await (await fetch(server.url.replace('/metrics', '/health'))).json()).warnings.length;
    r.scraped = (await loki.scrape(server.url)).length;
    await server.close();
    try { await loki.serve({ port: 0, tlsCert: base + '/cert.pem', tlsKey: base + '/cert.pem' }); r.tls = 'resolved'; }
    catch (e) { r.tls = [e.code, e.message]; }
    const listener = (await import('node:net')).createServer((c) => c.on('error', () => {}));
    await new Promise((ok) => listener.listen(0, '127.0.0.1', ok));
    try { await loki.scrape('https://127.0.0.1:' + listener.address().port + '/', { caFile: base + '/cert.pem', timeoutMs: 5000 }); r.ca = 'resolved'; }
    catch (e) { r.ca = [e.code, e.message]; }
    listener.close();
    out(r);`, { timeout: 20_000 });
  assert.deepEqual(result.missing, ['.: the directory does not exist; all values are fallbacks']);
  assert.deepEqual(result.file, ['.: the directory is a regular file; all values are fallbacks']);
  assert.deepEqual(result.fifoDir, ['.: the directory is a FIFO; all values are fallbacks']);
  const expected = ['dashboard-state.json', 'loki.pid', 'state/agents.json', 'metrics/efficiency', 'pricing.json', 'events.jsonl'];
  assert.deepEqual(result.fifoSources, expected);
  assert.deepEqual(result.fifoAsync, expected);
  assert.ok(result.fifoRender > 20);
  assert.equal(result.fifoCollector, true);
  assert.ok(result.health >= 6);
  assert.equal(result.scraped, DEFAULT_FAMILIES);
  // A FIFO as a TLS file used to block serve() (and a thread-pool thread) forever.
  assert.deepEqual(result.tls, ['ERR_LOKI_SERVE', `TLS: cannot read certificate ${base}/cert.pem: not a regular file`]);
  assert.equal(result.ca[0], 'ERR_LOKI_IO');
  assert.match(result.ca[1], /cannot read certificate .*cert\.pem: not a regular file/);
});

// --- closed and misbehaving servers -----------------------------------------------------------

test('a closed server: getters still answer, close is idempotent and concurrent, the port is free', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, now: running.now });
  const { url, port } = server;
  await Promise.all([server.close(), server.close(), server.close()]);
  await server.close();
  assert.equal(server.closed, true);
  assert.deepEqual([server.url, server.port, server.host], [url, port, '127.0.0.1']);
  assert.equal(server.collector.collect().iterationCurrent, 12);
  await rejects(loki.scrape(url, { timeoutMs: 2000 }), { code: 'ERR_LOKI_IO', message: 'Connection refused' });
  const again = await loki.serve({ dir: running.lokiDir, port });
  await again.close();
});

test('serve on a port in use or an unusable host is ERR_LOKI_SERVE', async () => {
  const first = await loki.serve({ dir: scratch, port: 0 });
  try {
    await rejects(loki.serve({ dir: scratch, port: first.port }), { code: 'ERR_LOKI_SERVE', message: `cannot listen on 127.0.0.1:${first.port}` });
  } finally {
    await first.close();
  }
  for (const host of ['999.1.1.1', '::zz']) {
    await rejects(loki.serve({ dir: scratch, port: 0, host }), { code: 'ERR_LOKI_SERVE', message: 'cannot listen on' });
  }
  await rejects(loki.serve({ dir: scratch, port: 0, host: 'not a host' }), { code: 'ERR_LOKI_SERVE', message: 'the host "not a host" must be a name or an address' });
  await rejects(loki.serve({ dir: scratch, port: 0, host: '' }), { code: 'ERR_LOKI_SERVE', message: 'the host is empty: give a name or an address' });
  await rejects(loki.serve({ dir: scratch, port: 0, host: '192.0.2.1' }), { code: 'ERR_LOKI_SERVE', message: 'cannot listen on 192.0.2.1:0' });
});

/** A raw TCP server that answers each connection with `onData(socket)` after the request arrives. */
async function rawServer(onData) {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    if (onData) socket.once('data', () => onData(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/metrics`, close: () => new Promise((r) => server.close(r)), server };
}

/** Writes `chunk` until the peer goes away (backpressure honoured). */
function flood(socket, chunk) {
  const pump = () => {
    while (!socket.destroyed) if (!socket.write(chunk)) return void socket.once('drain', pump);
  };
  pump();
}

test('scrape of misbehaving servers: each a typed error, bounded in time and memory', async () => {
  const huge = Buffer.from(`# ${'x'.repeat(65_533)}\n`);
  const cases = [
    ['a server that never answers', null, { code: 'ERR_LOKI_TIMEOUT', message: 'within 0.5 s' }],
    ['one that closes mid-response', (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n# TYPE a gauge\na 1\n'), { code: 'ERR_LOKI_IO', message: 'reading the body' }],
    ['one that closes before answering', (s) => s.destroy(), { code: 'ERR_LOKI_IO', message: 'HTTP with' }],
    ['one that answers 500', (s) => s.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops'), { code: 'ERR_LOKI_HTTP_STATUS', message: 'answered 500: oops' }],
    ['one that answers HTML', (s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 15\r\n\r\n<html>hi</html>'), { code: 'ERR_LOKI_PARSE', message: '1:1: expected a metric name' }],
    ['one that answers invalid OpenMetrics', (s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0\r\nContent-Length: 4\r\n\r\na 1\n'), { code: 'ERR_LOKI_PARSE', message: "expected '# EOF'" }],
    ['one that is not HTTP', (s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'), { code: 'ERR_LOKI_IO', message: 'invalid HTTP version' }],
    ['one with a non-UTF-8 body', (s) => s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n'), Buffer.from([0xff, 0xfe, 0, 1])])), { code: 'ERR_LOKI_IO', message: 'not UTF-8' }],
    ['one with an endless chunked body', (s) => { s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'); flood(s, Buffer.concat([Buffer.from(`${huge.length.toString(16)}\r\n`), huge, Buffer.from('\r\n')])); }, { code: 'ERR_LOKI_IO', message: 'length limit exceeded' }],
    ['one with a 1 GB Content-Length', (s) => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n'); flood(s, huge); }, { code: 'ERR_LOKI_IO', message: 'length limit exceeded' }],
    ['one with an endless header', (s) => { s.write('HTTP/1.1 200 OK\r\nX-Big: '); flood(s, huge.subarray(2, 65_000)); }, { code: 'ERR_LOKI_IO', message: 'message head is too large' }],
  ];
  for (const [name, onData, want] of cases) {
    const server = await rawServer(onData);
    const t0 = performance.now();
    try {
      await rejects(loki.scrape(server.url, { timeoutMs: 500 }), want);
    } finally {
      server.server.closeAllConnections?.();
      for (const c of [...(server.sockets ?? [])]) c.destroy();
      await Promise.race([server.close(), new Promise((r) => setTimeout(r, 200))]);
    }
    const ms = performance.now() - t0;
    console.log(`# scrape of ${name}: ${want.code} in ${ms.toFixed(0)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    // The timeout bounds every case: nothing waits for the peer beyond it.
    assert.ok(ms < 500 + 2000, `${name}: ${ms.toFixed(0)} ms`);
  }
});

test('scrape of a refused port and of an accepting-but-silent server with the default timeout option', async () => {
  const closed = await rawServer(null);
  const port = closed.server.address().port;
  await closed.close();
  await rejects(loki.scrape(`http://127.0.0.1:${port}/metrics`), { code: 'ERR_LOKI_IO', message: 'cannot connect to' });
  const silent = await rawServer(null);
  try {
    const t0 = performance.now();
    await rejects(loki.scrape(silent.url, { timeoutMs: 300 }), { code: 'ERR_LOKI_TIMEOUT', message: `no answer from ${silent.url} within 0.3 s` });
    assert.ok(performance.now() - t0 >= 290, 'the timeout fired early');
  } finally {
    await Promise.race([silent.close(), new Promise((r) => setTimeout(r, 200))]);
  }
});

// --- huge inputs (children: figures printed, behaviour asserted) -------------------------------

test('huge texts: 100 MB, a 16 MB line, a 10 MB label value, 1,000,000 samples', () => {
  const result = inChild(`
    const figures = [];
    async function run(name, text, check) {
      const t0 = performance.now();
      const sync = loki.parse(text);
      const t1 = performance.now();
      const async = await loki.parseAsync(text);
      const t2 = performance.now();
      figures.push({ name, mb: +(Buffer.byteLength(text) / 2 ** 20).toFixed(1), syncMs: Math.round(t1 - t0), asyncMs: Math.round(t2 - t1), rssPeakMiB: rssPeak(), ok: check(sync) && check(async) });
    }
    {
      // 100 MB: 1,000 families of 100 samples with a distinct 1 KiB label value each.
      const pad = 'v'.repeat(1000);
      const parts = [];
      for (let f = 0; f < 1000; f++) {
        parts.push('# TYPE f' + f + ' gauge\\n');
        for (let s = 0; s < 100; s++) parts.push('f' + f + '{k="' + pad + s + '"} ' + s + '\\n');
      }
      await run('100 MB, 100,000 samples with 1 KiB labels', parts.join(''), (fs) => fs.length === 1000 && fs[999].samples[99].labels.k === pad + 99);
    }
    await run('one 16 MB HELP line', '# HELP big ' + 'h'.repeat(16 * 2 ** 20) + '\\nbig 1\\n', (fs) => fs[0].help.length === 16 * 2 ** 20);
    await run('a 10 MB label value', 'm{v="' + 'é'.repeat(5 * 2 ** 20) + '"} 1\\n', (fs) => fs[0].samples[0].labels.v.length === 5 * 2 ** 20);
    {
      const parts = ['# TYPE m counter\\n'];
      for (let i = 0; i < 1_000_000; i++) parts.push('m_total{i="' + i + '"} ' + i + '\\n');
      parts.push('# EOF\\n');
      await run('1,000,000 samples', parts.join(''), (fs) => fs[0].samples.length === 1_000_000 && fs[0].samples[999_999].value === 999_999);
    }
    {
      // An invalid 16 MB line: the error still points at the spot.
      let err;
      try { loki.parse('a 1\\nb{x="' + 'y'.repeat(16 * 2 ** 20) + '\\n'); } catch (e) { err = [e.code, e.line, e.message.slice(0, 80)]; }
      figures.push({ name: 'invalid 16 MB line', ok: err && err[0] === 'ERR_LOKI_PARSE' && err[1] === 2, err });
    }
    out(figures);`, { timeout: 120_000 });
  for (const f of result) console.log(`# ${JSON.stringify(f)}`);
  for (const f of result) assert.equal(f.ok, true, JSON.stringify(f));
  assert.equal(result.length, 5);
});

test('many large strings at once through render, and a Collector hammered with huge option values', () => {
  const result = inChild(`
    const dir = ${JSON.stringify(running.lokiDir)};
    const texts = await Promise.all(Array.from({ length: 64 }, (_, i) => loki.renderAsync(dir, { now: ${JSON.stringify(running.now)}, format: ['prometheus', 'openmetrics', 'json'][i % 3] })));
    const c = new loki.Collector({ dir, cacheTtlMs: 0, maxIterations: 2 ** 53 - 1, jsonSizeCap: 2 ** 53 - 1, now: 8.64e15 });
    for (let i = 0; i < 200; i++) c.render();
    out({ distinct: new Set(texts).size, collections: c.collections, max: c.collect().iterationMax, rssPeakMiB: rssPeak() });`);
  assert.deepEqual({ ...result, rssPeakMiB: undefined }, { distinct: 3, collections: 200, max: 2 ** 53 - 1, rssPeakMiB: undefined });
});

// --- concurrency -------------------------------------------------------------------------------

test('200 concurrent scrapes and 200 concurrent collects agree', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, now: running.now, cacheTtlMs: 0 });
  try {
    const expected = loki.parse(running.expected.prometheus);
    const scrapes = await Promise.all(Array.from({ length: 200 }, () => loki.scrape(server.url)));
    for (const s of scrapes) assert.deepEqual(s, expected);
    const snapshot = loki.collect(running.lokiDir, { now: running.now });
    const collector = new loki.Collector({ dir: running.lokiDir, now: running.now, cacheTtlMs: 60_000 });
    const collected = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? loki.collectAsync(running.lokiDir, { now: running.now }) : collector.collectAsync())));
    for (const s of collected) assert.deepEqual(s, snapshot);
    assert.equal(collector.collections, 1, 'concurrent callers of a warm-able collector share one collection');
  } finally {
    await server.close();
  }
});

test('Collectors in worker_threads, a worker terminated mid-call, and GC while servers run', () => {
  const result = inChild(`
    const { Worker } = await import('node:worker_threads');
    const dir = ${JSON.stringify(running.lokiDir)}, now = ${JSON.stringify(running.now)};
    const workerSource = \`
      const { parentPort, workerData } = require('node:worker_threads');
      const loki = require(workerData.pkg);
      const c = new loki.Collector({ dir: workerData.dir, now: workerData.now, cacheTtlMs: 0 });
      (async () => {
        const texts = await Promise.all(Array.from({ length: 20 }, () => c.renderAsync()));
        let bad; try { new loki.Collector({ cacheTtlMs: 1e300 }); } catch (e) { bad = e.code; }
        parentPort.postMessage({ same: new Set(texts).size, sync: c.render() === texts[0], bad, events: c.collect().eventsTotal });
      })();\`;
    const pkg = ${JSON.stringify(path.join(root, 'node', 'main.js'))};
    const results = await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      const w = new Worker(workerSource, { eval: true, execArgv: [], workerData: { pkg, dir, now } });
      w.once('message', (m) => { resolve(m); w.terminate(); });
      w.once('error', reject);
    })));
    // Terminated while its thread-pool work and a server are in flight.
    const killed = await new Promise((resolve) => {
      const w = new Worker(\`
        const { parentPort, workerData } = require('node:worker_threads');
        const loki = require(workerData.pkg);
        loki.serve({ dir: workerData.dir, port: 0 }).then(() => {
          for (let i = 0; i < 50; i++) { loki.collectAsync(workerData.dir); loki.parseAsync('a 1\\\\n'.repeat(10000)); }
          parentPort.postMessage('busy');
        });\`, { eval: true, execArgv: [], workerData: { pkg, dir } });
      w.once('message', () => w.terminate().then((code) => resolve(code)));
    });
    // GC: servers and collectors with no references left, and one still referenced.
    const kept = await loki.serve({ dir, port: 0, now });
    for (let i = 0; i < 20; i++) { await loki.serve({ dir, port: 0 }); new loki.Collector({ dir }).collect(); }
    for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
    const scraped = (await loki.scrape(kept.url)).length;
    await kept.close();
    out({ results, killed, scraped, rssPeakMiB: rssPeak() });`, { args: ['--expose-gc'], timeout: 60_000 });
  console.log(`# workers/GC: ${JSON.stringify(result)}`);
  assert.equal(result.results.length, 4);
  for (const r of result.results) assert.deepEqual(r, { same: 1, sync: true, bad: 'ERR_INVALID_ARG_VALUE', events: 12 });
  assert.equal(result.killed, 1);
  assert.equal(result.scraped, DEFAULT_FAMILIES);
});
