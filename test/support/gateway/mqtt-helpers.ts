import { type EventEmitter, once } from 'node:events';
import { type IClientOptions, type MqttClient, connect } from 'mqtt';
import type { Aedes, Client as AedesClient } from 'aedes';

export type MqttTransportKind = 'tcp' | 'ws' | 'tls';

export interface Endpoint {
  kind: MqttTransportKind;
  port: number;
  /** CA for the TLS listener (the generated server certificate). */
  ca?: Buffer;
}

export function urlOf(e: Endpoint): string {
  switch (e.kind) {
    case 'tcp':
      return `mqtt://127.0.0.1:${e.port}`;
    case 'ws':
      return `ws://127.0.0.1:${e.port}/mqtt`;
    case 'tls':
      return `mqtts://localhost:${e.port}`;
  }
}

let seq = 0;
/** A client id unique within the test run. */
export function clientId(prefix = 'c'): string {
  seq++;
  return `${prefix}-${process.pid}-${seq}`;
}

const base: IClientOptions = {
  protocolVersion: 4,
  reconnectPeriod: 0,
  connectTimeout: 10_000,
  keepalive: 30,
};

/** Connects and resolves on CONNACK 0; rejects with the CONNACK return code in `code` otherwise. */
export async function connectClient(e: Endpoint, opts: IClientOptions): Promise<MqttClient> {
  const client = connect(urlOf(e), { ...base, clientId: clientId(), ...(e.ca ? { ca: e.ca } : {}), ...opts });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
  } catch (err) {
    client.end(true);
    throw err;
  }
  // Later protocol-level errors (e.g. the server closing the socket) are observed through 'close'.
  client.on('error', () => undefined);
  return client;
}

/** The CONNACK return code of a CONNECT (0 = accepted; the client is closed again either way). */
export async function connackCode(e: Endpoint, opts: IClientOptions): Promise<number> {
  try {
    const c = await connectClient(e, opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Records every message a client receives and lets a test await one. */
export class Inbox {
  readonly messages: Received[] = [];
  private waiters: { pred: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const m = { topic, payload: payload.toString(), retain: packet.retain };
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  topics(): string[] {
    return this.messages.map((m) => m.topic);
  }

  /** Resolves with the first message (already received or future) matching `pred`. */
  waitFor(pred: (m: Received) => boolean, timeoutMs = 5000, what = 'a message'): Promise<Received> {
    const found = this.messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.topics())}`));
      }, timeoutMs);
      const done = (m: Received): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  waitForTopic(topic: string, payload?: string, timeoutMs?: number): Promise<Received> {
    return this.waitFor(
      (m) => m.topic === topic && (payload === undefined || m.payload === payload),
      timeoutMs,
      `${topic} ${payload ?? ''}`,
    );
  }
}

/** Resolves when the client's connection closes; rejects after `timeoutMs`. */
export async function closed(client: MqttClient, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  if (!client.connected) return 0;
  await withTimeout(once(client as unknown as EventEmitter, 'close'), timeoutMs, 'the connection to close');
  return Date.now() - started;
}

/** Resolves with the arguments of the first broker event `event` for which `pred` holds. */
export function brokerEvent<T extends unknown[]>(
  broker: Aedes,
  event: string,
  pred: (...args: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const emitter = broker as unknown as EventEmitter;
  return withTimeout(
    new Promise<T>((resolve) => {
      const listener = (...args: unknown[]): void => {
        if (!pred(...(args as T))) return;
        emitter.off(event, listener);
        resolve(args as T);
      };
      emitter.on(event, listener);
    }),
    timeoutMs,
    `broker event ${event}`,
  );
}

export function clientDisconnected(broker: Aedes, id: string, timeoutMs = 5000): Promise<unknown> {
  return brokerEvent<[AedesClient]>(broker, 'clientDisconnect', (c) => c.id === id, timeoutMs);
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** SUBSCRIBE in one packet; resolves with the SUBACK return codes (0x80 = refused), refusals included. */
export async function subscribeCodes(
  client: MqttClient,
  filters: string[],
  qos: 0 | 1 | 2 = 0,
): Promise<number[]> {
  try {
    const grants = await client.subscribeAsync(filters, { qos });
    return grants.map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (Array.isArray(granted)) return granted;
    throw err;
  }
}

/** The topics of the retained messages the broker holds under `pattern` (read from its persistence). */
export async function retainedTopics(broker: Aedes, pattern = '#'): Promise<string[]> {
  const persistence = (
    broker as unknown as {
      persistence: { createRetainedStream(p: string): AsyncIterable<{ topic: string }> };
    }
  ).persistence;
  const out: string[] = [];
  for await (const packet of persistence.createRetainedStream(pattern)) out.push(packet.topic);
  return out;
}

/**
 * Proves a negative without sleeping: publishes a marker that `inbox` is subscribed to and, once it
 * arrived, returns what arrived before it. Deliveries of one broker are ordered, so anything published
 * before the marker would have arrived first.
 */
export async function receivedBeforeMarker(
  publisher: MqttClient,
  inbox: Inbox,
  markerTopic: string,
): Promise<string[]> {
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await publisher.publishAsync(markerTopic, marker, { qos: 1 });
  await inbox.waitForTopic(markerTopic, marker);
  const idx = inbox.messages.findIndex((m) => m.topic === markerTopic && m.payload === marker);
  return inbox.messages.slice(0, idx).map((m) => m.topic);
}

/** Resolves at `atMs` (a `Date.now()` value), at once when that has passed. */
export async function sleepUntil(atMs: number): Promise<void> {
  const wait = atMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
