// parse/parseAsync: agreement with the core (through the Rust CLI), with the
// npm package parse-prometheus-text-format where the two overlap, typed
// errors, and the event loop staying free while the thread pool parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fixtures, loki, noCli, require, root, runCli } from './helpers.mjs';

const ppt = require('parse-prometheus-text-format');
const corpusDir = path.join(root, 'tests', 'node', 'corpus');
const corpus = [
  ...readdirSync(corpusDir).sort().map((file) => ({
    name: file,
    file: path.join(corpusDir, file),
    format: file.endsWith('.om') ? 'openmetrics' : 'prometheus',
  })),
  ...fixtures.flatMap((fx) => [
    { name: `${fx.name}/expected.prom`, file: path.join(root, 'tests', 'fixtures', fx.name, 'expected.prom'), format: 'prometheus' },
    { name: `${fx.name}/expected.om`, file: path.join(root, 'tests', 'fixtures', fx.name, 'expected.om'), format: 'openmetrics' },
  ]),
];

/** The core's JSON spells non-finite numbers as strings; ours are numbers. */
function fromCoreJson(value) {
  if (Array.isArray(value)) return value.map(fromCoreJson);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'value' || k === 'timestamp') && typeof v === 'string') out[k] = { NaN: NaN, '+Inf': Infinity, '-Inf': -Infinity }[v];
      else out[k] = k === 'labels' ? v : fromCoreJson(v);
    }
    return out;
  }
  return value;
}

function plain(value) {
  return JSON.parse(JSON.stringify(value, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `num:${v}` : v)));
}

for (const entry of corpus) {
  test(`parse agrees with the core on ${entry.name}`, { skip: noCli }, () => {
    const text = readFileSync(entry.file, 'utf8');
    const core = runCli(['check', '--json', '--format', entry.format, entry.file]);
    if (core.status === 0) {
      const expected = fromCoreJson(JSON.parse(core.stdout));
      assert.deepEqual(plain(loki.parse(text, { format: entry.format })), plain(expected));
    } else {
      const [, line, column] = /^(\d+):(\d+): /.exec(core.stderr) ?? [];
      assert.ok(line, `the CLI failed without a position: ${core.stderr}`);
      assert.throws(() => loki.parse(text, { format: entry.format }), (e) => {
        assert.equal(e.code, 'ERR_LOKI_PARSE');
        assert.equal(e.line, Number(line));
        assert.equal(e.column, Number(column));
        assert.ok(core.stderr.includes(e.message), `${e.message} vs ${core.stderr}`);
        return true;
      });
    }
  });
}

test('the corpus has valid and invalid texts in both formats', () => {
  assert.ok(corpus.filter((c) => c.name.startsWith('bad-')).length >= 5);
  assert.ok(corpus.some((c) => c.format === 'openmetrics' && !c.name.startsWith('bad-')));
});

/**
 * parse-prometheus-text-format (ppt) and loki-metrics overlap on Prometheus
 * 0.0.4 counters, gauges and untyped families. Where they differ by design:
 * ppt spells types in capitals and `untyped` (ours: lowercase, `unknown` as in
 * OpenMetrics); keeps values and `timestamp_ms` as strings (ours: numbers,
 * timestamps in seconds); gives an absent HELP as "" (ours: null); omits
 * empty `labels`; groups histogram/summary samples into `buckets`/`quantiles`
 * (ours: one sample per line, with its name); and emits a family split by
 * another family twice (ours: merged, as Prometheus does).
 */
function normalisePpt(families) {
  return families.map((f) => ({
    name: f.name,
    type: f.type === 'UNTYPED' ? 'unknown' : f.type.toLowerCase(),
    help: f.help === '' ? null : f.help,
    samples: f.metrics.map((m) => ({
      labels: m.labels ?? {},
      value: Number(m.value.replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')),
      timestamp: m.timestamp_ms === undefined ? null : Number(m.timestamp_ms) / 1000,
    })),
  }));
}

function normaliseOurs(families) {
  return families.map((f) => ({
    name: f.name,
    type: f.type,
    help: f.help,
    samples: f.samples.map((s) => ({ labels: s.labels, value: s.value, timestamp: s.timestamp })),
  }));
}

const overlap = ['basic.prom', 'unicode.prom', ...fixtures.map((f) => path.join('..', '..', 'fixtures', f.name, 'expected.prom'))];
for (const file of overlap) {
  test(`parse agrees with parse-prometheus-text-format on ${file}`, () => {
    const text = readFileSync(path.join(corpusDir, file), 'utf8');
    assert.deepEqual(plain(normaliseOurs(loki.parse(text, { format: 'prometheus' }))), plain(normalisePpt(ppt(text))));
  });
}

test('parse groups a histogram per line where parse-prometheus-text-format groups buckets', () => {
  const text = readFileSync(path.join(corpusDir, 'histogram-summary.prom'), 'utf8');
  const [ours] = loki.parse(text);
  const [theirs] = ppt(text);
  assert.equal(ours.samples.length, 8);
  assert.equal(theirs.metrics.length, 1);
  const buckets = ours.samples.filter((s) => s.name.endsWith('_bucket'));
  assert.deepEqual(Object.fromEntries(buckets.map((s) => [s.labels.le, String(s.value)])), theirs.metrics[0].buckets);
});

test('parse merges a split 0.0.4 family where parse-prometheus-text-format repeats it', () => {
  const text = readFileSync(path.join(corpusDir, 'interleaved.prom'), 'utf8');
  assert.deepEqual(loki.parse(text).map((f) => [f.name, f.samples.length]), [['a', 2], ['b', 1]]);
  assert.deepEqual(ppt(text).map((f) => [f.name, f.metrics.length]), [['a', 1], ['b', 1], ['a', 1]]);
});

test('a negative timestamp is refused by the core but read by parse-prometheus-text-format', () => {
  const text = readFileSync(path.join(corpusDir, 'negative-timestamp.prom'), 'utf8');
  assert.equal(ppt(text)[0].metrics[0].timestamp_ms, '-3982045');
  assert.throws(() => loki.parse(text), { code: 'ERR_LOKI_PARSE', line: 2, column: 50 });
});

test('parse gives NaN, infinities, timestamps in seconds and exemplars as JS values', () => {
  const [foo, bar] = loki.parse(readFileSync(path.join(corpusDir, 'exemplars.om'), 'utf8'));
  assert.deepEqual(foo.samples[0].exemplar, { labels: { trace_id: 'KOO5S4vxi0o' }, value: 0.067, timestamp: 1600000000.5 });
  assert.equal(foo.samples[2].exemplar, null);
  assert.deepEqual([bar.name, bar.unit, bar.samples[0].timestamp], ['bar_seconds', 'seconds', 1600000001]);
  const temps = loki.parse('# TYPE t gauge\nt{r="a"} NaN\nt{r="b"} +Inf 5\nt{r="c"} -Inf 6\n')[0].samples;
  assert.ok(Number.isNaN(temps[0].value));
  assert.deepEqual(temps.slice(1).map((s) => [s.value, s.timestamp]), [[Infinity, 0.005], [-Infinity, 0.006]]);
});

test('texts whose UTF-8 is much longer than their JS length are read whole, at every length near the first guess', async () => {
  // The addon copies a string into a buffer of its length plus a quarter,
  // and asks V8 for the exact UTF-8 length only when that may not have
  // fitted: '€' is one UTF-16 unit and three UTF-8 bytes, so the help texts
  // below cross that bound one character at a time, on both sides of it.
  for (let euros = 0; euros <= 120; euros++) {
    const help = `${'h'.repeat(200)}${'€'.repeat(euros)}😀\ud800`;
    const text = `# HELP a ${help}\n# TYPE a gauge\na{v="${'€'.repeat(euros)}"} 1\n`;
    const [family] = loki.parse(text, { format: 'prometheus' });
    assert.equal(family.help, help.replace('\ud800', '\ufffd'), `${euros} euros`);
    assert.equal(family.samples[0].labels.v, '€'.repeat(euros), `${euros} euros`);
  }
  const cjk = `# HELP b ${'日本語'.repeat(100_000)}\n# TYPE b gauge\nb 2\n`;
  const [sync] = loki.parse(cjk);
  const [async] = await loki.parseAsync(cjk);
  assert.equal(sync.help.length, 300_000);
  assert.equal(sync.help, '日本語'.repeat(100_000));
  assert.deepEqual(async, sync);
});

test('format auto picks OpenMetrics only when the text ends with # EOF', () => {
  assert.equal(loki.parse('# TYPE a counter\na_total 1\n# EOF\n')[0].name, 'a');
  assert.equal(loki.parse('# TYPE a_total counter\na_total 1\n')[0].name, 'a_total');
});

test('invalid text throws ERR_LOKI_PARSE with line and column', () => {
  assert.throws(() => loki.parse('ok 1\nbad{ 3\n'), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'ERR_LOKI_PARSE');
    assert.equal(e.line, 2);
    assert.equal(e.column, 6);
    assert.match(e.message, /^2:6: /);
    return true;
  });
});

test('parse arguments of the wrong type or value are typed errors', async () => {
  assert.throws(() => loki.parse(5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => loki.parse(Buffer.from('a 1\n')), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => loki.parse('a 1\n', { format: 'xml' }), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(loki.parseAsync('a{ 1\n'), { code: 'ERR_LOKI_PARSE', line: 1, column: 4 });
  await assert.rejects(loki.parseAsync(null), { code: 'ERR_INVALID_ARG_TYPE' });
});

function largeText(families, perFamily) {
  const parts = [];
  for (let f = 0; f < families; f++) {
    parts.push(`# TYPE fam_${f} gauge\n`);
    for (let s = 0; s < perFamily; s++) parts.push(`fam_${f}{a="${s}",b="x${s % 7}",c="y",d="z${f}"} ${s}.5\n`);
  }
  return parts.join('');
}

test('parseAsync resolves to what parse returns', async () => {
  const text = largeText(20, 50);
  assert.deepEqual(await loki.parseAsync(text), loki.parse(text));
});

/**
 * A full garbage collection, so that the garbage of building a test's text is not collected (a
 * pause of tens of ms) in the middle of what the test measures; then a pause for V8's background
 * sweeping, which would otherwise compete for the CPU with what is measured.
 */
async function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  vm.runInNewContext('gc')();
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Gaps (ms) between the turns of a `every` ms timer while `start()`'s promise is pending. */
async function loopGaps(every, start) {
  const gaps = [];
  let last;
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, every);
  const t = performance.now();
  const pending = start();
  last = performance.now();
  const handoffMs = last - t;
  const value = await pending;
  const totalMs = performance.now() - t;
  clearInterval(timer);
  gaps.push(performance.now() - last); // the stretch since the last tick counts too
  return { value, gaps, handoffMs, totalMs };
}

function gapFigures({ gaps, handoffMs, totalMs }) {
  const sorted = [...gaps].sort((x, y) => x - y);
  const p90 = sorted[Math.floor(sorted.length * 0.9)];
  const max = sorted[sorted.length - 1];
  const text = `${totalMs.toFixed(0)} ms (handoff ${handoffMs.toFixed(1)} ms), ${gaps.length} timer turns, gap p90 ${p90.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
  return { p90, max, text };
}

test('the parse of a 200,000-sample text runs off the JS thread: the event loop turns throughout', async () => {
  // The bench-sized text (25 MB, 2,000 families of 100 samples with 4 labels), up to the columns
  // (the native part of parseAsync). Held on the JS thread, it would be one gap as long as the
  // synchronous call; on the thread pool, a 2 ms timer keeps turning. The call itself copies the
  // text on the calling thread first (printed as "handoff", not a gap).
  const text = largeText(2000, 100);
  await loki.__parseColumnsAsync(largeText(20, 50)); // warm-up
  const t = performance.now();
  const sync = loki.__parseColumns(text);
  const syncMs = performance.now() - t;
  await collectGarbage();
  const run = await loopGaps(2, () => loki.__parseColumnsAsync(text));
  const { max, text: figures } = gapFigures(run);
  console.log(`# synchronous ${syncMs.toFixed(0)} ms; asynchronous ${figures}`);
  assert.deepEqual(run.value.samples, sync.samples);
  assert.equal(run.value.strings, sync.strings);
  assert.ok(run.handoffMs < syncMs / 2, `the call itself held the JS thread (${figures}; synchronous ${syncMs.toFixed(0)} ms)`);
  assert.ok(run.gaps.length >= 5, `only ${run.gaps.length} timer turns while the parse ran (${figures})`);
  assert.ok(max < syncMs / 2, `the event loop stalled for most of a synchronous parse (${figures}; synchronous ${syncMs.toFixed(0)} ms)`);
});

test('parseAsync of a 200,000-sample text keeps the event loop turning while it builds the objects', async () => {
  // The same text, objects included: they are built in 4 ms slices, so the loop's typical gap
  // stays short. Building 200,000 objects also triggers V8's major GC, whose pause (tens of ms on
  // a loaded 2-core machine) no slicing can avoid: the longest gap is bounded only by the
  // synchronous parse measured in the same run (an unsliced build would not fail that bound
  // reliably; the typical gap is what catches it).
  const text = largeText(2000, 100);
  await loki.parseAsync(largeText(20, 50)); // warm-up of the async path (JIT), as in a running service
  const t = performance.now();
  const sync = loki.parse(text);
  const syncMs = performance.now() - t;
  const want = { families: sync.length, last: sync[1999].samples[99] };
  sync.length = 0; // not kept alive through the measurement (a larger heap, longer GC pauses)
  await collectGarbage();
  const run = await loopGaps(2, () => loki.parseAsync(text));
  const { p90, max, text: figures } = gapFigures(run);
  console.log(`# sync parse ${syncMs.toFixed(0)} ms; parseAsync ${figures}`);
  const families = run.value;
  assert.equal(families.length, want.families);
  assert.equal(families.reduce((n, f) => n + f.samples.length, 0), 200_000);
  assert.deepEqual(families[1999].samples[99], want.last);
  assert.ok(run.gaps.length >= 10, `only ${run.gaps.length} timer turns while parseAsync ran (${figures})`);
  assert.ok(p90 <= 25, `the event loop's typical gap during parseAsync is too long (${figures})`);
  assert.ok(max < syncMs, `parseAsync stalled the event loop as long as a synchronous parse (${figures})`);
});

test('a synchronous parse holds the event loop (the contrast to parseAsync)', () => {
  const text = largeText(200, 100);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  while (performance.now() - t0 < 5); // let the 1 ms timer fall due
  loki.parse(text);
  clearInterval(timer);
  assert.equal(ticks, 0, 'a timer fired during a synchronous call');
});
