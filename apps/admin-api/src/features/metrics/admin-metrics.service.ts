import { Injectable, Logger } from '@nestjs/common';
import { ApprovalService } from '@gatehouse/client-registry';
import { createMetricsRegistry } from '@gatehouse/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** `operation` of an HTTP authorization decision: the permission operation the method needs. */
export type HttpDecisionOperation = 'read' | 'write';

/**
 * admin-api's Prometheus metrics (SPEC 6, ADR 0018), in a registry of this instance. Labels are
 * bounded sets: the route template (never the raw path), method, status, decision result, registry
 * state. Never a username, a topic, a path or an id.
 */
@Injectable()
export class AdminMetrics {
  readonly registry: Registry = createMetricsRegistry();
  private readonly logger = new Logger('Metrics');
  private readonly httpDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status, from the first byte read to the last written',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'gatehouse_authz_decisions_total',
    help: 'Authorization decisions: context http (routes guarded by http permissions), operation read|write, result allowed|denied',
    labelNames: ['context', 'operation', 'result'] as const,
    registers: [this.registry],
  });

  constructor(approvals: ApprovalService) {
    const logger = this.logger;
    new Gauge({
      name: 'gatehouse_registry_requests',
      help: 'Client registry requests by state (pending, granted, rejected, expired)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const [state, n] of Object.entries(await approvals.countByState())) this.set({ state }, n);
        } catch (err) {
          // a scrape while the database is down still answers the other metrics
          logger.warn(`registry requests not counted: ${(err as Error).message}`);
        }
      },
    });
    for (const operation of ['read', 'write'] as const)
      for (const result of ['allowed', 'denied'] as const)
        this.decisions.inc({ context: 'http', operation, result }, 0);
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  httpDecision(operation: HttpDecisionOperation, allowed: boolean): void {
    this.decisions.inc({ context: 'http', operation, result: allowed ? 'allowed' : 'denied' });
  }
}
