import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { type IClientOptions, MqttClient } from 'mqtt';

/**
 * Clients bound to a chosen loopback source address (127.0.0.0/8 is all loopback on Linux), so that a
 * test can act from several "client addresses" against one server (SPEC 2.1: limits per address).
 * supertest cannot bind the local address; these helpers can.
 */

export interface JsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** POSTs JSON to `url` from `localAddress` and answers status, headers and the parsed body. */
export function postJsonFrom(localAddress: string, url: string, body: unknown): Promise<JsonAnswer> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** `POST /api/login` from `localAddress`. */
export function loginFrom(
  localAddress: string,
  baseUrl: string,
  username: string,
  password: string,
): Promise<JsonAnswer> {
  return postJsonFrom(localAddress, `${baseUrl}/api/login`, { username, password });
}

let seq = 0;

/**
 * An MQTT 3.1.1 CONNECT to 127.0.0.1:`port` from `localAddress`; answers the CONNACK return code
 * (0 accepted; the client is closed again either way).
 */
export async function connackFrom(
  localAddress: string,
  port: number,
  opts: Pick<IClientOptions, 'username' | 'password'>,
): Promise<number> {
  seq++;
  const client = new MqttClient(() => netConnect({ host: '127.0.0.1', port, localAddress }), {
    protocolVersion: 4,
    protocol: 'mqtt',
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    keepalive: 30,
    clientId: `loopback-${process.pid}-${seq}`,
    ...opts,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
    await client.endAsync();
    return 0;
  } catch (err) {
    client.end(true);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}
