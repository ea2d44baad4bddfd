import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const { registerLokiMetrics } = require('./prom-client.js');
