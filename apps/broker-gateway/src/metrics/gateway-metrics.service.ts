import { Inject, Injectable } from '@nestjs/common';
import { createMetricsRegistry } from '@gatehouse/contracts';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AedesBroker, AedesClient } from '../broker/aedes.types';
import { connectionOf, type ListenerName } from '../broker/connection-id';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

/**
 * The per-packet authorization decisions, as plain counters: the hooks add 1 to a field (no lookup, no
 * allocation), and the scrape reads them (ADR 0018: prom-client's `labels()` children hash their labels
 * on every `inc`).
 */
export class MqttDecisionCounts {
  publishAllowed = 0;
  publishDenied = 0;
  subscribeAllowed = 0;
  subscribeDenied = 0;
  deliverAllowed = 0;
  deliverDenied = 0;
  /** Refused PUBLISH packets acknowledged and dropped under `MQTT_DENY_ACTION=ignore` (also in publishDenied). */
  publishIgnored = 0;
}

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3) as the `result` label of `gatehouse_mqtt_connect_total`. */
const CONNECT_RESULTS = [
  'accepted',
  'unacceptable_protocol_version',
  'identifier_rejected',
  'server_unavailable',
  'bad_username_or_password',
  'not_authorized',
] as const;

/**
 * The gateway's Prometheus metrics (SPEC 6, ADR 0018), in a registry of this instance, served by
 * {@link GatewayHttp}. Labels are bounded sets (listener, CONNACK result, operation, decision): never a
 * topic, a username or a client id.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry: Registry = createMetricsRegistry();
  readonly decisions = new MqttDecisionCounts();
  private broker?: AedesBroker;
  private readonly connects = new Counter({
    name: 'gatehouse_mqtt_connect_total',
    help: 'CONNACKs sent, by result (accepted or the refusal: bad_username_or_password, not_authorized, server_unavailable, identifier_rejected, …)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly revocations = new Counter({
    name: 'gatehouse_revocations_applied_total',
    help: 'Live sessions a change event ended or whose subscriptions it removed',
    registers: [this.registry],
  });

  private readonly expirations = new Counter({
    name: 'gatehouse_mqtt_sessions_expired_total',
    help: 'Live sessions closed because the credential they logged in with expired (token exp, certificate notAfter)',
    registers: [this.registry],
  });

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const counts = this.decisions;
    new Counter({
      name: 'gatehouse_authz_decisions_total',
      help: 'Authorization decisions: context mqtt, operation publish|subscribe|deliver, result allowed|denied',
      labelNames: ['context', 'operation', 'result'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const add = (operation: string, allowed: number, denied: number): void => {
          this.inc({ context: 'mqtt', operation, result: 'allowed' }, allowed);
          this.inc({ context: 'mqtt', operation, result: 'denied' }, denied);
        };
        add('publish', counts.publishAllowed, counts.publishDenied);
        add('subscribe', counts.subscribeAllowed, counts.subscribeDenied);
        add('deliver', counts.deliverAllowed, counts.deliverDenied);
      },
    });
    new Counter({
      name: 'gatehouse_mqtt_publishes_ignored_total',
      help: 'Refused PUBLISH packets acknowledged and dropped (MQTT_DENY_ACTION=ignore); each is also a denied publish decision',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(counts.publishIgnored);
      },
    });
    const listeners: ListenerName[] = [
      'mqtt',
      ...(config.tlsPort !== null ? (['mqtts'] as const) : []),
      ...(config.wsPort !== null ? (['ws'] as const) : []),
    ];
    const liveClients = (): object[] => Object.values(this.liveClients());
    new Gauge({
      name: 'gatehouse_mqtt_connections',
      help: 'Connected MQTT clients (CONNECT accepted), by listener',
      labelNames: ['listener'] as const,
      registers: [this.registry],
      collect() {
        const byListener = new Map<string, number>(listeners.map((l) => [l, 0]));
        for (const client of liveClients()) {
          const listener = connectionOf(client)?.listener ?? 'unknown';
          byListener.set(listener, (byListener.get(listener) ?? 0) + 1);
        }
        this.reset();
        for (const [listener, n] of byListener) this.set({ listener }, n);
      },
    });
    for (const result of CONNECT_RESULTS) this.connects.inc({ result }, 0);
  }

  /** Counts every CONNACK the broker sends (call once, when the broker is made). */
  observeBroker(broker: AedesBroker): void {
    this.broker = broker;
    const events = broker as unknown as {
      on(e: 'connackSent', l: (packet: { returnCode?: number }, client: AedesClient) => void): void;
    };
    events.on('connackSent', (packet) => {
      this.connects.inc({ result: CONNECT_RESULTS[packet.returnCode ?? 0] ?? 'other' });
    });
  }

  /** aedes 1.x `broker.clients`: the connected clients by id. */
  private liveClients(): Record<string, object> {
    return (this.broker as unknown as { clients?: Record<string, object> } | undefined)?.clients ?? {};
  }

  revocationApplied(): void {
    this.revocations.inc();
  }

  sessionExpired(): void {
    this.expirations.inc();
  }
}
