/**
 * The server's Prometheus series (GET /metrics), all prefixed nst_, on a registry of its own (several servers in one
 * process — tests — must not share counters).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  duration: Histogram<'route'>;
  stylizeSeconds: Histogram<'model'>;
}

/** Latency buckets (s) from a small thumbnail to a tiled multi-megapixel image. */
const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

export function createMetrics(state: { inFlight: () => number; queued: () => number; models: () => number }): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nst_' });
  const requests = new Counter({
    name: 'nst_http_requests_total',
    help: 'HTTP requests answered, by route, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'nst_http_request_duration_seconds',
    help: 'Time from request to reply, by route (includes waiting for a slot)',
    labelNames: ['route'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const stylizeSeconds = new Histogram({
    name: 'nst_stylize_duration_seconds',
    help: 'Time a stylize request held its slot (decode, network, encode), by model',
    labelNames: ['model'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  new Gauge({ name: 'nst_queue_depth', help: 'Stylize requests waiting for a slot', registers: [registry], collect() { this.set(state.queued()); } });
  new Gauge({ name: 'nst_in_flight', help: 'Stylize requests holding a slot', registers: [registry], collect() { this.set(state.inFlight()); } });
  new Gauge({ name: 'nst_models_loaded', help: 'Models loaded and kept warm', registers: [registry], collect() { this.set(state.models()); } });
  return { registry, requests, duration, stylizeSeconds };
}
