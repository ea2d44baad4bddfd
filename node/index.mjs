// ESM entry: the CommonJS entry re-exported (one instance of the native
// binding, so `instanceof Collector` holds across `import` and `require`).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const native = require('./main.js');

export const {
  Collector,
  Server,
  collect,
  collectAsync,
  render,
  renderAsync,
  parse,
  parseAsync,
  scrape,
  serve,
  push,
  negotiate,
  contentType,
  PROMETHEUS_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  VERSION,
} = native;

export default native;
