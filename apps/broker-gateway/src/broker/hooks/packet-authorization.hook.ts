import { Injectable, Logger } from '@nestjs/common';
import type { AedesPublishPacket, PublishPacket, Subscription } from 'aedes';
import { RefusalAggregator } from '../../audit/refusal-aggregator.service';
import { GatewayMetrics, type MqttDecisionCounts } from '../../metrics/gateway-metrics.service';
import { SessionRegistry } from '../../sessions/session-registry.service';
import type { AedesClient } from '../aedes.types';
import { clientFields } from '../connection-id';
import { remoteAddressOf } from './remote-address';
import { isReservedTopic } from './reserved-topics';

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

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly refusals: RefusalAggregator,
    metrics: GatewayMetrics,
  ) {
    this.counts = metrics.decisions;
  }

  /**
   * PUBLISH (incoming and the will when it fires): publish prefix first, then SPEC 1.4.2. A refusal makes
   * aedes close the connection without an acknowledgement [MQTT-3.3.5-2]; the message is neither
   * delivered nor retained. `client === null` is a will whose client is gone (another broker's will in
   * shared persistence): its principal is unknown here, so it is refused.
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
    this.logger.log(
      `PUBLISH denied for client ${JSON.stringify(client?.id ?? null)} on ${JSON.stringify(packet.topic)}: ${denial}`,
      clientFields(client),
    );
    this.countRefusal('mqtt.publish.denied', client, packet.topic);
    done(new Error(`publish not authorized: ${denial}`));
  };

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
    if (!session.permissions.canPublish(topic)) return `no write permission on ${JSON.stringify(topic)}`;
    packet.topic = topic;
    return null;
  }
}
