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
    if (typeof explicit !== 'object' || typeof explicit.Registry !== 'function' || typeof explicit.register !== 'object') {
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

  // Each family is registered as a metric object of its own (prom-client's
  // Registry takes any object with a name, a type and get()), not as a Gauge
  // or Counter: those emit a 0 for a family without samples (a budget limit
  // that is not set is not a limit of 0) and fix their label names at
  // creation (a family whose samples appear later, such as the cost by model,
  // would throw).
  const metrics = [];
  for (const family of familiesOf(collector.collect()).values()) {
    const registeredName = family.prometheusName;
    const metric = {
      // The Registry rewrites a counter's name without `_total` while it
      // renders OpenMetrics (and appends `_total` to its samples then), so
      // get() reads the name back from here.
      name: registeredName,
      help: family.help ?? registeredName,
      // prom-client knows no info type: 0.0.4 renders an info family as a gauge too.
      type: family.type === 'counter' ? 'counter' : 'gauge',
      aggregator: 'sum',
      async get() {
        const current = familiesOf(await collector.collectAsync()).get(registeredName);
        const values = (current ? current.samples : []).map((s) => ({ labels: { ...s.labels }, value: s.value }));
        return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
      },
      reset() {},
    };
    target.registerMetric(metric);
    metrics.push(metric);
  }
  const names = metrics.map((m) => m.name);

  return {
    collector,
    names: [...names],
    unregister() {
      // By the names recorded at registration: the Registry renames counters
      // while it renders OpenMetrics, but keeps them under the first name.
      for (const name of names) target.removeSingleMetric(name);
    },
  };
}

module.exports = { registerLokiMetrics };
