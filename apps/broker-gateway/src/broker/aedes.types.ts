import type { Aedes, Client } from 'aedes';

/**
 * The parts of aedes 1.x that the gateway uses beyond its published typings: `client.subscriptions`
 * (the session's filters, keyed by filter), the will held during CONNECT (`_will`, moved to `will`
 * after authentication) and the persistence's `removeSubscriptions`.
 */
export interface AedesClient extends Client {
  subscriptions: Record<string, unknown>;
  _will?: { topic: string; qos?: number; retain?: boolean } | null;
  will?: { topic: string; qos?: number; retain?: boolean } | null;
  broker: AedesBroker;
}

export interface AedesPersistenceLike {
  removeSubscriptions(client: { id: string }, subs: string[]): Promise<void>;
  /** Closes the persistence's connections (called after the broker closed, Redis only). */
  destroy(): Promise<void>;
}

export type AedesBroker = Aedes & { persistence: AedesPersistenceLike };

/** DI token of the aedes broker instance. */
export const AEDES_BROKER = Symbol('AEDES_BROKER');
