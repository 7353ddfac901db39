import { randomBytes } from 'node:crypto';
import { LogFields } from '@gatehouse/contracts';

/** The listener a connection came in on, as the start-up lines name its scheme. */
export type ListenerName = 'mqtt' | 'mqtts' | 'ws';

interface ConnectionInfo {
  /** Random, per connection: ties together every log line about one MQTT client (SPEC 6). */
  id: string;
  listener: ListenerName;
}

const connections = new WeakMap<object, ConnectionInfo>();

/** Gives an accepted connection its id and notes its listener (call when the connection is accepted). */
export function noteConnection(client: object, listener: ListenerName): string {
  const id = randomBytes(9).toString('base64url');
  connections.set(client, { id, listener });
  return id;
}

export function connectionOf(client: object | null | undefined): ConnectionInfo | undefined {
  return client ? connections.get(client) : undefined;
}

/**
 * The fields of a log line about a client: its `connectionId` (none for a will whose client is gone).
 * `logger.warn(message, clientFields(client))`.
 */
export function clientFields(client: object | null | undefined): LogFields {
  const info = connectionOf(client);
  return new LogFields(info ? { connectionId: info.id } : {});
}
