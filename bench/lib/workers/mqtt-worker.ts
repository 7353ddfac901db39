/**
 * The load generator: one process holding some MQTT clients (mqtt.js, MQTT 3.1.1), driven by its parent
 * over IPC. The same worker drives every broker under test (bare aedes, the Gatehouse gateway, Mosquitto).
 * Times are `process.hrtime` (CLOCK_MONOTONIC) in milliseconds, comparable across processes on one machine.
 *
 * Commands (parent → worker) and answers (worker → parent), all `{ type, … }`:
 *   connect   {url, clients: Cred[], concurrency?, keepalive?}   → connected {count, failures, errors}
 *   subscribe {topic, qos}                                       → subscribed {granted: number[]}
 *   arm       {expect}  reset the receive counters; when every client has `expect` messages → received {perClient}
 *   collect   {}                                                 → collected {perClient}
 *   publish   {topic, qos, count, payloadBytes, window}          → published {startMs, endMs, count}
 *   stream    {topic, qos, intervalMs}  publishes one message per interval from client 0 until stream-stop
 *   stream-stop {}                                               → stream-stopped {sent}
 *   storm     {url, clients: Cred[], retryMs, deadlineMs, batch?, generator?}→ storm {results: StormResult[]}
 *             generator 'mqtt.js' (default) or 'wire': a plain TCP socket that writes one encoded CONNECT
 *             and reads the CONNACK (mqtt:// only), so the load generator costs the machine little
 *   disconnect {}                                                → disconnected {}
 *   exit      {}
 */
import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Cred {
  /** Empty with a client certificate: the gateway takes the username from the certificate's CN. */
  username: string;
  password: string;
  clientId: string;
  /** PEM client key and certificate (mqtts:// URLs); the server certificate is not verified. */
  key?: string;
  cert?: string;
}

export interface ClientCounts {
  count: number;
  firstMs: number;
  lastMs: number;
}

export interface StormResult {
  /** First attempt → accepted CONNACK, ms (NaN when never accepted before the deadline). */
  connackMs: number;
  acceptedAtMs: number;
  attempts: number;
  /** Refusals and errors seen before the accepted CONNACK, by CONNACK code or error name. */
  refusals: Record<string, number>;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const send = (msg: object): void => {
  if (process.send) process.send(msg);
};

let clients: MqttClient[] = [];
let counts: ClientCounts[] = [];
let expect = 0;
let armed = false;
let streamTimer: NodeJS.Timeout | undefined;
let streamSent = 0;

function baseOptions(c: Cred, extra: Partial<IClientOptions> = {}): IClientOptions {
  return {
    ...(c.username ? { username: c.username } : {}),
    ...(c.password ? { password: c.password } : {}),
    ...(c.cert ? { key: c.key, cert: c.cert, rejectUnauthorized: false } : {}),
    clientId: c.clientId,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 600_000,
    keepalive: 600,
    ...extra,
  };
}

function connectOne(url: string, c: Cred, keepalive: number): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, baseOptions(c, { keepalive }));
    const onError = (err: Error): void => {
      client.end(true);
      reject(err);
    };
    client.once('error', onError);
    client.once('connect', () => {
      client.off('error', onError);
      client.on('error', () => undefined);
      resolve(client);
    });
  });
}

function attachCounter(client: MqttClient, i: number): void {
  counts[i] = { count: 0, firstMs: 0, lastMs: 0 };
  client.on('message', () => {
    const t = now();
    const c = counts[i];
    if (c.count === 0) c.firstMs = t;
    c.count++;
    c.lastMs = t;
    if (armed && c.count === expect && counts.every((x) => x.count >= expect)) {
      armed = false;
      send({ type: 'received', perClient: counts });
    }
  });
}

async function connectAll(url: string, creds: Cred[], concurrency: number, keepalive: number): Promise<void> {
  let next = 0;
  let failures = 0;
  const errors: string[] = [];
  const start = clients.length;
  const slots = Array.from({ length: Math.min(concurrency, creds.length) }, async () => {
    while (next < creds.length) {
      const i = next++;
      try {
        const client = await connectOne(url, creds[i], keepalive);
        clients[start + i] = client;
        attachCounter(client, start + i);
      } catch (err) {
        failures++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }
  });
  await Promise.all(slots);
  clients = clients.filter(Boolean);
  counts = counts.filter(Boolean);
  send({ type: 'connected', count: clients.length, failures, errors });
}

async function subscribeAll(topic: string, qos: 0 | 1): Promise<void> {
  const granted = await Promise.all(
    clients.map(
      (c) =>
        new Promise<number>((resolve) => {
          c.subscribe(topic, { qos }, (err, g) => resolve(err ? -1 : (g?.[0]?.qos ?? -1)));
        }),
    ),
  );
  send({ type: 'subscribed', granted });
}

async function publish(
  topic: string,
  qos: 0 | 1,
  count: number,
  payloadBytes: number,
  window: number,
): Promise<void> {
  const client = clients[0];
  const payload = Buffer.alloc(payloadBytes, 'x');
  let sent = 0;
  let done = 0;
  const startMs = now();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < count && sent - done < window) {
        sent++;
        client.publish(topic, payload, { qos }, () => {
          done++;
          if (done === count) resolve();
          else if (sent - done < window / 2) pump();
        });
      }
    };
    pump();
  });
  send({ type: 'published', startMs, endMs: now(), count });
}

/** One connection attempt: calls `accepted` once its CONNACK accepted it, or `failed` (once) otherwise. */
type Connector = (
  i: number,
  remainingMs: number,
  accepted: () => void,
  failed: (reason: string, cleanup: () => void) => void,
) => void;

/**
 * Starts every client at once (in batches per tick, so that the first ones do not wait for the last to be
 * created); a refused or failed attempt is retried after `retryMs` until `deadlineMs`. Answers `storm`.
 */
function runStorm(
  count: number,
  retryMs: number,
  deadlineMs: number,
  batch: number,
  connect: Connector,
): void {
  const results: StormResult[] = Array.from({ length: count }, () => ({
    connackMs: Number.NaN,
    acceptedAtMs: Number.NaN,
    attempts: 0,
    refusals: {},
  }));
  const t0 = now();
  let pending = count;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    send({ type: 'storm', startMs: t0, results });
  };
  const deadline = setTimeout(finish, deadlineMs);
  const attempt = (i: number, firstAt: number): void => {
    if (finished) return;
    const r = results[i];
    r.attempts++;
    let settled = false;
    connect(
      i,
      deadlineMs - (now() - t0),
      () => {
        if (settled) return;
        settled = true;
        r.acceptedAtMs = now();
        r.connackMs = r.acceptedAtMs - firstAt;
        if (--pending === 0) {
          clearTimeout(deadline);
          finish();
        }
      },
      (reason, cleanup) => {
        if (settled) return;
        settled = true;
        r.refusals[reason] = (r.refusals[reason] ?? 0) + 1;
        cleanup();
        if (!finished) setTimeout(() => attempt(i, firstAt), retryMs);
      },
    );
  };
  let i = 0;
  const launch = (): void => {
    const end = Math.min(count, i + batch);
    for (; i < end; i++) attempt(i, now());
    if (i < count) setImmediate(launch);
  };
  launch();
}

/** A storm of mqtt.js clients. */
function storm(url: string, creds: Cred[], retryMs: number, deadlineMs: number, batch: number): void {
  runStorm(creds.length, retryMs, deadlineMs, batch, (i, remainingMs, accepted, failed) => {
    const client = mqtt.connect(url, baseOptions(creds[i], { connectTimeout: Math.max(1000, remainingMs) }));
    const fail = (reason: string): void => failed(reason, () => client.end(true));
    client.once('connect', () => {
      client.on('error', () => undefined);
      clients.push(client);
      accepted();
    });
    client.on('error', (err: Error & { code?: number | string }) =>
      fail(err.code !== undefined ? `code ${err.code}` : err.message.slice(0, 40)),
    );
    client.once('close', () => fail('closed'));
  });
}

/** MQTT 3.1.1 CONNECT (clean session, username/password when given), encoded by hand. */
function encodeConnect(c: Cred, keepalive: number): Buffer {
  const str = (v: string): Buffer => {
    const b = Buffer.from(v, 'utf8');
    const out = Buffer.allocUnsafe(2 + b.length);
    out.writeUInt16BE(b.length, 0);
    b.copy(out, 2);
    return out;
  };
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, keepalive >> 8, keepalive & 0xff]);
  const parts = [header, str(c.clientId)];
  if (c.username) {
    header[7] |= 0x80;
    parts.push(str(c.username));
  }
  if (c.password) {
    header[7] |= 0x40;
    parts.push(str(c.password));
  }
  const body = Buffer.concat(parts);
  const length: number[] = [];
  let x = body.length;
  do {
    let digit = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) digit |= 0x80;
    length.push(digit);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

/** Open sockets of accepted wire-generator clients (ended by `disconnect`). */
let wireSockets: net.Socket[] = [];

/** {@link storm} with plain sockets: one CONNECT written, the 4-byte CONNACK read, nothing else. */
function wireStorm(url: string, creds: Cred[], retryMs: number, deadlineMs: number, batch: number): void {
  const { hostname, port } = new URL(url);
  const packets = creds.map((c) => encodeConnect(c, 600));
  runStorm(creds.length, retryMs, deadlineMs, batch, (i, _remainingMs, accepted, failed) => {
    let done = false;
    let received: Buffer = Buffer.alloc(0);
    const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
    const fail = (reason: string): void => {
      done = true;
      failed(reason, () => socket.destroy());
    };
    socket.once('connect', () => socket.write(packets[i]));
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      if (received[0] !== 0x20 || received[1] !== 2) return fail('not a CONNACK');
      if (received[3] !== 0) return fail(`code ${received[3]}`);
      done = true;
      wireSockets.push(socket);
      accepted();
    });
    socket.on('error', (err: Error & { code?: string }) => fail(err.code ?? err.message.slice(0, 40)));
    socket.once('close', () => {
      if (!done) fail('closed');
    });
  });
}

async function disconnectAll(): Promise<void> {
  await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(false, {}, () => r()))));
  await Promise.all(
    wireSockets.map(
      (socket) =>
        new Promise<void>((r) => {
          socket.once('close', () => r());
          socket.end(Buffer.from([0xe0, 0])); // DISCONNECT
        }),
    ),
  );
  wireSockets = [];
  clients = [];
  counts = [];
  send({ type: 'disconnected' });
}

interface Command {
  type: string;
  url: string;
  clients: Cred[];
  concurrency?: number;
  keepalive?: number;
  topic: string;
  qos: 0 | 1;
  expect: number;
  count: number;
  payloadBytes: number;
  window: number;
  intervalMs: number;
  retryMs: number;
  deadlineMs: number;
  batch?: number;
  generator?: 'mqtt.js' | 'wire';
}

process.on('message', (msg: Command) => {
  const run = async (): Promise<void> => {
    switch (msg.type) {
      case 'connect':
        return connectAll(msg.url, msg.clients, msg.concurrency ?? 50, msg.keepalive ?? 600);
      case 'subscribe':
        return subscribeAll(msg.topic, msg.qos);
      case 'arm':
        for (const c of counts) Object.assign(c, { count: 0, firstMs: 0, lastMs: 0 });
        expect = msg.expect;
        armed = true;
        send({ type: 'armed' });
        return;
      case 'collect':
        send({ type: 'collected', perClient: counts });
        return;
      case 'publish':
        return publish(msg.topic, msg.qos, msg.count, msg.payloadBytes, msg.window);
      case 'stream': {
        streamSent = 0;
        const payload = Buffer.alloc(msg.payloadBytes ?? 16, 'x');
        streamTimer = setInterval(() => {
          streamSent++;
          clients[0].publish(msg.topic, payload, { qos: msg.qos });
        }, msg.intervalMs);
        send({ type: 'streaming' });
        return;
      }
      case 'stream-stop':
        clearInterval(streamTimer);
        send({ type: 'stream-stopped', sent: streamSent });
        return;
      case 'storm':
        if (msg.generator === 'wire')
          wireStorm(msg.url, msg.clients, msg.retryMs, msg.deadlineMs, msg.batch ?? 100);
        else storm(msg.url, msg.clients, msg.retryMs, msg.deadlineMs, msg.batch ?? 100);
        return;
      case 'disconnect':
        return disconnectAll();
      case 'exit':
        for (const c of clients) c.end(true);
        process.exit(0);
        return;
      default:
        send({ type: 'error', message: `unknown command ${String(msg.type)}` });
    }
  };
  run().catch((err: Error) => send({ type: 'error', message: err.message }));
});
send({ type: 'worker-ready' });
