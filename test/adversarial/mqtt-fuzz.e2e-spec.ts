// MQTT fuzz suite (issue 9, adversarial suites): at least 100,000 packets from fast-check generators
// (valid CONNECT / PUBLISH / SUBSCRIBE / … built with mqtt-packet, then mutated, truncated, with wrong
// remaining lengths and protocol levels, oversize headers, invalid UTF-8, 65,535-byte and 10,000-level
// topics), CONNECT floods and half-open sockets, over raw loopback TCP against a running gateway
// (in-process admin-api + gateway). Asserts: the process never sees an uncaught exception or an
// unhandled rejection, the heap returns to within 10 % of its baseline after a full GC, and a
// legitimate client keeps completing QoS 1 round trips throughout.
// MQTT_FUZZ_PACKETS (default 100,000) and FUZZ_SEED change the volume and the seed.
import 'reflect-metadata';
import { type Socket, connect as tcpConnect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { type Endpoint, Inbox, connectClient, retainedTopics } from '../support/gateway/mqtt-helpers';
import {
  type Credentials,
  INVALID_UTF8,
  MARK,
  type Mutation,
  type Wire,
  connectMutation,
  publishWithBytes,
  connectPacket,
  encode,
  mutation,
  publishOf,
  sessionPacket,
} from './mqtt-fuzz-packets';

const TARGET = Number(process.env.MQTT_FUZZ_PACKETS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20260909);
const CONCURRENCY = 16;
const PACKETS_PER_SESSION = 60;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function fullGc(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a raw TCP connection; resolves once connected (or failed: the fuzz counts it and goes on). */
function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
    s.on('error', () => undefined);
  });
}
/** The first bytes the server sends (a CONNACK), or undefined after `ms` or on close. */
function firstData(s: Socket, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => done(undefined), ms);
    const done = (b: Buffer | undefined) => {
      clearTimeout(t);
      s.off('data', onData);
      s.off('close', onClose);
      resolve(b);
    };
    const onData = (b: Buffer) => done(b);
    const onClose = () => done(undefined);
    s.on('data', onData);
    s.once('close', onClose);
  });
}
function write(s: Socket, b: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    s.write(b, () => resolve());
  });
}
function closeSoon(s: Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    const t = setTimeout(() => s.destroy(), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    s.end();
  });
}

function safeEncode(p: Wire): Buffer | undefined {
  try {
    return encode(p);
  } catch {
    return undefined;
  }
}

type Plan =
  | { kind: 'session'; connect: Wire; packets: [Wire, Mutation][] }
  | { kind: 'bad-connect'; connect: Wire; mutation: Mutation; packets: Wire[] }
  | { kind: 'raw'; bytes: Uint8Array[] };

function plans(creds: Credentials): fc.Arbitrary<Plan> {
  const mostlyClean = fc.oneof(
    { weight: 9, arbitrary: fc.constant<Mutation>({ name: 'none', apply: (b) => b }) },
    { weight: 1, arbitrary: mutation },
  );
  return fc.oneof(
    {
      weight: 14,
      arbitrary: fc
        .record({
          connect: connectPacket(creds),
          packets: fc.array(fc.tuple(sessionPacket, mostlyClean), {
            minLength: PACKETS_PER_SESSION,
            maxLength: PACKETS_PER_SESSION,
          }),
        })
        .map((p) => ({ kind: 'session' as const, ...p })),
    },
    {
      weight: 5,
      arbitrary: fc
        .record({
          connect: connectPacket(creds),
          mutation: connectMutation,
          packets: fc.array(sessionPacket, { maxLength: 5 }),
        })
        .map((p) => ({ kind: 'bad-connect' as const, ...p })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 10 })
        .map((bytes) => ({ kind: 'raw' as const, bytes })),
    },
  );
}

describe('MQTT fuzz against the gateway (issue 9)', () => {
  let stack: GatewayStack;
  let port: number;
  let legit: MqttClient;
  let inbox: Inbox;
  let watcher: MqttClient | undefined;
  const badDeliveries: string[] = [];
  const watched = { messages: 0, maxPayload: 0 };
  const fuzzer: Credentials = { username: 'fuzzer', password: 'Fuzzer-password-7731' };
  const crashes: string[] = [];
  const onUncaught = (err: unknown) => crashes.push(`uncaughtException: ${String(err)}`);
  const onRejection = (err: unknown) => crashes.push(`unhandledRejection: ${String(err)}`);
  const roundTrips = { ok: 0, failed: [] as string[], maxMs: 0 };
  let stopLegit = false;
  let legitLoop: Promise<void> = Promise.resolve();
  const sent = { packets: 0, connections: 0, byMutation: new Map<string, number>() };

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
    stack = await startGatewayStack({ gatewayEnv: { LOG_LEVEL: 'fatal' } });
    port = stack.gateway.ports.mqtt;
    await stack.rest.createUser({
      username: fuzzer.username,
      password: fuzzer.password,
      permissions: [{ context: 'mqtt', resource: '#', operation: 'readWrite' }],
    });
    await stack.rest.createUser({
      username: 'legit',
      password: 'Legit-password-5519',
      permissions: [{ context: 'mqtt', resource: 'legit/#', operation: 'readWrite' }],
    });
    const endpoint: Endpoint = { kind: 'tcp', port };
    legit = await connectClient(endpoint, {
      username: 'legit',
      password: 'Legit-password-5519',
      clientId: 'legit-client',
      keepalive: 10,
    });
    inbox = new Inbox(legit);
    await legit.subscribeAsync('legit/echo', { qos: 1 });
    // An observer of every delivery: what the broker forwards must be valid MQTT (SPEC 3, MQTT-1.5.3):
    // topics valid UTF-8 without NUL (the generators never produce U+FFFD themselves, so one in a
    // received topic is an invalid byte sequence the broker passed on), packets within the 1 MiB limit.
    watcher = await connectClient(endpoint, {
      username: fuzzer.username,
      password: fuzzer.password,
      clientId: 'fuzz-watcher',
    });
    watcher.on('message', (topic, payload) => {
      watched.messages++;
      watched.maxPayload = Math.max(watched.maxPayload, payload.length);
      if (topic.includes('\ufffd') || topic.includes('\u0000'))
        badDeliveries.push(
          `topic not valid UTF-8 / with NUL delivered: ${JSON.stringify(topic.slice(0, 60))}`,
        );
      if (payload.length > 1024 * 1024)
        badDeliveries.push(`${payload.length}-byte PUBLISH on ${topic.slice(0, 40)} delivered (limit 1 MiB)`);
    });
    await watcher.subscribeAsync('#', { qos: 0 });
  }, 60_000);

  afterAll(async () => {
    stopLegit = true;
    await legitLoop;
    await legit?.endAsync(true).catch(() => undefined);
    await watcher?.endAsync(true).catch(() => undefined);
    await stack?.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  });

  /** A QoS 1 publish to itself every 100 ms; each must come back within 5 s. */
  function startLegitTraffic(): void {
    let n = 0;
    legitLoop = (async () => {
      while (!stopLegit) {
        const payload = `rt-${++n}`;
        const started = Date.now();
        try {
          await legit.publishAsync('legit/echo', payload, { qos: 1 });
          await inbox.waitForTopic('legit/echo', payload, 5_000);
          roundTrips.ok++;
          roundTrips.maxMs = Math.max(roundTrips.maxMs, Date.now() - started);
        } catch (err) {
          roundTrips.failed.push(`${payload} at +${Date.now() - started} ms: ${String(err).slice(0, 120)}`);
        }
        inbox.messages.length = 0;
        await sleep(100);
      }
    })();
  }

  const count = (name: string, n = 1) => {
    sent.packets += n;
    sent.byMutation.set(name, (sent.byMutation.get(name) ?? 0) + n);
  };

  async function runPlan(plan: Plan, halfOpen: Socket[]): Promise<void> {
    const s = await open(port);
    sent.connections++;
    if (!s) return;
    try {
      if (plan.kind === 'raw') {
        for (const b of plan.bytes) {
          await write(s, Buffer.from(b));
          count('raw bytes');
        }
      } else if (plan.kind === 'bad-connect') {
        const c = safeEncode(plan.connect);
        if (c) {
          await write(s, plan.mutation.apply(c));
          count(`connect: ${plan.mutation.name}`);
        }
        for (const p of plan.packets) {
          const b = safeEncode(p);
          if (b) {
            await write(s, b);
            count('after bad connect');
          }
        }
        // Some of them stay half-open until the end of the run.
        if (halfOpen.length < 200 && sent.connections % 7 === 0) {
          halfOpen.push(s);
          return;
        }
      } else {
        const c = safeEncode(plan.connect);
        if (!c) return;
        const reply = firstData(s, 3_000);
        await write(s, c);
        count('connect');
        const connack = await reply;
        if (!connack || connack[0] !== 0x20 || connack[3] !== 0) return;
        for (let i = 0; i < plan.packets.length && !s.destroyed; i += 10) {
          const chunk: Buffer[] = [];
          for (const [p, m] of plan.packets.slice(i, i + 10)) {
            const b = safeEncode(p);
            if (!b) continue;
            chunk.push(m.apply(b));
            count(m.name === 'none' ? p.cmd : `${p.cmd}: ${m.name}`);
          }
          await write(s, Buffer.concat(chunk));
        }
      }
    } finally {
      if (!halfOpen.includes(s)) await closeSoon(s, 200);
    }
  }

  /** Pre-authentication and oversize cases, each once per run. */
  async function specialCases(halfOpen: Socket[]): Promise<void> {
    // A CONNECT announcing 268,435,455 bytes, then 4 MiB streamed (SPEC: limit before login).
    {
      const s = await open(port);
      if (s) {
        await write(s, Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
        const mib = Buffer.alloc(1024 * 1024, 0x61);
        for (let i = 0; i < 4 && !s.destroyed; i++) await write(s, mib);
        count('connect announcing 268,435,455 bytes + 4 MiB', 1);
        await closeSoon(s, 500);
      }
    }
    // After login: a 65,535-byte topic, a 10,000-level topic, a 3 MiB PUBLISH.
    for (const [name, packet] of [
      ['publish: 65,535-byte topic', publishOf('f'.repeat(65_535), 1)],
      ['publish: 10,000-level topic', publishOf('a/'.repeat(9_999) + 'a', 1)],
      [
        'subscribe: 10,000-level filter',
        encode({
          cmd: 'subscribe',
          messageId: 2,
          subscriptions: [{ topic: 'a/'.repeat(9_999) + '#', qos: 1 }],
        }),
      ],
      [
        'publish: 3 MiB payload',
        encode({
          cmd: 'publish',
          topic: 'fuzz/big',
          payload: Buffer.alloc(3 * 1024 * 1024),
          qos: 0,
          retain: false,
          dup: false,
        }),
      ],
      ...INVALID_UTF8.map(
        (bytes) =>
          [
            `publish: topic with bytes ${Buffer.from(bytes).toString('hex')}`,
            publishWithBytes(`fuzz/${MARK}`, bytes),
          ] as const,
      ),
    ] as const) {
      const s = await open(port);
      if (!s) continue;
      const reply = firstData(s, 3_000);
      await write(
        s,
        encode({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: 'fuzz-special',
          clean: true,
          keepalive: 30,
          username: fuzzer.username,
          password: Buffer.from(fuzzer.password),
        }),
      );
      await reply;
      await write(s, packet);
      count(name);
      await closeSoon(s, 500);
    }
    // Half-open: TCP connections that never send a byte, and some that stop inside a fixed header.
    for (let i = 0; i < 100; i++) {
      const s = await open(port);
      if (!s) continue;
      if (i % 2) {
        await write(s, Buffer.from([0x10, 0x80]));
        count('half-open inside the fixed header');
      }
      halfOpen.push(s);
    }
    // CONNECT flood: 300 connections at once, each a valid CONNECT, kept open, then dropped.
    const flood = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const s = await open(port);
        if (!s) return undefined;
        await write(
          s,
          encode({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId: `flood-${i}`,
            clean: true,
            keepalive: 0,
            username: fuzzer.username,
            password: Buffer.from(fuzzer.password),
          }),
        );
        count('connect flood');
        return s;
      }),
    );
    await sleep(500);
    for (const s of flood) s?.destroy();
  }

  /**
   * Forget the state the fuzz legitimately left (sessions stored for the client ids it used with
   * clean=false, retained messages): state, not a leak, and it would make the memory figure meaningless.
   */
  async function wipeStoredState(): Promise<void> {
    for (const topic of await retainedTopics(stack.broker))
      await new Promise<void>((resolve) =>
        stack.broker.publish(
          { cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: true, dup: false },
          () => resolve(),
        ),
      );
    const ids = ['', 'fuzz-shared', 'QZQZ', ...Array.from({ length: 41 }, (_, n) => `fuzz-${n}`)];
    await Promise.all(
      ids.filter(Boolean).map(async (clientId) => {
        const s = await open(port);
        if (!s) return;
        const reply = firstData(s, 3_000);
        await write(
          s,
          encode({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId,
            clean: true,
            keepalive: 0,
            username: fuzzer.username,
            password: Buffer.from(fuzzer.password),
          }),
        );
        await reply;
        await write(s, encode({ cmd: 'disconnect' }));
        await closeSoon(s, 500);
      }),
    );
  }

  async function fuzz(budget: number, seed: number): Promise<void> {
    const halfOpen: Socket[] = [];
    const target = sent.packets + budget;
    const gen = plans(fuzzer);
    let round = 0;
    await specialCases(halfOpen);
    while (sent.packets < target) {
      const batch = fc.sample(gen, { numRuns: CONCURRENCY, seed: seed + round++ });
      await Promise.all(batch.map((p) => runPlan(p, halfOpen)));
    }
    await sleep(300);
    for (const s of halfOpen) s.destroy();
    await sleep(300);
    await wipeStoredState();
  }

  it(`survives ${TARGET.toLocaleString('en')} fuzzed packets with flat memory and a working legitimate client`, async () => {
    // Warm-up (code paths, JIT, caches), then the baseline.
    await fuzz(2_000, SEED - 1);
    const baseline = await fullGc();
    startLegitTraffic();
    const started = Date.now();
    await fuzz(TARGET, SEED);
    const seconds = (Date.now() - started) / 1000;
    await sleep(1_000);
    stopLegit = true;
    await legitLoop;
    const after = await fullGc();
    const growth = (after - baseline) / baseline;
    const top = [...sent.byMutation].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(
      [
        `MQTT fuzz: ${sent.packets.toLocaleString('en')} packets over ${sent.connections.toLocaleString('en')} connections in ${seconds.toFixed(1)} s`,
        `heap after full GC: baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %)`,
        `legitimate QoS 1 round trips: ${roundTrips.ok} ok, ${roundTrips.failed.length} failed, slowest ${roundTrips.maxMs} ms`,
        `observer: ${watched.messages} deliveries, largest payload ${watched.maxPayload} bytes, ${badDeliveries.length} invalid`,
        `most sent: ${top.map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ].join('\n'),
    );
    // The gateway still accepts a new client after all that.
    const fresh = await connectClient(
      { kind: 'tcp', port },
      { username: 'legit', password: 'Legit-password-5519' },
    );
    await fresh.endAsync();
    expect(crashes).toEqual([]);
    expect([...new Set(badDeliveries)]).toEqual([]);
    expect(sent.packets).toBeGreaterThanOrEqual(TARGET);
    expect(roundTrips.failed).toEqual([]);
    expect(roundTrips.ok).toBeGreaterThan(seconds * 2);
    expect(growth).toBeLessThanOrEqual(0.1);
  }, 600_000);
});
