import { Injectable, Logger, Optional } from '@nestjs/common';
import type { AedesClient } from '../broker/aedes.types';
import { clientFields } from '../broker/connection-id';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import type { GatewaySession } from './gateway-session';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The live sessions of this gateway, by aedes client (what the hooks get) and by user id (what change
 * events name). Keyed by the client object, not the client id: a takeover with the same client id is a
 * different session. Removing a session releases its (possibly shared) matcher and its expiry timer.
 */
@Injectable()
export class SessionRegistry {
  private readonly logger = new Logger('MqttSession');
  private readonly byClient = new Map<AedesClient, GatewaySession>();
  private readonly byUser = new Map<string, Set<GatewaySession>>();

  constructor(@Optional() private readonly metrics?: GatewayMetrics) {}

  /** Adds a live session; one that logged in with an expiring credential is closed when it expires (ASVS 7.3.2). */
  add(session: GatewaySession): void {
    this.armExpiry(session);
    this.byClient.set(session.client, session);
    let set = this.byUser.get(session.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(session.userId, set);
    }
    set.add(session);
  }

  get(client: AedesClient | null | undefined): GatewaySession | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  remove(client: AedesClient): void {
    const session = this.byClient.get(client);
    if (!session) return;
    this.byClient.delete(client);
    session.release();
    const set = this.byUser.get(session.userId);
    if (set) {
      set.delete(session);
      if (set.size === 0) this.byUser.delete(session.userId);
    }
  }

  private armExpiry(session: GatewaySession): void {
    const at = session.credential.expiresAt;
    if (at === undefined) return;
    const wait = at - Date.now();
    // setTimeout holds at most 2^31-1 ms (~24.8 days): a longer credential re-arms on the way.
    const timer =
      wait > MAX_TIMER_MS
        ? setTimeout(() => this.armExpiry(session), MAX_TIMER_MS)
        : setTimeout(() => this.expire(session), Math.max(0, wait));
    timer.unref();
    session.setExpiryTimer(timer);
  }

  private expire(session: GatewaySession): void {
    if (this.byClient.get(session.client) !== session || session.revoked) return;
    session.revoked = true;
    this.metrics?.sessionExpired();
    // MQTT 3.1.1 has no server DISCONNECT: closing the connection is how the session ends (v5 clients are
    // refused at CONNECT, ADR 0105, so no DISCONNECT 0xA0 "maximum connect time" is owed to anyone)
    this.logger.log(
      `disconnecting client ${JSON.stringify(session.clientId)} of user ${JSON.stringify(session.username)}: its ${session.credential.method} expired`,
      clientFields(session.client),
    );
    this.remove(session.client);
    session.client.close();
  }

  sessionsOf(userId: string): GatewaySession[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** Every live session (a snapshot). */
  all(): GatewaySession[] {
    return [...this.byClient.values()];
  }

  userIds(): string[] {
    return [...this.byUser.keys()];
  }

  get size(): number {
    return this.byClient.size;
  }
}
