// serve() + scrape() over real HTTP, with the exporter crate on both ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { DEFAULT_FAMILIES, fixtures, loki } from './helpers.mjs';

const running = fixtures.find((f) => f.name === 'running');

test('serve on port 0 answers scrape with the directory\'s families', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, now: running.now });
  try {
    assert.ok(server instanceof loki.Server);
    assert.ok(server.port > 0);
    assert.equal(server.host, '127.0.0.1');
    assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
    const scraped = await loki.scrape(server.url);
    assert.deepEqual(scraped, loki.parse(running.expected.prometheus));
  } finally {
    await server.close();
  }
});

test('serve({ lokiDir }) serves that directory, and a misspelt option is refused', async () => {
  const server = await loki.serve({ lokiDir: running.lokiDir, port: 0, now: running.now });
  try {
    assert.deepEqual(await loki.scrape(server.url), loki.parse(running.expected.prometheus));
  } finally {
    await server.close();
  }
  await assert.rejects(loki.serve({ lokiDri: running.lokiDir, port: 0 }), { code: 'ERR_INVALID_ARG_VALUE', message: /unknown option "lokiDri": did you mean "lokiDir"\?/ });
});

test('scrape asking for OpenMetrics gets and parses OpenMetrics', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, now: running.now });
  try {
    const families = await loki.scrape(server.url, { accept: loki.OPENMETRICS_CONTENT_TYPE });
    assert.deepEqual(families, loki.parse(running.expected.openmetrics));
    assert.ok(families.some((f) => f.name === 'loki_events' && f.type === 'counter'));
  } finally {
    await server.close();
  }
});

test('the server answers plain fetch with the negotiated content type', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, now: running.now, path: '/loki' });
  try {
    assert.match(server.url, /\/loki$/);
    const res = await fetch(server.url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), loki.OPENMETRICS_CONTENT_TYPE);
    assert.equal(await res.text(), running.expected.openmetrics);
  } finally {
    await server.close();
  }
});

test('a bearer token is required when set', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, token: 's3cret' });
  try {
    await assert.rejects(loki.scrape(server.url), (e) => {
      assert.equal(e.code, 'ERR_LOKI_HTTP_STATUS');
      assert.equal(e.status, 401);
      return true;
    });
    const families = await loki.scrape(server.url, { token: 's3cret' });
    assert.equal(families.length, DEFAULT_FAMILIES);
  } finally {
    await server.close();
  }
});

test('close stops the server and is idempotent', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0 });
  const { url } = server;
  assert.equal(server.closed, false);
  await server.close();
  assert.equal(server.closed, true);
  await server.close();
  await assert.rejects(loki.scrape(url, { timeoutMs: 2000 }), { code: 'ERR_LOKI_IO' });
});

test('a busy port rejects serve with ERR_LOKI_SERVE', async () => {
  const blocker = createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(loki.serve({ port: blocker.address().port }), { code: 'ERR_LOKI_SERVE' });
  } finally {
    blocker.close();
  }
});

test('invalid serve and scrape options are typed errors', async () => {
  await assert.rejects(loki.serve({ port: 70000 }), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(loki.serve({ path: 'metrics' }), { code: 'ERR_LOKI_SERVE' });
  await assert.rejects(loki.serve({ port: 'x' }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(loki.scrape('ftp://example.invalid/'), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(loki.scrape(42), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('the server\'s collector shares its cache', async () => {
  const server = await loki.serve({ dir: running.lokiDir, port: 0, now: running.now, cacheTtlMs: 60_000 });
  try {
    await loki.scrape(server.url);
    const collector = server.collector;
    const before = collector.collections;
    assert.equal(collector.render(), running.expected.prometheus);
    assert.equal(collector.collections, before);
  } finally {
    await server.close();
  }
});
