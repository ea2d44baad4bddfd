// Side-by-side benchmark of the Node package (one run, one process):
//   * parse() vs the npm package parse-prometheus-text-format on two 25 MB
//     expositions of 200,000 samples in 2,000 families, 4 labels each, JS
//     objects included on both sides: the counters of `makeText` and the
//     gauges of the core parser benchmark (`makeGaugeText`, a port of
//     crates/loki-metrics-bench/src/text.rs). Runs alternate, ours then
//     theirs, so both see the same machine load; medians and their ratio;
//   * parseAsync: the longest event-loop stall while it runs;
//   * Collector.render() on a warm cache, per call.
// The last line printed is one JSON object with the figures (see `summary`).
// Run after `npm run build`: `node bench/node_bench.mjs` (or `npm run bench`);
// BENCH_RUNS sets the runs per parser and text (default 7).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const loki = require(path.join(root, 'node', 'main.js'));
const ppt = require('parse-prometheus-text-format');

/** The counter text: `families` families of `perFamily` samples with 4 labels. */
export function makeText(families = 2000, perFamily = 100) {
  const parts = [];
  for (let f = 0; f < families; f++) {
    const name = `bench_family_${String(f).padStart(4, '0')}_requests_total`;
    parts.push(`# HELP ${name} Requests handled by the benchmark service, family ${f}.\n# TYPE ${name} counter\n`);
    for (let s = 0; s < perFamily; s++) {
      parts.push(
        `${name}{service="checkout-${s % 7}",region="eu-west-${s % 3}",instance="10.1.${f % 250}.${s}:9100",path="/api/v2/orders/${s}"} ${(f * perFamily + s) * 1.25 + 0.5}\n`,
      );
    }
  }
  return parts.join('');
}

/** The gauge text of the core parser benchmark (`bench_text` in crates/loki-metrics-bench/src/text.rs, 0.0.4). */
export function makeGaugeText(families = 2000, perFamily = 100) {
  const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
  const STATUS = ['200', '201', '404', '500', '503'];
  const mask = (1n << 64n) - 1n;
  let state = 0x5eed1234abcd0001n;
  const next = () => {
    // xorshift64*
    state ^= state >> 12n;
    state = (state ^ (state << 25n)) & mask;
    state ^= state >> 27n;
    return (state * 0x2545f4914f6cdd1dn) & mask;
  };
  const parts = [];
  for (let i = 0; i < families; i++) {
    const name = `bench_family_${String(i).padStart(4, '0')}_seconds`;
    parts.push(`# HELP ${name} Synthetic latency family number ${i} of the parser benchmark.\n# TYPE ${name} gauge\n`);
    for (let j = 0; j < perFamily; j++) {
      const r = next();
      const value = (Number(r >> 11n) / 2 ** 53) * 10_000;
      parts.push(
        `${name}{method="${METHODS[j % 4]}",handler="/api/v1/r${String(j).padStart(3, '0')}",status="${STATUS[Number(r % 5n)]}",instance="10.0.${i % 256}.${j}:9100"} ${value}\n`,
      );
    }
  }
  return parts.join('');
}

// A full collection before each timed run, so that neither parser pays for
// the other's garbage (each still pays for the collections its own run needs).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `ours` and `theirs` alternately (`runs` times each, after one warm-up each); per-call times in ms. */
function alternate(ours, theirs, runs) {
  ours();
  theirs();
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, times] of [[ours, a], [theirs, b]]) {
      gc();
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
  }
  return { ours: median(a), theirs: median(b) };
}

const runs = Number(process.env.BENCH_RUNS || 7);
const families = 2000;
const perFamily = 100;
const samples = families * perFamily;
const texts = { counters: makeText(families, perFamily), gauges: makeGaugeText(families, perFamily) };
console.log(`node ${process.version}; ${runs} alternating runs per parser and text; medians`);

/** Both parsers find every family and sample of `text` (their objects differ in shape). */
function checkCounts(shape, text) {
  const ours = loki.parse(text, { format: 'prometheus' });
  const theirs = ppt(text);
  const oursSamples = ours.reduce((n, f) => n + f.samples.length, 0);
  const theirSamples = theirs.reduce((n, f) => n + f.metrics.length, 0);
  if (ours.length !== families || theirs.length !== families || oursSamples !== samples || theirSamples !== samples) {
    throw new Error(`parsers disagree on the ${shape} text's family or sample count`);
  }
}

const summary = {};
for (const [shape, text] of Object.entries(texts)) {
  checkCounts(shape, text);
  const t = alternate(
    () => loki.parse(text, { format: 'prometheus' }),
    () => ppt(text),
    runs,
  );
  const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
  console.log(
    `${shape.padEnd(8)} (${mb} MB): parse ${t.ours.toFixed(1)} ms, parse-prometheus-text-format 1.1.1 ${t.theirs.toFixed(1)} ms, ` +
      `ratio ${(t.theirs / t.ours).toFixed(2)}x`,
  );
  summary[`node_ratio_${shape}`] = Number((t.theirs / t.ours).toFixed(2));
  summary[`node_ours_ms_${shape}`] = Number(t.ours.toFixed(1));
  summary[`node_theirs_ms_${shape}`] = Number(t.theirs.toFixed(1));
}

// parseAsync: the parse runs on the thread pool, the objects are built on the
// JS thread in ~4 ms slices; the longest stall should stay near a slice (plus GC).
{
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await loki.parseAsync(texts.gauges, { format: 'prometheus' });
  const end = performance.now();
  clearInterval(timer);
  maxGap = Math.max(maxGap, end - last); // the stretch since the last tick counts too
  console.log(`parseAsync (gauges): ${(end - t0).toFixed(1)} ms in all; longest event-loop stall ${maxGap.toFixed(1)} ms`);
  summary.parse_async_max_stall_ms = Number(maxGap.toFixed(1));
}

// Warm Collector.render: the cached text of the last collection.
{
  const dir = path.join(root, 'tests', 'fixtures', 'running', '.loki');
  const c = new loki.Collector({ dir, cacheTtlMs: 3_600_000 });
  c.render();
  const n = 200_000;
  for (const format of ['prometheus', 'openmetrics']) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) c.render(format);
    const us = ((performance.now() - t0) * 1000) / n;
    console.log(`Collector.render('${format}') warm: ${us.toFixed(2)} µs per call`);
  }
}

console.log(
  JSON.stringify({
    node_ratio_counters: summary.node_ratio_counters,
    node_ratio_gauges: summary.node_ratio_gauges,
    node_ours_ms_counters: summary.node_ours_ms_counters,
    node_theirs_ms_counters: summary.node_theirs_ms_counters,
    node_ours_ms_gauges: summary.node_ours_ms_gauges,
    node_theirs_ms_gauges: summary.node_theirs_ms_gauges,
    parse_async_max_stall_ms: summary.parse_async_max_stall_ms,
  }),
);
