import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A Prometheus registry of one app instance with the default process and Node.js metrics (SPEC 6).
 * Never prom-client's global registry: tests run several apps in one process, each with its own.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
