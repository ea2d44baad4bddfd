// An Express dashboard whose own /metrics also carries the Loki families.
//
//   npm install express prom-client loki-metrics
//   LOKI_DIR=/path/to/project/.loki node examples/node/express.mjs
//   (listens on 127.0.0.1:3000; HOST and PORT change that, PORT=0 picks a free port)
//
// GET /metrics  -> prom-client's registry: the app's metrics + loki_*
// GET /loki     -> the current snapshot as JSON (for a dashboard page)
import express from 'express';
import client from 'prom-client';
import { Collector } from 'loki-metrics';
import { registerLokiMetrics } from 'loki-metrics/prom-client';

export function createApp({ dir, now } = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'dashboard_http_requests_total',
    help: 'Requests served by the dashboard',
    labelNames: ['route'],
    registers: [registry],
  });
  // One cached Collector for both routes: a burst of requests reads .loki once per 2 s.
  const collector = new Collector({ dir, now });
  registerLokiMetrics(registry, { collector });

  const app = express();
  app.get('/metrics', async (_req, res) => {
    requests.inc({ route: '/metrics' });
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  app.get('/loki', async (_req, res) => {
    requests.inc({ route: '/loki' });
    res.json(await collector.collectAsync());
  });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Loopback only, as the exporter binds by default: .loki's contents (project
  // path, costs, tasks) are not for the whole network. HOST=0.0.0.0 opens it.
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT ?? 3000);
  const server = createApp({ dir: process.env.LOKI_DIR }).listen(port, host, () => {
    // The address actually bound: PORT=0 picks a free port, and an IPv6 host needs brackets.
    const { address, port: bound } = server.address();
    const shown = address.includes(':') ? `[${address}]` : address;
    console.log(`dashboard on http://${shown}:${bound}/metrics`);
  });
}
