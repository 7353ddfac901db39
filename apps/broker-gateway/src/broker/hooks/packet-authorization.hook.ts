import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AedesPublishPacket, PublishPacket, Subscription } from 'aedes';
import { GATEWAY_CONFIG, type GatewayConfig, type MqttDenyAction } from '../../config/gateway.config';
import { RefusalAggregator } from '../../audit/refusal-aggregator.service';
import { GatewayMetrics, type MqttDecisionCounts } from '../../metrics/gateway-metrics.service';
import { SessionRegistry } from '../../sessions/session-registry.service';
import type { AedesClient } from '../aedes.types';
import { clientFields } from '../connection-id';
import { remoteAddressOf } from './remote-address';
import { isReservedTopic } from './reserved-topics';
import type { PublishRefusal } from '@gatehouse/rbac';

/** aedes `broker.publish` as the PUBLISH handler and the will call it. */
export type BrokerPublish = (packet: PublishPacket, client: unknown, done?: (error?: Error) => void) => void;

/**
 * aedes `authorizePublish`, `authorizeSubscribe` and `authorizeForward` (SPEC 1.4, 3): synchronous
 * checks against the session's compiled permissions, no I/O per packet. Without a session, or on any
 * exception, the answer is deny (fail closed).
 */
@Injectable()
export class PacketAuthorizationHook {
  private readonly logger = new Logger('MqttAuthorization');
  /** Counted with a field increment: this is the per-packet path (ADR 0018). */
  private readonly counts: MqttDecisionCounts;
  private readonly denyAction: MqttDenyAction;
  /**
   * PUBLISH packets refused under `MQTT_DENY_ACTION=ignore`: aedes acknowledges them as usual, and
   * {@link dropIgnored} keeps them from `broker.publish` (no retained store, no delivery, no offline queue).
   */
  private readonly ignored = new WeakSet<PublishPacket>();
  private ignoredCount = 0;

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly refusals: RefusalAggregator,
    metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.counts = metrics.decisions;
    this.denyAction = config.denyAction;
  }

  /** Refused PUBLISH packets acknowledged and dropped since start (`MQTT_DENY_ACTION=ignore`). */
  get ignoredPublishes(): number {
    return this.ignoredCount;
  }

  /**
   * PUBLISH (incoming and the will when it fires): publish prefix first, then SPEC 1.4.2, 1.4.6 and 1.4.7
   * (QoS and retain limits). The message is never delivered nor retained. With `MQTT_DENY_ACTION=disconnect`
   * (default) a refusal makes aedes close the connection without an acknowledgement [MQTT-3.3.5-2]; with
   * `ignore` it is acknowledged as usual (PUBACK, PUBREC/PUBCOMP) and dropped, and counted. A will is
   * never published when refused, whatever the action. `client === null` is a will whose client is gone
   * (another broker's will in shared persistence): its principal is unknown here, so it is refused.
   */
  readonly authorizePublish = (
    client: AedesClient | null,
    packet: PublishPacket,
    done: (error?: Error | null) => void,
  ): void => {
    let denial: string | null;
    try {
      denial = this.publishDenial(client, packet);
    } catch (err) {
      denial = `error: ${(err as Error).message}`;
    }
    if (denial === null) {
      this.counts.publishAllowed++;
      done(null);
      return;
    }
    this.counts.publishDenied++;
    const what = `PUBLISH denied for client ${JSON.stringify(client?.id ?? null)} on ${JSON.stringify(packet.topic)}: ${denial}`;
    this.countRefusal('mqtt.publish.denied', client, packet.topic);
    if (this.denyAction === 'ignore' && client !== null && packet !== client.will) {
      // aedes has no "acknowledge and drop" answer: allow it here, drop it in broker.publish
      this.ignored.add(packet);
      this.ignoredCount++;
      this.counts.publishIgnored++;
      this.logger.debug(`${what} (acknowledged and dropped, MQTT_DENY_ACTION=ignore)`, clientFields(client));
      done(null);
      return;
    }
    this.logger.log(what, clientFields(client));
    done(new Error(`publish not authorized: ${denial}`));
  };

  /**
   * Wraps aedes `broker.publish` so that a PUBLISH refused under `ignore` goes nowhere: aedes calls it
   * with the very packet {@link authorizePublish} saw, after the PUBACK (QoS 1) or before the PUBREC
   * (QoS 2), and `broker.publish` is where it would be retained, queued for offline sessions and emitted.
   */
  dropIgnored(publish: BrokerPublish): BrokerPublish {
    // with `disconnect` nothing is ever marked: no wrapper on the path of every publish
    if (this.denyAction !== 'ignore') return publish;
    return (packet, client, done) => {
      if (this.ignored.has(packet)) {
        this.ignored.delete(packet);
        done?.();
        return;
      }
      publish(packet, client, done);
    };
  }

  /** SUBSCRIBE (and restoring a persistent session's subscriptions): SPEC 1.4.3, one filter at a time. */
  readonly authorizeSubscribe = (
    client: AedesClient,
    sub: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void => {
    let allowed = false;
    try {
      const session = this.sessions.get(client);
      allowed = !!session && !session.revoked && session.permissions.canSubscribe(sub.topic);
    } catch {
      allowed = false;
    }
    if (allowed) this.counts.subscribeAllowed++;
    else {
      this.counts.subscribeDenied++;
      this.logger.log(
        `SUBSCRIBE refused for client ${JSON.stringify(client?.id ?? null)} on ${JSON.stringify(sub.topic)}`,
        clientFields(client),
      );
      this.countRefusal('mqtt.subscribe.denied', client, sub.topic);
    }
    // null refuses this filter alone (SUBACK 0x80) and keeps the connection [MQTT-3.9.3-1].
    done(null, allowed ? sub : null);
  };

  /** Every delivery, retained messages included, is re-checked against read permission (SPEC 1.4.4). */
  readonly authorizeForward = (
    client: AedesClient,
    packet: AedesPublishPacket,
  ): AedesPublishPacket | null => {
    let allowed = false;
    try {
      const session = this.sessions.get(client);
      allowed = !!session && !session.revoked && session.permissions.canReceive(packet.topic);
    } catch {
      allowed = false;
    }
    if (allowed) {
      this.counts.deliverAllowed++;
      return packet;
    }
    this.counts.deliverDenied++;
    return null;
  };

  /** Counted in memory for the audit trail (SPEC 6); never throws into the hook. */
  private countRefusal(
    action: 'mqtt.publish.denied' | 'mqtt.subscribe.denied',
    client: AedesClient | null,
    topic: string,
  ): void {
    try {
      const session = client ? this.sessions.get(client) : undefined;
      this.refusals.record(action, {
        clientId: client?.id ?? '',
        username: session?.username ?? null,
        userId: session?.userId ?? null,
        topic,
        sourceAddress: client ? (remoteAddressOf(client) ?? null) : null,
      });
    } catch {
      // an audit count must never change the decision
    }
  }

  private publishDenial(client: AedesClient | null, packet: PublishPacket): string | null {
    if (client === null) return 'no client (will of a session that is gone)';
    const session = this.sessions.get(client);
    if (!session) return 'no session';
    if (session.revoked) return 'session revoked';
    const topic = session.effectiveTopic(packet.topic);
    if (isReservedTopic(topic)) return '$SYS/ is reserved';
    const permissions = session.permissions;
    if (!permissions.canPublish(topic, packet.qos, packet.retain)) {
      return publishRefusalText(permissions.publishRefusal(topic, packet.qos, packet.retain), topic, packet);
    }
    packet.topic = topic;
    return null;
  }
}

/** The log text of a refused PUBLISH (or will). */
export function publishRefusalText(
  refusal: PublishRefusal | null,
  topic: string,
  packet: { qos: number; retain: boolean },
): string {
  switch (refusal) {
    case 'denied':
      return `a deny rule blocks writing ${JSON.stringify(topic)}`;
    case 'limits':
      return `no write permission on ${JSON.stringify(topic)} admits QoS ${packet.qos}${packet.retain ? ' retained' : ''}`;
    case 'invalid':
    case 'no-allow':
    case null:
      return `no write permission on ${JSON.stringify(topic)}`;
  }
}
