import { Injectable } from '@nestjs/common';
import type { AedesClient } from '../broker/aedes.types';
import type { GatewaySession } from './gateway-session';

/**
 * The live sessions of this gateway, by aedes client (what the hooks get) and by user id (what change
 * events name). Keyed by the client object, not the client id: a takeover with the same client id is a
 * different session. Removing a session releases its (possibly shared) matcher.
 */
@Injectable()
export class SessionRegistry {
  private readonly byClient = new Map<AedesClient, GatewaySession>();
  private readonly byUser = new Map<string, Set<GatewaySession>>();

  add(session: GatewaySession): void {
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

  sessionsOf(userId: string): GatewaySession[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  userIds(): string[] {
    return [...this.byUser.keys()];
  }

  get size(): number {
    return this.byClient.size;
  }
}
