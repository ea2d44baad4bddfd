// Types of the package's entry (hand-written): the generated declarations of
// the native binding, plus the three functions node/main.js builds on it.
import type { MetricFamily, ParseOptions, ScrapeOptions } from './index'

export * from './index'

/**
 * Parses Prometheus text 0.0.4 or OpenMetrics 1.0 into metric families.
 * Invalid text throws an `Error` with `code: 'ERR_LOKI_PARSE'`, `line` and `column`.
 */
export declare function parse(text: string, opts?: ParseOptions | null): MetricFamily[]

/**
 * `parse` on the thread pool; the objects are then built on the JS thread in
 * slices, with a turn of the event loop between slices.
 */
export declare function parseAsync(text: string, opts?: ParseOptions | null): Promise<MetricFamily[]>

/**
 * GETs an exposition endpoint and parses it (the request and the parse run
 * off the JS thread; the objects are built in slices as by `parseAsync`).
 * Rejects with `ERR_LOKI_IO` when nothing answers (or the body is not UTF-8 or
 * over 64 MiB), `ERR_LOKI_TIMEOUT` when no complete answer came within
 * `timeoutMs`, `ERR_LOKI_HTTP_STATUS` (with `status`) on a non-200 answer,
 * `ERR_LOKI_PARSE` on an invalid body.
 */
export declare function scrape(url: string, opts?: ScrapeOptions | null): Promise<MetricFamily[]>
