import { once } from 'node:events';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket, createWebSocketStream } from 'ws';
import { type Endpoint, withTimeout } from './mqtt-helpers';

/**
 * Hand-encoded MQTT 3.1.1 packets for the tests that must send what a well-behaved client library
 * refuses to: ill-formed UTF-8, a zero-length client id with clean session 0, announced lengths that
 * are never sent. Encoding per MQTT 3.1.1 §2.2 (fixed header) and §1.5.3 (strings).
 */
export function mqttString(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** The variable-length "remaining length" of the fixed header (1..4 bytes, at most 268,435,455). */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

export interface RawConnect {
  clientId: string | Buffer;
  clean?: boolean;
  username?: string | Buffer;
  password?: string;
  will?: { topic: string | Buffer; payload: string };
  keepalive?: number;
}

export function connectPacket(c: RawConnect): Buffer {
  let flags = c.clean === false ? 0 : 0x02;
  if (c.will) flags |= 0x04;
  if (c.username !== undefined) flags |= 0x80;
  if (c.password !== undefined) flags |= 0x40;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(c.keepalive ?? 30);
  const body = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([4, flags]),
    keepalive,
    mqttString(c.clientId),
    ...(c.will ? [mqttString(c.will.topic), mqttString(c.will.payload)] : []),
    ...(c.username !== undefined ? [mqttString(c.username)] : []),
    ...(c.password !== undefined ? [mqttString(c.password)] : []),
  ]);
  return packet(0x10, body);
}

export function publishPacket(topic: string | Buffer, payload: string | Buffer): Buffer {
  return packet(0x30, Buffer.concat([mqttString(topic), Buffer.from(payload)]));
}

export function subscribePacket(messageId: number, filters: (string | Buffer)[]): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  return packet(0x82, Buffer.concat([id, ...filters.flatMap((f) => [mqttString(f), Buffer.from([0])])]));
}

/** A raw connection (TCP, TLS or WebSocket) that records what the server sends and when it closes. */
export class RawClient {
  readonly received: Buffer[] = [];
  private closedAt: Promise<void>;

  private constructor(readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => this.received.push(d));
    socket.on('error', () => undefined);
    this.closedAt = once(socket, 'close').then(() => undefined);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect({ port, host });
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  /** A raw connection to any listener; WebSocket messages carry the bytes as written. */
  static async to(e: Endpoint): Promise<RawClient> {
    switch (e.kind) {
      case 'tcp':
        return RawClient.open(e.port);
      case 'tls': {
        const socket = tlsConnect({ port: e.port, host: '127.0.0.1', servername: 'localhost', ca: e.ca });
        await once(socket, 'secureConnect');
        return new RawClient(socket);
      }
      case 'ws': {
        const ws = new WebSocket(`ws://127.0.0.1:${e.port}/mqtt`, 'mqtt');
        await once(ws, 'open');
        const stream = createWebSocketStream(ws);
        ws.once('close', () => stream.destroy());
        return new RawClient(stream);
      }
    }
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Resolves with the CONNACK (return code, session present) once it arrived. */
  async connack(timeoutMs = 5000): Promise<{ returnCode: number; sessionPresent: boolean }> {
    const read = (): { returnCode: number; sessionPresent: boolean } | undefined => {
      const all = Buffer.concat(this.received);
      if (all.length >= 4 && all[0] === 0x20)
        return { sessionPresent: (all[2] & 1) === 1, returnCode: all[3] };
      return undefined;
    };
    return withTimeout(
      new Promise((resolve, reject) => {
        const check = (): void => {
          const c = read();
          if (c) {
            this.socket.off('data', check);
            resolve(c);
          }
        };
        this.socket.on('data', check);
        void this.closedAt.then(() => {
          const c = read();
          if (c) resolve(c);
          else reject(new Error('closed without CONNACK'));
        });
        check();
      }),
      timeoutMs,
      'a CONNACK',
    );
  }

  /** Resolves when the server closed the connection. */
  closed(timeoutMs = 5000): Promise<void> {
    return withTimeout(this.closedAt, timeoutMs, 'the server to close the connection');
  }

  /** Writes, ignoring errors (the server may have closed already). */
  write(data: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
