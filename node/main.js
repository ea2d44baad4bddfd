'use strict';
// The package's CommonJS entry (hand-written): the native binding from the
// generated ./index.js, with `parse`, `parseAsync` and `scrape` building the
// `MetricFamily[]` objects in JavaScript from the columns the addon hands over
// (one table of distinct strings, typed arrays of indices and numbers; see
// `Columns` in bindings/node/src/parse.rs). V8 builds plain object literals
// far faster than napi calls or `JSON.parse` of the same data, and the async
// forms build in slices so the event loop keeps running.

const { performance } = require('node:perf_hooks');
const native = require('./index.js');

const NONE = 0xffffffff;
/** `parseAsync` and `scrape` build for this long (ms) before the event loop gets a turn. */
const SLICE_MS = 4;
/** Samples built between two looks at the clock. */
const STEP = 256;
/** At most this many label-object builders are compiled per call; other shapes take the generic path. */
const MAX_COMPILED_PER_CALL = 256;
const compiled = new Map();

/** A function `(strings, labelValues, at) => labels` for one label-name sequence. */
function compileLabels(names) {
  const key = JSON.stringify(names);
  let make = compiled.get(key);
  if (make === undefined) {
    // Quoted names are plain data properties; `__proto__` only as a computed key, which defines
    // an own property (as JSON.parse does) instead of setting the prototype.
    const props = names.map((n, j) => `${n === '__proto__' ? '["__proto__"]' : JSON.stringify(n)}: s[v[i + ${j}]]`);
    make = new Function('s', 'v', 'i', `return { ${props.join(', ')} };`);
    if (compiled.size >= 4096) compiled.clear();
    compiled.set(key, make);
  }
  return make;
}

function genericLabels(names) {
  return (s, v, i) => {
    const labels = {};
    for (let j = 0; j < names.length; j++) {
      if (names[j] === '__proto__') Object.defineProperty(labels, '__proto__', { value: s[v[i + j]], enumerable: true, writable: true, configurable: true });
      else labels[names[j]] = s[v[i + j]];
    }
    return labels;
  };
}

/**
 * Builds samples `sp .. sp + n` of the columns into `out[at ..]`; returns the next exemplar.
 * A function of its arguments and locals only (no closure state), which V8 optimises best.
 */
function buildSamples(k, out, at, sp, n, ep) {
  const { strs, samples, numbers, labelValues, exemplars, exemplarNumbers } = k;
  let lastShape = -1;
  let make = null;
  for (const end = sp + n; sp < end; sp++) {
    const b = sp * 4;
    const shape = samples[b + 1];
    if (shape !== lastShape) {
      lastShape = shape;
      make = k.makerFor(shape);
    }
    const flags = samples[b + 3];
    let exemplar = null;
    if (flags & 2) {
      const e = ep * 3;
      exemplar = {
        labels: k.makerFor(exemplars[e])(strs, labelValues, exemplars[e + 1]),
        value: exemplarNumbers[ep * 2],
        timestamp: exemplars[e + 2] & 1 ? exemplarNumbers[ep * 2 + 1] : null,
      };
      ep++;
    }
    out[at++] = {
      name: strs[samples[b]],
      labels: make(strs, labelValues, samples[b + 2]),
      value: numbers[sp * 2],
      timestamp: flags & 1 ? numbers[sp * 2 + 1] : null,
      exemplar,
    };
  }
  return ep;
}

/** Families up to this many samples get their array at its final length at once. */
const PREALLOCATE = 50_000;

/** A builder over the columns: `step(budget)` builds about `budget` samples and says whether it is done. */
function familyBuilder(c) {
  const { strings, offsets, families, types, shapes } = c;
  const stringCount = offsets.length - 1;
  const familyCount = families.length / 5;
  const strs = new Array(stringCount);
  const labelMakers = [];
  let compiledHere = 0;
  const k = {
    strs,
    samples: c.samples,
    numbers: c.numbers,
    labelValues: c.labelValues,
    exemplars: c.exemplars,
    exemplarNumbers: c.exemplarNumbers,
    makerFor(shape) {
      let make = labelMakers[shape];
      if (make === undefined) {
        const names = [];
        for (let j = 0; j < shapes[shape]; j++) names.push(strs[shapes[shape + 1 + j]]);
        make = compiledHere < MAX_COMPILED_PER_CALL ? compileLabels(names) : genericLabels(names);
        compiledHere++;
        labelMakers[shape] = make;
      }
      return make;
    },
  };
  const result = [];
  let made = 0; // strings made
  let fi = 0; // next family
  let current = null; // the samples of the family being built
  let count = 0; // its sample count
  let filled = 0; // samples built in it
  let sp = 0; // next sample
  let ep = 0; // next exemplar

  function step(budget) {
    if (made < stringCount) {
      const end = Math.min(stringCount, made + budget * 4);
      for (; made < end; made++) strs[made] = strings.slice(offsets[made], offsets[made + 1]);
      if (made < stringCount) return false;
    }
    while (budget > 0) {
      if (filled === count) {
        if (fi === familyCount) return true;
        const b = fi++ * 5;
        count = families[b + 4];
        filled = 0;
        current = count <= PREALLOCATE ? new Array(count) : [];
        result.push({
          name: strs[families[b]],
          type: types[families[b + 1]],
          help: families[b + 2] === NONE ? null : strs[families[b + 2]],
          unit: families[b + 3] === NONE ? null : strs[families[b + 3]],
          samples: current,
        });
        budget--;
        continue;
      }
      const n = Math.min(count - filled, budget);
      ep = buildSamples(k, current, filled, sp, n, ep);
      sp += n;
      filled += n;
      budget -= n;
    }
    return filled === count && fi === familyCount;
  }

  return { step, result };
}

function build(columns) {
  const builder = familyBuilder(columns);
  builder.step(Infinity);
  return builder.result;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function buildInSlices(columns) {
  const builder = familyBuilder(columns);
  for (;;) {
    const end = performance.now() + SLICE_MS;
    do {
      if (builder.step(STEP)) return builder.result;
    } while (performance.now() < end);
    await turn();
  }
}

function parse(text, opts) {
  return build(native.__parseColumns(text, opts));
}

async function parseAsync(text, opts) {
  return buildInSlices(await native.__parseColumnsAsync(text, opts));
}

async function scrape(url, opts) {
  return buildInSlices(await native.__scrapeColumns(url, opts));
}

// The snapshots the package returns carry the core's families: the plain
// object of a native snapshot, with a `families` getter (the MetricFamily
// objects `parse` returns, built once, each with a non-enumerable
// `prometheusName`: its name in 0.0.4 text) and `value(name, labels)`
// (`null` when there is no such sample), both bound to the collection itself
// and non-enumerable, so a snapshot still spreads, compares and serialises as
// its plain fields.
function fromNative(handle) {
  let families;
  const named = (list) => {
    const names = handle.prometheusNames();
    list.forEach((family, i) => Object.defineProperty(family, 'prometheusName', { value: names[i] }));
    return list;
  };
  return Object.defineProperties(handle.toObject(), {
    families: {
      get() {
        families ??= named(build(handle.columns()));
        return families;
      },
      enumerable: false,
      configurable: true,
    },
    value: {
      value(name, labels) {
        return handle.value(name, labels);
      },
      enumerable: false,
      configurable: true,
      writable: true,
    },
  });
}

function collect(dir, opts) {
  return fromNative(native.__collectNative(dir, opts));
}

function collectAsync(dir, opts) {
  return native.__collectNativeAsync(dir, opts).then(fromNative);
}

// Called through the native methods, so a foreign `this` is napi's own
// "Illegal invocation" TypeError, thrown synchronously as before.
const { __collectNative: collectNative, __collectNativeAsync: collectNativeAsync } = native.Collector.prototype;
Object.defineProperties(native.Collector.prototype, {
  collect: {
    value: function collect() {
      return fromNative(collectNative.call(this));
    },
    enumerable: false,
    configurable: true,
    writable: true,
  },
  collectAsync: {
    value: function collectAsync() {
      return collectNativeAsync.call(this).then(fromNative);
    },
    enumerable: false,
    configurable: true,
    writable: true,
  },
});

// napi-rs checks the receiver of methods (V8's "Illegal invocation" TypeError) but not of
// getters, where a foreign `this` fails inside napi as a generic Error with code 'InvalidArg'.
// The getters throw a TypeError with Node's code for a bad receiver instead.
for (const Class of [native.Collector, native.Server]) {
  for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(Class.prototype))) {
    if (typeof d.get !== 'function') continue;
    const get = d.get;
    const guarded = {
      get [name]() {
        try {
          return get.call(this);
        } catch (e) {
          if (e === null || typeof e !== 'object' || e.code !== 'InvalidArg') throw e;
          const error = new TypeError(`Value of "this" must be of type ${Class.name}`);
          error.code = 'ERR_INVALID_THIS';
          throw error;
        }
      },
    };
    Object.defineProperty(Class.prototype, name, { ...d, get: Object.getOwnPropertyDescriptor(guarded, name).get });
  }
}

// napi also exports a type alias of each renamed class (`NativeSnapshot`), undefined at run time.
const exported = Object.fromEntries(Object.entries(native).filter(([, value]) => value !== undefined));
module.exports = { ...exported, collect, collectAsync, parse, parseAsync, scrape };
