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
 *   storm     {url, clients: Cred[], retryMs, deadlineMs, batch?}→ storm {results: StormResult[]}
 *   disconnect {}                                                → disconnected {}
 *   exit      {}
 */
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

function storm(url: string, creds: Cred[], retryMs: number, deadlineMs: number, batch: number): void {
  const results: StormResult[] = creds.map(() => ({
    connackMs: Number.NaN,
    acceptedAtMs: Number.NaN,
    attempts: 0,
    refusals: {},
  }));
  const t0 = now();
  let pending = creds.length;
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
    const client = mqtt.connect(
      url,
      baseOptions(creds[i], { connectTimeout: Math.max(1000, deadlineMs - (now() - t0)) }),
    );
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      r.refusals[reason] = (r.refusals[reason] ?? 0) + 1;
      client.end(true);
      if (!finished) setTimeout(() => attempt(i, firstAt), retryMs);
    };
    client.once('connect', () => {
      if (settled) return;
      settled = true;
      client.on('error', () => undefined);
      r.acceptedAtMs = now();
      r.connackMs = r.acceptedAtMs - firstAt;
      clients.push(client);
      if (--pending === 0) {
        clearTimeout(deadline);
        finish();
      }
    });
    client.on('error', (err: Error & { code?: number | string }) =>
      fail(err.code !== undefined ? `code ${err.code}` : err.message.slice(0, 40)),
    );
    client.once('close', () => fail('closed'));
  };
  // Start every client at once (in batches per tick so that the first ones do not wait for the last to be created).
  let i = 0;
  const launch = (): void => {
    const end = Math.min(creds.length, i + batch);
    for (; i < end; i++) attempt(i, now());
    if (i < creds.length) setImmediate(launch);
  };
  launch();
}

async function disconnectAll(): Promise<void> {
  await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(false, {}, () => r()))));
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
        storm(msg.url, msg.clients, msg.retryMs, msg.deadlineMs, msg.batch ?? 100);
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
