// parse/parseAsync hand the parse from Rust to JavaScript as columns (one
// table of distinct strings, typed arrays of indices and numbers; see
// `Columns` in bindings/node/src/parse.rs) and build the objects in
// node/main.js. These tests pin that every string, number and shape comes
// back exactly, whatever the text repeats or how it spells its strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loki } from './helpers.mjs';

/** parse and parseAsync give the same result; that result. */
async function both(text, opts) {
  const sync = loki.parse(text, opts);
  assert.deepEqual(await loki.parseAsync(text, opts), sync);
  return sync;
}

const escape = (v) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

test('label values and HELP come back exactly: non-ASCII, astral characters, controls, escapes, empty', async () => {
  const values = [
    'é',
    '日本語のラベル',
    '😀 emoji 𝄞 outside the BMP',
    'a\u0301 combining',
    '\u0001\u001f\u007f\u0085\u2028 controls',
    '',
    'back\\slash "quoted" new\nline',
    '  spaces around  ',
    '\ufeffbom',
  ];
  const text =
    '# HELP m Help with é, 😀, a backslash \\\\ and a newline \\n.\n# TYPE m gauge\n' +
    values.map((v, i) => `m{v="${escape(v)}",i="${i}"} ${i}\n`).join('');
  const [m] = await both(text);
  assert.equal(m.help, 'Help with é, 😀, a backslash \\ and a newline \n.');
  assert.deepEqual(
    m.samples.map((s) => s.labels),
    values.map((v, i) => ({ v, i: String(i) })),
  );
});

test('a string in several roles (family, sample and label name, label value, HELP) comes back in each', async () => {
  const [f] = await both('# HELP x x\n# TYPE x gauge\nx{x="x"} 1\nx{y="x",x="y"} 2\n');
  assert.deepEqual(f, {
    name: 'x',
    type: 'gauge',
    help: 'x',
    unit: null,
    samples: [
      { name: 'x', labels: { x: 'x' }, value: 1, timestamp: null, exemplar: null },
      { name: 'x', labels: { y: 'x', x: 'y' }, value: 2, timestamp: null, exemplar: null },
    ],
  });
  assert.deepEqual(Object.keys(f.samples[1].labels), ['y', 'x']);
});

test('20,000 distinct values, astral characters among them, each come back with its sample', async () => {
  const value = (i) => `${i % 7 === 0 ? '😀' : ''}v${i}${i % 3 === 0 ? 'é' : ''}`;
  const lines = ['# TYPE many gauge'];
  for (let i = 0; i < 20_000; i++) lines.push(`many{a="${value(i)}",b="${value(i % 100)}",c="${value(19_999 - i)}"} ${i}`);
  const [f] = await both(`${lines.join('\n')}\n`);
  assert.equal(f.samples.length, 20_000);
  f.samples.forEach((s, i) => {
    assert.deepEqual(s.labels, { a: value(i), b: value(i % 100), c: value(19_999 - i) });
    assert.equal(s.value, i);
  });
});

test('past 2^20 distinct strings (where deduplication stops) every string still comes back', () => {
  const n = 2 ** 20 + 50_000;
  const parts = ['# TYPE big gauge\n'];
  for (let i = 0; i < n; i++) parts.push(`big{v="${i}"} ${i}\n`);
  // Strings seen before the limit and strings first seen after it, again.
  for (const i of [0, 1, 2 ** 20 - 1, 2 ** 20, n - 1, n - 1]) parts.push(`big{v="${i}",again="${i}"} ${i}\n`);
  const [f] = loki.parse(parts.join(''));
  assert.equal(f.samples.length, n + 6);
  assert.ok(f.samples.slice(0, n).every((s, i) => s.labels.v === String(i) && s.value === i));
  assert.deepEqual(
    f.samples.slice(n).map((s) => [s.labels.v, s.labels.again, s.value]),
    [0, 1, 2 ** 20 - 1, 2 ** 20, n - 1, n - 1].map((i) => [String(i), String(i), i]),
  );
});

test('a 10 KB label value and a sample with 100,000 labels', async () => {
  const long = 'ü'.repeat(10_000);
  assert.equal((await both(`m{v="${long}"} 1\n`))[0].samples[0].labels.v, long);
  const names = Array.from({ length: 100_000 }, (_, i) => `l${i}`);
  const [f] = await both(`m{${names.map((n, i) => `${n}="${i % 1000}"`).join(',')}} 1\n`);
  const labels = f.samples[0].labels;
  assert.deepEqual(Object.keys(labels), names);
  assert.ok(names.every((n, i) => labels[n] === String(i % 1000)));
});

test('samples of one family with different label names, or none, each get their own names', async () => {
  const [f] = await both('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\nh_bucket{x="a",le="1"} 0\n');
  assert.deepEqual(
    f.samples.map((s) => [s.name, s.labels]),
    [
      ['h_bucket', { le: '1' }],
      ['h_bucket', { le: '+Inf' }],
      ['h_sum', {}],
      ['h_count', {}],
      ['h_bucket', { x: 'a', le: '1' }],
    ],
  );
});

test('a label named __proto__ is an own property, not the prototype', async () => {
  const [f] = await both('m{__proto__="p",constructor="c"} 1\n');
  const { labels } = f.samples[0];
  assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  assert.deepEqual(Object.entries(labels), [['__proto__', 'p'], ['constructor', 'c']]);
});

test('exemplars and timestamps on some samples only stay with their samples', async () => {
  const text = [
    '# TYPE r counter',
    'r_total{p="a"} 1 100',
    'r_total{p="b"} 2 # {trace_id="t1"} 0.5 1600000000.25',
    'r_total{p="c"} 3',
    'r_total{p="d"} 4 200 # {span="s",trace_id="t2"} 7',
    'r_total{p="f"} 5 # {} -Inf',
    '# TYPE g gauge',
    'g{p="e"} NaN',
    'g{p="f"} +Inf 300',
    '# EOF',
    '',
  ].join('\n');
  const [r, g] = await both(text);
  assert.deepEqual(r.samples, [
    { name: 'r_total', labels: { p: 'a' }, value: 1, timestamp: 100, exemplar: null },
    { name: 'r_total', labels: { p: 'b' }, value: 2, timestamp: null, exemplar: { labels: { trace_id: 't1' }, value: 0.5, timestamp: 1600000000.25 } },
    { name: 'r_total', labels: { p: 'c' }, value: 3, timestamp: null, exemplar: null },
    { name: 'r_total', labels: { p: 'd' }, value: 4, timestamp: 200, exemplar: { labels: { span: 's', trace_id: 't2' }, value: 7, timestamp: null } },
    { name: 'r_total', labels: { p: 'f' }, value: 5, timestamp: null, exemplar: { labels: {}, value: -Infinity, timestamp: null } },
  ]);
  assert.ok(Number.isNaN(g.samples[0].value));
  assert.deepEqual([g.samples[0].timestamp, g.samples[1].value, g.samples[1].timestamp], [null, Infinity, 300]);
});

test('empty text, comments only, and families without samples', async () => {
  assert.deepEqual(await both(''), []);
  assert.deepEqual(await both('# just a comment\n'), []);
  assert.deepEqual(await both('# HELP e Nothing yet.\n# TYPE e gauge\n# TYPE u counter\n'), [
    { name: 'e', type: 'gauge', help: 'Nothing yet.', unit: null, samples: [] },
    { name: 'u', type: 'counter', help: null, unit: null, samples: [] },
  ]);
  assert.deepEqual(await both('# TYPE d_seconds gauge\n# UNIT d_seconds seconds\n# EOF\n'), [
    { name: 'd_seconds', type: 'gauge', help: null, unit: 'seconds', samples: [] },
  ]);
});

test('the objects are plain: Object and Array prototypes, properties in the documented order', async () => {
  const [f] = await both('# TYPE c counter\nc_total{a="1"} 1 # {t="x"} 1\n# EOF\n');
  const [s] = f.samples;
  for (const o of [f, s, s.labels, s.exemplar, s.exemplar.labels]) assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.ok(Array.isArray(f.samples));
  assert.deepEqual(Object.keys(f), ['name', 'type', 'help', 'unit', 'samples']);
  assert.deepEqual(Object.keys(s), ['name', 'labels', 'value', 'timestamp', 'exemplar']);
  assert.deepEqual(Object.keys(s.exemplar), ['labels', 'value', 'timestamp']);
});
