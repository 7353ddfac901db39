import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import {
  type GatewayRegistrationDto,
  IdentityEvents,
  type PrincipalChangedEventDto,
  transportClientOptions,
} from '@gatehouse/contracts';
import type { PrincipalChangeSink } from '@gatehouse/identity';
import { ADMIN_TRANSPORT_ENDPOINT, type AdminTransportEndpoint } from './admin-transport.options';

interface RegisteredGateway {
  host: string;
  port: number;
  client: ClientProxy;
  lastSeen: number;
  intervalMs?: number;
}

/** A gateway that has not re-registered for this long is forgotten (it registers every few seconds). */
const GATEWAY_TTL_MS = 60_000;
const MAX_GATEWAYS = 1000;
/** A gateway that missed this many of its registrations is not asked by session queries (ADR 0022). */
const STALE_INTERVALS = 3;

/**
 * The `PRINCIPAL_CHANGE_SINK` of admin-api (SPEC 3 "Live changes", SPEC 5): emits
 * `IdentityEvents.PRINCIPAL_CHANGED` to every gateway. Loopback TCP: one client per registered gateway
 * (gateways announce themselves with `GatewayPatterns.REGISTER`). NATS: one publish on the event subject,
 * which every gateway subscribes to (no queue group).
 */
@Injectable()
export class GatewayEventBroadcaster implements PrincipalChangeSink, OnApplicationShutdown {
  private readonly logger = new Logger(GatewayEventBroadcaster.name);
  /** Changes on every start: a gateway that sees another value knows it may have missed events. */
  readonly instanceId = randomUUID();
  private readonly gateways = new Map<string, RegisteredGateway>();
  private nats?: ClientProxy;

  constructor(@Inject(ADMIN_TRANSPORT_ENDPOINT) private readonly endpoint: AdminTransportEndpoint) {
    if (endpoint.kind === 'nats') this.nats = ClientProxyFactory.create(transportClientOptions(endpoint));
  }

  register(dto: GatewayRegistrationDto, now = Date.now()): { ok: true; instanceId: string } {
    const known = this.gateways.get(dto.gatewayId);
    if (known && known.host === dto.host && known.port === dto.port) {
      known.lastSeen = now;
      known.intervalMs = dto.registrationIntervalMs;
    } else {
      known?.client.close();
      this.prune(now);
      if (this.gateways.size >= MAX_GATEWAYS) throw new Error('too many registered gateways');
      this.gateways.set(dto.gatewayId, {
        host: dto.host,
        port: dto.port,
        client: ClientProxyFactory.create({
          transport: Transport.TCP,
          options: { host: dto.host, port: dto.port },
        }),
        lastSeen: now,
        intervalMs: dto.registrationIntervalMs,
      });
      this.logger.log(
        `gateway ${JSON.stringify(dto.gatewayId)} registered for change events at ${dto.host}:${dto.port}`,
      );
    }
    return { ok: true, instanceId: this.instanceId };
  }

  /** How many gateways currently receive events (loopback TCP). */
  get gatewayCount(): number {
    this.prune(Date.now());
    return this.gateways.size;
  }

  /** The registered gateways seen recently (loopback TCP): whom a scatter-gather query asks (ADR 0022). */
  liveGateways(now = Date.now()): { gatewayId: string; client: ClientProxy }[] {
    this.prune(now);
    return [...this.gateways]
      .filter(([, g]) => g.intervalMs === undefined || now - g.lastSeen <= STALE_INTERVALS * g.intervalMs)
      .map(([gatewayId, g]) => ({ gatewayId, client: g.client }));
  }

  publish(events: PrincipalChangedEventDto[]): void {
    if (events.length === 0) return;
    if (this.nats) {
      for (const e of events) this.emit(this.nats, e, 'nats');
      return;
    }
    this.prune(Date.now());
    for (const [id, g] of this.gateways) for (const e of events) this.emit(g.client, e, id);
  }

  onApplicationShutdown(): void {
    for (const g of this.gateways.values()) g.client.close();
    this.gateways.clear();
    this.nats?.close();
  }

  private emit(client: ClientProxy, event: PrincipalChangedEventDto, target: string): void {
    // emit() is hot: the event is sent whether or not anyone subscribes; subscribe for the error only.
    client.emit(IdentityEvents.PRINCIPAL_CHANGED, event).subscribe({
      error: (err: Error) =>
        this.logger.warn(`could not send a change event to ${JSON.stringify(target)}: ${err.message}`),
    });
  }

  private prune(now: number): void {
    for (const [id, g] of this.gateways) {
      if (now - g.lastSeen > GATEWAY_TTL_MS) {
        g.client.close();
        this.gateways.delete(id);
        this.logger.log(
          `gateway ${JSON.stringify(id)} forgotten (no registration for ${GATEWAY_TTL_MS / 1000} s)`,
        );
      }
    }
  }
}
