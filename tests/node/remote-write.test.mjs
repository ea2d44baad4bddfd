// push() and serve({ remoteWrite }) against a real receiver: Debian's
// Prometheus started with --web.enable-remote-write-receiver, queried with
// PromQL; and the error mapping against a closed port and a receiver that
// answers 400.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fixtures, loki } from './helpers.mjs';

const running = fixtures.find((f) => f.name === 'running');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntil(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

let prometheus;
let api;
let work;

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'loki-node-prometheus-'));
  writeFileSync(path.join(work, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  prometheus = spawn('prometheus', [
    `--config.file=${path.join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=warn',
  ], { stdio: 'ignore' });
  const failed = new Promise((_, reject) => prometheus.on('error', (e) => reject(new Error(`prometheus (apt-get install prometheus): ${e.message}`))));
  await Promise.race([failed, waitUntil('Prometheus ready', async () => (await fetch(`${api}/-/ready`)).status === 200, 30_000)]);
});

after(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus.on('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

async function promql(expr) {
  const res = await fetch(`${api}/api/v1/query?` + new URLSearchParams({ query: expr }));
  assert.equal(res.status, 200);
  return (await res.json()).data.result;
}

const key = (name, labels) => name + JSON.stringify(Object.entries(labels).filter(([, v]) => v !== '').sort());
const sameValue = (a, b) => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-12 * Math.abs(b);

test('push delivers every sample render prints, with the external labels', async () => {
  const run = randomUUID();
  const stats = await loki.push(`${api}/api/v1/write`, {
    lokiDir: running.lokiDir, now: running.now, externalLabels: { run, instance: 'node-test' },
  });
  const expected = new Map();
  for (const family of loki.parse(running.expected.prometheus)) {
    for (const s of family.samples) expected.set(key(s.name, s.labels), s.value);
  }
  assert.equal(stats.samplesSent, expected.size);
  assert.ok(expected.size > 20);
  assert.equal(stats.samplesFailed + stats.samplesDropped, 0);
  const results = await promql(`{run="${run}"}`);
  const got = new Map();
  for (const r of results) {
    const { __name__: name, run: _run, instance, ...labels } = r.metric;
    assert.equal(instance, 'node-test');
    got.set(key(name, labels), Number(r.value[1]));
  }
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
  for (const [k, v] of expected) assert.ok(sameValue(got.get(k), v), `${k}: ${got.get(k)} != ${v}`);
});

test('push to a closed port rejects with ERR_LOKI_TIMEOUT after timeoutMs', async () => {
  const url = `http://127.0.0.1:${await freePort()}/api/v1/write`;
  const started = Date.now();
  await assert.rejects(loki.push(url, { lokiDir: running.lokiDir, timeoutMs: 1000 }), (e) => {
    assert.equal(e.code, 'ERR_LOKI_TIMEOUT');
    assert.match(e.message, /cannot connect to .*; gave up after 1 s of retries$/);
    return true;
  });
  // It stops once the next retry would end past the timeout.
  assert.ok(Date.now() - started < 1500);
});

test('push refused with 400 rejects with ERR_LOKI_HTTP_STATUS and the status, not retried', async () => {
  let posts = 0;
  const receiver = createHttpServer((req, res) => {
    posts += 1;
    req.resume();
    req.on('end', () => res.writeHead(400).end('out of bounds'));
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${receiver.address().port}/api/v1/write`;
    await assert.rejects(loki.push(url, { lokiDir: running.lokiDir, timeoutMs: 5000 }), (e) => {
      assert.equal(e.code, 'ERR_LOKI_HTTP_STATUS');
      assert.equal(e.status, 400);
      assert.match(e.message, /refused the samples \(HTTP 400 Bad Request: out of bounds\); not retried$/);
      return true;
    });
    assert.equal(posts, 1);
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
});

test('bad push arguments are typed errors naming the option', async () => {
  const url = 'http://127.0.0.1:9/api/v1/write';
  const dir = running.lokiDir;
  const cases = [
    [{ lokiDir: dir, externalLabels: { '1x': 'v' } }, 'ERR_INVALID_ARG_VALUE', /invalid external label "1x"/],
    [{ lokiDir: dir, externalLabels: { __tenant: 'v' } }, 'ERR_INVALID_ARG_VALUE', /reserved/],
    [{ lokiDir: dir, headers: { 'Content-Encoding': 'gzip' } }, 'ERR_INVALID_ARG_VALUE', /set by loki-metrics itself/],
    [{ lokiDir: dir, timeoutMs: 0 }, 'ERR_INVALID_ARG_VALUE', /^timeoutMs must be a number of milliseconds greater than 0$/],
    [{ lokiDir: dir, requestTimeoutMs: 0 }, 'ERR_INVALID_ARG_VALUE', /^requestTimeoutMs must be a number of milliseconds greater than 0$/],
    [{ lokiDir: dir, timeout: 5 }, 'ERR_INVALID_ARG_VALUE', /unknown option "timeout": did you mean "timeoutMs"\?/],
    [{ lokiDir: dir, basicAuth: { user: 'u', passwordFile: 'f', password: 'p' } }, 'ERR_INVALID_ARG_VALUE', /The "basicAuth" argument is invalid: unknown option "password"/],
    [{ lokiDir: dir, basicAuth: { user: 'u' } }, 'ERR_INVALID_ARG_TYPE', /Missing field `passwordFile`/],
    [{ lokiDir: dir, bearerTokenFile: '/nonexistent/token' }, 'ERR_INVALID_ARG_VALUE', /\/nonexistent\/token/],
  ];
  for (const [opts, code, message] of cases) {
    await assert.rejects(loki.push(url, opts), { code, message }, JSON.stringify(opts));
  }
  await assert.rejects(loki.push('ftp://example.com/', { lokiDir: dir }), { code: 'ERR_INVALID_ARG_VALUE', message: /URL/ });
  await assert.rejects(loki.push(42), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('push runs off the event loop', async () => {
  const url = `http://127.0.0.1:${await freePort()}/api/v1/write`;
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 5);
  try {
    await assert.rejects(loki.push(url, { lokiDir: running.lokiDir, timeoutMs: 1000 }), { code: 'ERR_LOKI_TIMEOUT' });
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 30, `${ticks} timer ticks during a push of about 0.75 s`);
});

test('serve with remoteWrite delivers every intervalMs, and close() stops it', async () => {
  const run = randomUUID();
  const server = await loki.serve({
    lokiDir: running.lokiDir, port: 0, now: running.now, exporterMetrics: true,
    remoteWrite: { url: `${api}/api/v1/write`, externalLabels: { run }, intervalMs: 200 },
  });
  const points = `count_over_time(loki_tasks_total{run="${run}",status="completed"}[5m])`;
  let live;
  try {
    await waitUntil('three points in Prometheus', async () => Number((await promql(points))[0]?.value[1] ?? 0) >= 3);
    live = server.remoteWriteStats;
    assert.ok(live.samplesSent > 0);
    assert.equal(live.samplesFailed, 0);
    const scraped = await loki.scrape(server.url);
    assert.ok(scraped.some((f) => f.name.startsWith('loki_remote_write_samples_sent')));
  } finally {
    await server.close();
  }
  const final = server.remoteWriteStats;
  assert.ok(final.samplesSent >= live.samplesSent);
  assert.equal(final.queueSamples, 0);
  const atClose = Number((await promql(points))[0].value[1]);
  await sleep(1000); // five intervals
  assert.equal(Number((await promql(points))[0].value[1]), atClose);
  assert.equal(server.remoteWriteStats.samplesSent, final.samplesSent);
});

test('serve takes remoteWrite as a URL with every default', async () => {
  const server = await loki.serve({ lokiDir: running.lokiDir, port: 0, remoteWrite: `${api}/api/v1/write` });
  try {
    await waitUntil('the first collection sent', async () => server.remoteWriteStats.samplesSent > 0);
  } finally {
    await server.close();
  }
});

test('serve without remoteWrite has no remoteWriteStats', async () => {
  const server = await loki.serve({ lokiDir: running.lokiDir, port: 0 });
  try {
    assert.equal(server.remoteWriteStats, null);
  } finally {
    await server.close();
  }
});

test('bad remoteWrite options reject serve with typed errors', async () => {
  const url = 'http://127.0.0.1:9/api/v1/write';
  await assert.rejects(loki.serve({ port: 0, remoteWrite: { url, intervalMS: 5 } }),
    { code: 'ERR_INVALID_ARG_VALUE', message: /unknown option "intervalMS": did you mean "intervalMs"\?/ });
  await assert.rejects(loki.serve({ port: 0, remoteWrite: { url, basicAuth: { user: 'u', passwordFile: 'f', pasword: 'f' } } }),
    { code: 'ERR_INVALID_ARG_VALUE', message: /The "basicAuth" argument is invalid: unknown option "pasword"/ });
  await assert.rejects(loki.serve({ port: 0, remoteWrite: { url, intervalMs: 0 } }),
    { code: 'ERR_INVALID_ARG_VALUE', message: /^intervalMs must be a number of milliseconds greater than 0$/ });
  await assert.rejects(loki.serve({ port: 0, remoteWrite: { url, queueSamples: 0 } }),
    { code: 'ERR_INVALID_ARG_VALUE', message: /^queueSamples must be at least 1$/ });
  await assert.rejects(loki.serve({ port: 0, remoteWrite: 'ftp://example.com/' }), { code: 'ERR_INVALID_ARG_VALUE', message: /URL/ });
  await assert.rejects(loki.serve({ port: 0, remoteWrite: 42 }), { code: 'ERR_INVALID_ARG_TYPE' });
});
