// Types of the package's entry (hand-written): the generated declarations of
// the native binding, plus the three functions node/main.js builds on it.
import type { CollectOptions, MetricFamily, ParseOptions, ScrapeOptions, Snapshot } from './index'

export * from './index'

/** @deprecated The type of `Snapshot['tasks']` (generated from the family catalogue as `SnapshotTasks`). */
export type TaskCounts = Snapshot['tasks']
/** @deprecated The type of `Snapshot['exporter']` (generated as `SnapshotExporter`). */
export type ExporterInfo = NonNullable<Snapshot['exporter']>

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

/** A family of a collected snapshot: a `MetricFamily`, plus its name in 0.0.4 text. */
export interface SnapshotFamily extends MetricFamily {
  /** The name Prometheus text 0.0.4 gives it (`loki_events_total` for the counter family `loki_events`); non-enumerable. */
  readonly prometheusName: string
}

/**
 * A snapshot as `collect`, `collectAsync` and a `Collector` return it: the
 * plain fields of `Snapshot`, plus its metric families as data (both
 * non-enumerable: a spread or `JSON.stringify` of it has the plain fields).
 */
export interface CollectedSnapshot extends Snapshot {
  /** The metric families of the collection, as `parse` returns them. */
  readonly families: SnapshotFamily[]
  /**
   * The value of the sample `name` (a sample name such as `'loki_tasks_total'`,
   * or a family name such as `'loki_events'`) whose labels are exactly
   * `labels`; `null` when there is none.
   */
  value(name: string, labels?: Record<string, string> | null): number | null
}

/** Reads a `.loki` directory once (default: env `LOKI_DIR`, else `./.loki`). */
export declare function collect(dir?: string | null, opts?: CollectOptions | null): CollectedSnapshot

/** `collect` on the thread pool. */
export declare function collectAsync(dir?: string | null, opts?: CollectOptions | null): Promise<CollectedSnapshot>

declare module './index' {
  interface Collector {
    /** The cached snapshot, with its families (see `CollectedSnapshot`). */
    collect(): CollectedSnapshot
    /** `collect` on the thread pool. */
    collectAsync(): Promise<CollectedSnapshot>
  }
}
