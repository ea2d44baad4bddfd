// Every golden fixture renders byte-identically to the Rust CLI's expected output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, cliOutput, fixtures, loki, noCli } from './helpers.mjs';

const formats = ['prometheus', 'openmetrics', 'json'];

test('the fixture set is present', () => {
  assert.ok(fixtures.length >= 30, `found ${fixtures.length} fixtures`);
  assert.ok(fixtures.some((f) => f.name === 'missing-dir'));
});

for (const fx of fixtures) {
  for (const format of formats) {
    test(`render matches expected ${format} for ${fx.name}`, () => {
      assert.equal(loki.render(fx.lokiDir, { now: fx.now, format }), fx.expected[format]);
    });
  }

  test(`renderAsync and a Collector match expected output for ${fx.name}`, async () => {
    assert.equal(await loki.renderAsync(fx.lokiDir, { now: fx.now, format: 'openmetrics' }), fx.expected.openmetrics);
    const collector = new loki.Collector({ dir: fx.lokiDir, now: fx.now });
    assert.equal(collector.render('prometheus'), fx.expected.prometheus);
    assert.equal(await collector.renderAsync('json'), fx.expected.json);
  });

  test(`a collected snapshot renders like its directory for ${fx.name}`, () => {
    const snapshot = loki.collect(fx.lokiDir, { now: fx.now });
    assert.equal(loki.render(snapshot, { format: 'prometheus' }), fx.expected.prometheus);
    assert.equal(loki.render(snapshot, { format: 'json' }), fx.expected.json);
  });

  test(`render equals the Rust CLI run now for ${fx.name}`, { skip: noCli }, () => {
    for (const format of formats) {
      const fromCli = cliOutput(['render', '--loki-dir', fx.lokiDir, '--now', fx.now, '--format', format, '--quiet']);
      assert.equal(loki.render(fx.lokiDir, { now: fx.now, format }), fromCli, format);
    }
  });
}

// scripts/test-node.sh sets LOKI_NODE_REQUIRE_CLI, so a missing CLI fails there instead of skipping.
test('the Rust CLI is available when the run requires it', { skip: !process.env.LOKI_NODE_REQUIRE_CLI && 'LOKI_NODE_REQUIRE_CLI is not set' }, () => {
  assert.ok(cli, 'LOKI_METRICS_BIN does not name a built binary');
});
