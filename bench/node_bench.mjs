// Side-by-side benchmark of the Node package (one run, one process):
//   * parse() vs the npm package parse-prometheus-text-format on a 25 MB
//     exposition (200,000 samples in 2,000 families, 4 labels each), JS
//     objects included on both sides;
//   * Collector.render() on a warm cache, per call.
// Run after `npm run build`: `node bench/node_bench.mjs` (or `npm run bench`).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const loki = require(path.join(root, 'node', 'main.js'));
const ppt = require('parse-prometheus-text-format');

/** The benchmark text: `families` families of `perFamily` samples with 4 labels. */
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

function time(fn, runs) {
  fn(); // warm-up (JIT, allocator)
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0] };
}

const text = makeText();
const samples = 2000 * 100;
const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
console.log(`text: ${mb} MB, ${samples} samples in 2000 families, 4 labels each (node ${process.version})`);

let ours, theirs;
const runs = Number(process.env.BENCH_RUNS || 5);
const a = time(() => { ours = loki.parse(text, { format: 'prometheus' }); }, runs);
const b = time(() => { theirs = ppt(text); }, runs);
if (ours.length !== 2000 || theirs.length !== 2000) throw new Error('parsers disagree on the family count');
const oursSamples = ours.reduce((n, f) => n + f.samples.length, 0);
const theirSamples = theirs.reduce((n, f) => n + f.metrics.length, 0);
if (oursSamples !== samples || theirSamples !== samples) throw new Error('parsers disagree on the sample count');
console.log(`parse (loki-metrics)                 median ${a.median.toFixed(1)} ms  min ${a.min.toFixed(1)} ms`);
console.log(`parse-prometheus-text-format 1.1.1   median ${b.median.toFixed(1)} ms  min ${b.min.toFixed(1)} ms`);
console.log(`speed-up (median): ${(b.median / a.median).toFixed(2)}x`);

// parseAsync: the parse runs on the thread pool, the objects are built on the
// JS thread in ~4 ms slices; the longest stall should stay near a slice (plus GC).
{
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 1);
  const t0 = performance.now();
  await loki.parseAsync(text, { format: 'prometheus' });
  const end = performance.now();
  const total = end - t0;
  clearInterval(timer);
  maxGap = Math.max(maxGap, end - last); // the stretch since the last tick counts too
  console.log(`parseAsync: ${total.toFixed(1)} ms in all; longest event-loop stall ${maxGap.toFixed(1)} ms`);
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
