// Types of `loki-metrics/prom-client` (hand-written; checked by the tsc --strict consumer test).
import type { Registry } from 'prom-client'
import type { Collector, CollectorOptions } from './index'

export interface RegisterLokiMetricsOptions extends CollectorOptions {
  /** Read from this Collector instead of creating one from the other options. */
  collector?: Collector
  /** The prom-client module to build metrics with (default: `require('prom-client')`). */
  promClient?: typeof import('prom-client')
}

export interface LokiMetricsRegistration {
  /** The Collector the registered metrics read from. */
  collector: Collector
  /** The registered metric names, in exposition order. */
  names: string[]
  /** Removes the Loki metrics from the registry again. */
  unregister(): void
}

/**
 * Adds the Loki metric families (`loki_session_status`, ..., `loki_uptime_seconds`)
 * to a prom-client Registry (default: prom-client's global `register`).
 * Throws prom-client's error if one of the names is already registered.
 */
export declare function registerLokiMetrics(
  registry?: Registry | null,
  opts?: RegisterLokiMetricsOptions,
): LokiMetricsRegistration
