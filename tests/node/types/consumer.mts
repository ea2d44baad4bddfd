// A TypeScript consumer of the package, compiled with `tsc --strict` (never
// run): the declared types must be precise enough for this to check, and the
// `@ts-expect-error` lines must stay errors.
import {
  Collector,
  Server,
  collect,
  collectAsync,
  contentType,
  negotiate,
  parse,
  parseAsync,
  render,
  renderAsync,
  scrape,
  serve,
  OPENMETRICS_CONTENT_TYPE,
  type CollectedSnapshot,
  type Format,
  type MetricFamily,
  type Snapshot,
  type TaskCounts,
} from 'loki-metrics';
import { registerLokiMetrics, type LokiMetricsRegistration } from 'loki-metrics/prom-client';
import { Registry } from 'prom-client';

const snapshot: Snapshot = collect('.loki', { now: new Date(), maxIterations: 10, staleAfterMs: 90_000 });
const status: 'stopped' | 'running' | 'paused' = snapshot.sessionStatus;
const inProgress: number = snapshot.tasks.inProgress;
const counts: TaskCounts = snapshot.tasks;
const collectSeconds: number | undefined = snapshot.exporter?.collectSeconds;
// @ts-expect-error failed sources are .loki source paths
const notASource: Snapshot['failedSources'][number] = 'etc/passwd';
void [counts, collectSeconds, notASource];
const firstWarningSource: string | undefined = snapshot.warnings[0]?.source;
const collected: CollectedSnapshot = collect('.loki');
const modelFamilies: MetricFamily[] = collected.families;
const pending: number | null = collected.value('loki_tasks_total', { status: 'pending' });
const cachedModel: number | null = new Collector({ dir: '.loki' }).collect().value('loki_cost_usd');
// @ts-expect-error label values are strings
collected.value('loki_tasks_total', { status: 1 });
// @ts-expect-error a plain Snapshot (e.g. a spread copy) has no families
void ({ ...collected } as Snapshot).families;
void [modelFamilies, pending, cachedModel];

async function main(): Promise<void> {
  const again: Snapshot = await collectAsync(undefined, { now: '2026-01-05T12:00:00Z' });
  const text: string = render(again, { format: 'openmetrics' });
  const fromDir: string = await renderAsync('.loki', { format: 'json', now: Date.now() });

  const families: MetricFamily[] = parse(text, { format: 'auto' });
  const asyncFamilies: MetricFamily[] = await parseAsync(fromDir);
  for (const family of families) {
    const kind: 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'stateset' | 'info' | 'unknown' = family.type;
    const help: string | null = family.help;
    for (const sample of family.samples) {
      const value: number = sample.value;
      const label: string | undefined = sample.labels['status'];
      const ts: number | null = sample.timestamp;
      const exemplarValue: number | undefined = sample.exemplar?.value;
      void [kind, help, value, label, ts, exemplarValue];
    }
  }

  const collector = new Collector({ dir: '.loki', cacheTtlMs: 2000 });
  const warm: string = collector.render('prometheus');
  const warmAsync: string = await collector.renderAsync();
  const cached: Snapshot = await collector.collectAsync();
  const count: number = collector.collections;

  const server: Server = await serve({ port: 0, dir: '.loki', token: 'x' });
  const url: string = server.url;
  const port: number = server.port;
  const scraped: MetricFamily[] = await scrape(url, { token: 'x', accept: OPENMETRICS_CONTENT_TYPE, timeoutMs: 1000 });
  await server.close();

  const format: Format = negotiate('application/openmetrics-text');
  const type: string = contentType(format);

  const registration: LokiMetricsRegistration = registerLokiMetrics(new Registry(), { collector });
  const names: string[] = registration.names;

  // @ts-expect-error: not a format
  render('.loki', { format: 'xml' });
  // @ts-expect-error: parse needs text
  parse();
  // @ts-expect-error: a Collector is not a Snapshot
  render(collector);
  // @ts-expect-error: cacheTtlMs is a number
  new Collector({ cacheTtlMs: '2s' });

  void [status, inProgress, firstWarningSource, asyncFamilies, warm, warmAsync, cached, count, port, scraped, type, names];
}

void main;
