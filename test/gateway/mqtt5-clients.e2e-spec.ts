/**
 * Issue 11 "MQTT 5" (ADR 0105): the gateway runs aedes 1.x, which serves MQTT 3.1.1 and 3.1 only. An MQTT 5
 * CONNECT gets the MQTT 5 CONNACK 0x84 (unsupported protocol version) that a v5 client can decode, the
 * connection is closed, a log line names the problem, nothing is asked of admin-api (no failed login is
 * counted), and the gateway goes on serving 3.1.1 and 3.1 clients. Real `mqtt` clients and raw sockets
 * against the real gateway.
 */
import { Logger } from '@nestjs/common';
import { type IClientOptions, connect } from 'mqtt';
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  clientId,
  connackCode,
  connectClient,
  subscribeCodes,
  urlOf,
  withTimeout,
} from '../support/gateway/mqtt-helpers';
import { RawClient, mqttString, remainingLength } from '../support/gateway/raw-mqtt';
import { parsePrometheusText } from '../support/prometheus-text';

jest.setTimeout(30_000);

const USERNAME = 'v5-device';
const PASSWORD = 'V5-device-password-1';
const DEVICE = { username: USERNAME, password: PASSWORD };

/** An MQTT 5 CONNECT (protocol level 5, clean start, no properties) with username and password. */
function connectPacketV5(id: string, username: string, password: string): Buffer {
  const keepalive = Buffer.from([0x00, 0x1e]);
  const body = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([5, 0x02 | 0x80 | 0x40]),
    keepalive,
    Buffer.from([0x00]), // property length 0
    mqttString(id),
    mqttString(username),
    mqttString(password),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** What a real mqtt.js v5 client sees: the CONNACK reason code in the error, and whether it got 'connect'. */
async function v5Connect(e: Endpoint, opts: IClientOptions): Promise<{ code: unknown; connected: boolean }> {
  const client = connect(urlOf(e), {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    clientId: clientId('v5'),
    ...opts,
  });
  let connected = false;
  const errors: { code?: unknown }[] = [];
  client.on('connect', () => (connected = true));
  client.on('error', (err) => errors.push(err as { code?: unknown }));
  // not events.once: it rejects on the 'error' that carries the CONNACK refusal
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await withTimeout(closed, 8000, 'the v5 client to be closed');
  client.end(true);
  const err = errors[0];
  return { code: err?.code, connected };
}

describe('broker gateway: MQTT 5 clients are refused with CONNACK 0x84, 3.1.1 and 3.1 clients served (ADR 0105)', () => {
  let stack: GatewayStack;
  let tcp: Endpoint;
  let ws: Endpoint;
  let warnings: string[];

  beforeAll(async () => {
    stack = await startGatewayStack();
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    ws = { kind: 'ws', port: stack.gateway.ports.ws as number };
    await stack.rest.createUser({
      ...DEVICE,
      permissions: [
        { context: 'mqtt', resource: 'v5test/#', operation: 'readWrite' },
        { context: 'mqtt', resource: 'v5test/secret', operation: 'read', effect: 'deny' },
      ],
    });
  }, 60_000);

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  const loggedRefusal = async (): Promise<string[]> => {
    const found = (): string[] =>
      warnings.filter((w) => /CONNACK 0x84 \(unsupported protocol version\)/.test(w) && /MQTT 5/.test(w));
    for (let waited = 0; found().length === 0 && waited < 3000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    return found();
  };

  it('[MQTT-3.1.2-2] answers a raw v5 CONNECT with the MQTT 5 CONNACK 20 03 00 84 00 and closes the connection', async () => {
    const c = await RawClient.open(tcp.port);
    await c.write(connectPacketV5('raw-v5-client', USERNAME, PASSWORD));
    await c.closed(3000);
    expect(Buffer.concat(c.received).toString('hex')).toBe('2003008400');
    const lines = await loggedRefusal();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"raw-v5-client"');
    expect(lines[0]).toMatch(/serves MQTT 3\.1\.1 and 3\.1/);
    expect(lines[0]).not.toContain(PASSWORD);
  });

  it.each(['tcp', 'ws'] as const)(
    'a real mqtt.js v5 client on %s gets reason code 132 and never connects, even with valid credentials',
    async (kind) => {
      const result = await v5Connect(kind === 'tcp' ? tcp : ws, DEVICE);
      expect(result).toEqual({ code: 132, connected: false });
      expect(await loggedRefusal()).toHaveLength(1);
    },
  );

  it('refuses v5 before authentication: twelve v5 CONNECTs with a wrong password count no failed login', async () => {
    for (let i = 0; i < 12; i++) {
      const result = await v5Connect(tcp, { username: USERNAME, password: 'wrong-password' });
      expect(result.code).toBe(132);
    }
    // LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS is 10: had they reached authentication, this would be CONNACK 5
    expect(await connackCode(tcp, DEVICE)).toBe(0);
    expect(await connackCode(tcp, { username: USERNAME, password: 'wrong-password' })).toBe(4);
  });

  it('counts the refusal as unacceptable_protocol_version in gatehouse_mqtt_connect_total', async () => {
    const scrape = async (): Promise<number> => {
      const res = await fetch(`${stack.gateway.localHttpUrl}/metrics`);
      const text = await res.text();
      return parsePrometheusText(text).value('gatehouse_mqtt_connect_total', {
        result: 'unacceptable_protocol_version',
      });
    };
    const before = await scrape();
    expect((await v5Connect(tcp, DEVICE)).code).toBe(132);
    expect(await scrape()).toBe(before + 1);
  });

  it('keeps serving MQTT 3.1.1 clients after v5 refusals: subscribe, refused filter 0x80, publish, deliver', async () => {
    expect((await v5Connect(tcp, DEVICE)).code).toBe(132);
    const sub = await connectClient(tcp, { ...DEVICE, protocolVersion: 4 });
    const pub = await connectClient(ws, { ...DEVICE, protocolVersion: 4 });
    try {
      const inbox = new Inbox(sub);
      expect(await subscribeCodes(sub, ['v5test/+', 'v5test/secret'], 1)).toEqual([1, 0x80]);
      await pub.publishAsync('v5test/after', 'still served', { qos: 1 });
      expect((await inbox.waitForTopic('v5test/after')).payload).toBe('still served');
    } finally {
      await sub.endAsync();
      await pub.endAsync();
    }
  });

  it('serves MQTT 3.1 clients (protocol level 3, MQIsdp) with the same rules', async () => {
    const v31: IClientOptions = {
      ...DEVICE,
      protocolVersion: 3,
      protocolId: 'MQIsdp',
      clientId: 'v31-client',
    };
    const sub = await connectClient(tcp, v31);
    const pub = await connectClient(tcp, { ...v31, clientId: 'v31-publisher' });
    try {
      const inbox = new Inbox(sub);
      expect(await subscribeCodes(sub, ['v5test/#', 'v5test/secret'], 1)).toEqual([1, 0x80]);
      await pub.publishAsync('v5test/v31', 'three one', { qos: 1 });
      expect((await inbox.waitForTopic('v5test/v31')).payload).toBe('three one');
      // a publish outside the permissions still closes the 3.1 client (MQTT_DENY_ACTION=disconnect)
      const gone = new Promise<void>((resolve) => pub.once('close', () => resolve()));
      pub.publish('other/topic', 'refused', { qos: 1 });
      await withTimeout(gone, 5000, 'the 3.1 publisher to be disconnected');
    } finally {
      await sub.endAsync();
      pub.end(true);
    }
  });

  it('a 3.1 CONNECT with bad credentials still gets the 3.1.1 return code 4', async () => {
    expect(
      await connackCode(tcp, {
        username: USERNAME,
        password: 'nope-nope',
        protocolVersion: 3,
        protocolId: 'MQIsdp',
      }),
    ).toBe(4);
  });
});
