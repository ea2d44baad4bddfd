'use strict';
// The prom-client bridge: adds the Loki families to an existing prom-client
// Registry, so a dashboard's own /metrics carries them. prom-client is an
// optional peer dependency, loaded only here.
//
// Nothing Loki-specific is written in this file: the families, their HELP
// texts, types, labels and 0.0.4 names come from the core, as the families of
// a Collector's cached snapshot (no text in between).

const { Collector } = require('./main.js');

function invalidArgType(message) {
  const error = new TypeError(message);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function loadPromClient(explicit) {
  if (explicit !== undefined && explicit !== null) {
    if (typeof explicit !== 'object' || typeof explicit.Gauge !== 'function' || typeof explicit.Counter !== 'function') {
      throw invalidArgType('The "opts.promClient" option must be the prom-client module');
    }
    return explicit;
  }
  try {
    return require('prom-client');
  } catch (cause) {
    const error = new Error('registerLokiMetrics needs the prom-client package: npm install prom-client', { cause });
    error.code = 'ERR_LOKI_PROM_CLIENT_MISSING';
    throw error;
  }
}

/**
 * Registers the Loki metric families in `registry` (default: prom-client's
 * global registry). Values are read from a Collector (cached, so a burst of
 * scrapes reads the directory once per cache TTL).
 */
function registerLokiMetrics(registry, opts = {}) {
  if (opts === null || typeof opts !== 'object') {
    throw invalidArgType(`The "opts" argument must be an object. Received type ${typeof opts}`);
  }
  const promClient = loadPromClient(opts.promClient);
  const target = registry ?? promClient.register;
  if (!target || typeof target.registerMetric !== 'function') {
    throw invalidArgType('The "registry" argument must be a prom-client Registry');
  }
  const { collector: given, promClient: _ignored, ...collectorOptions } = opts;
  if (given !== undefined && given !== null && !(given instanceof Collector)) {
    throw invalidArgType('The "opts.collector" option must be a Collector');
  }
  const collector = given ?? new Collector(collectorOptions);

  // A snapshot's families by their 0.0.4 name (prom-client names metrics so).
  const familiesOf = (snapshot) => new Map(snapshot.families.map((f) => [f.prometheusName, f]));

  const metrics = [];
  for (const family of familiesOf(collector.collect()).values()) {
    const labelNames = [...new Set(family.samples.flatMap((s) => Object.keys(s.labels)))];
    const isCounter = family.type === 'counter';
    const Metric = isCounter ? promClient.Counter : promClient.Gauge;
    const name = family.prometheusName;
    const metric = new Metric({
      name,
      help: family.help ?? name,
      labelNames,
      registers: [target],
      async collect() {
        const current = familiesOf(await collector.collectAsync()).get(name);
        this.reset();
        for (const sample of current ? current.samples : []) {
          if (isCounter) this.inc(sample.labels, sample.value);
          else this.set(sample.labels, sample.value);
        }
      },
    });
    metrics.push(metric);
  }

  return {
    collector,
    names: metrics.map((m) => m.name),
    unregister() {
      for (const m of metrics) target.removeSingleMetric(m.name);
    },
  };
}

module.exports = { registerLokiMetrics };
