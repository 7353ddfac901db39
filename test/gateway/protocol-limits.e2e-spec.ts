/**
 * Protocol hardening of the gateway (issue 9, defects 3, 6 and 10; SPEC 3 "Limits"), with raw packets that
 * a client library would not send: announced sizes over MQTT_MAX_PACKET_SIZE or over 64 KiB before the
 * CONNECT is authenticated close the connection as soon as the fixed header arrived (on TCP, TLS and
 * WebSocket), ill-formed UTF-8 closes it [MQTT-1.5.3-1], every such close is logged with its reason, and
 * usernames that SPEC 1.3 forbids get CONNACK 4 without a question to admin-api.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { MqttClient } from 'mqtt';
import { IdentityClient } from '../../apps/broker-gateway/src/transport/identity-client.service';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  connectClient,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import {
  RawClient,
  connectPacket,
  publishPacket,
  remainingLength,
  subscribePacket,
} from '../support/gateway/raw-mqtt';

jest.setTimeout(30_000);

const ADMIN = { username: ADMIN_USERNAME, password: ADMIN_PASSWORD };
/** Bytes that are not UTF-8: a lone continuation byte and an overlong encoding of '/'. */
const NOT_UTF8 = Buffer.from([0x61, 0x2f, 0x80, 0x2f, 0xc0, 0xaf]);

describe('broker gateway: packet limits and well-formed strings (SPEC 3)', () => {
  let stack: GatewayStack;
  let endpoints: Endpoint[];
  let tcp: Endpoint;
  let witness: MqttClient;
  let inbox: Inbox;
  let warnings: string[];

  beforeAll(async () => {
    stack = await startGatewayStack();
    const ca = await readFile(join(stack.dataDir, 'tls', 'broker-gateway.crt'));
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    endpoints = [
      tcp,
      { kind: 'tls', port: stack.gateway.ports.tls as number, ca },
      { kind: 'ws', port: stack.gateway.ports.ws as number },
    ];
    witness = await connectClient(tcp, ADMIN);
    inbox = new Inbox(witness);
    expect(await subscribeCodes(witness, ['#'], 1)).toEqual([1]);
  }, 60_000);

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await witness?.endAsync(true);
    await stack?.close();
  });

  const header = (first: number, announced: number): Buffer =>
    Buffer.concat([Buffer.from([first]), remainingLength(announced)]);

  /** Waits (up to 3 s) for the warning that names why the gateway closed a connection. */
  const loggedClose = async (what: RegExp): Promise<void> => {
    const found = (): string[] => warnings.filter((w) => /closing/.test(w) && what.test(w));
    for (let waited = 0; found().length === 0 && waited < 3000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(found()).not.toEqual([]);
  };

  /** A raw client that has logged in as the admin (CONNACK 0). */
  const loggedIn = async (e: Endpoint): Promise<RawClient> => {
    const c = await RawClient.to(e);
    await c.write(connectPacket({ clientId: `raw-${Math.random()}`, ...ADMIN }));
    expect(await c.connack()).toEqual({ returnCode: 0, sessionPresent: false });
    return c;
  };

  describe.each(['tcp', 'tls', 'ws'])('on the %s listener', (kind) => {
    const e = (): Endpoint => endpoints.find((x) => x.kind === kind) as Endpoint;

    it('closes a CONNECT announcing 268,435,455 bytes as soon as its header arrived', async () => {
      const c = await RawClient.to(e());
      await c.write(Buffer.concat([header(0x10, 268_435_455), Buffer.alloc(1024, 0x41)]));
      await c.closed(3000);
      await loggedClose(
        /connection from (::ffff:)?127\.0\.0\.1: connect of 268435460 bytes announced, more than 65536 before the CONNECT/,
      );
    });

    it('closes a CONNECT announcing more than 64 KiB before authentication', async () => {
      const c = await RawClient.to(e());
      await c.write(Buffer.concat([header(0x10, 70_000), Buffer.alloc(100, 0x41)]));
      await c.closed(3000);
      await loggedClose(/more than 65536 before the CONNECT is authenticated/);
    });

    it('closes a logged-in client whose PUBLISH announces 30 MiB (MQTT_MAX_PACKET_SIZE 1 MiB) before its body', async () => {
      const c = await loggedIn(e());
      await c.write(Buffer.concat([header(0x30, 30 * 1024 * 1024), Buffer.alloc(512, 0x41)]));
      await c.closed(3000);
      await loggedClose(/publish of 31457285 bytes announced, more than MQTT_MAX_PACKET_SIZE 1048576/);
    });
  });

  it('closes a WebSocket whose first message is larger than 64 KiB before ws buffers it whole', async () => {
    const c = await RawClient.to({ kind: 'ws', port: stack.gateway.ports.ws as number });
    await c.write(Buffer.alloc(200 * 1024, 0x10));
    await c.closed(3000);
    await loggedClose(/Max payload size exceeded/);
  });

  it('after the CONNACK a WebSocket client may send packets up to MQTT_MAX_PACKET_SIZE (512 KiB delivered)', async () => {
    const ws = await connectClient({ kind: 'ws', port: stack.gateway.ports.ws as number }, ADMIN);
    await ws.publishAsync('limits/ws-large', Buffer.alloc(512 * 1024, 0x43), { qos: 1 });
    expect((await inbox.waitForTopic('limits/ws-large')).payload).toHaveLength(512 * 1024);
    await ws.endAsync();
  });

  it('does not deliver a 2 MiB PUBLISH and closes its sender; 1 MiB - 1 KiB passes', async () => {
    const sender = await connectClient(tcp, ADMIN);
    await sender.publishAsync('limits/small', Buffer.alloc(1024 * 1024 - 1024, 0x42), { qos: 1 });
    await inbox.waitForTopic('limits/small');
    const gone = new Promise<void>((r) => sender.once('close', () => r()));
    sender.publish('limits/big', Buffer.alloc(2 * 1024 * 1024, 0x42), { qos: 0 });
    await gone;
    sender.end(true);
    const other = await connectClient(tcp, ADMIN);
    expect(await receivedBeforeMarker(other, inbox, 'limits/marker')).not.toContain('limits/big');
    await other.endAsync();
  });

  it('closes the connection on a PUBLISH topic that is not UTF-8 and delivers nothing [MQTT-1.5.3-1]', async () => {
    const c = await loggedIn(tcp);
    inbox.messages.length = 0;
    await c.write(publishPacket(NOT_UTF8, 'x'));
    await c.closed(3000);
    await loggedClose(/publish holds a string that is not valid UTF-8/);
    const other = await connectClient(tcp, ADMIN);
    expect(await receivedBeforeMarker(other, inbox, 'limits/marker')).toEqual([]);
    await other.endAsync();
  });

  it('closes the connection on a SUBSCRIBE filter that is not UTF-8 [MQTT-1.5.3-1]', async () => {
    const c = await loggedIn(tcp);
    await c.write(subscribePacket(1, ['ok/#', NOT_UTF8]));
    await c.closed(3000);
    await loggedClose(/subscribe holds a string that is not valid UTF-8/);
  });

  it('closes the connection on a will topic that is not UTF-8, and the will never fires [MQTT-1.5.3-1]', async () => {
    const c = await RawClient.to(tcp);
    inbox.messages.length = 0;
    await c.write(connectPacket({ clientId: 'raw-will', ...ADMIN, will: { topic: NOT_UTF8, payload: 'w' } }));
    await c.closed(3000);
    expect(Buffer.concat(c.received)).toHaveLength(0); // no CONNACK
    await loggedClose(/connect holds a string that is not valid UTF-8/);
    const other = await connectClient(tcp, ADMIN);
    expect(await receivedBeforeMarker(other, inbox, 'limits/marker')).toEqual([]);
    await other.endAsync();
  });

  it('accepts well-formed UTF-8 topics, U+FFFD included', async () => {
    const c = await connectClient(tcp, ADMIN);
    await c.publishAsync('limits/äöü/\uFFFD/温度', 'ok', { qos: 1 });
    await inbox.waitForTopic('limits/äöü/\uFFFD/温度', 'ok');
    await c.endAsync();
  });

  it('logs why it closed a connection whose topic has more than 100 levels', async () => {
    const c = await loggedIn(tcp);
    await c.write(publishPacket(Array.from({ length: 150 }, () => 'l').join('/'), 'x'));
    await c.closed(3000);
    await loggedClose(/topic has too many levels/);
  });

  describe('usernames that SPEC 1.3 forbids (defect 10)', () => {
    it.each([
      ['a NUL byte', 'ali\u0000ce'],
      ['a space', 'alice smith'],
      ['a slash', 'devices/1'],
      ['too short', 'ab'],
      ['too long', 'a'.repeat(129)],
    ])('refuses a username with %s with CONNACK 4 without asking admin-api', async (_what, username) => {
      const identity = stack.gateway.app.get(IdentityClient);
      const asked = jest.spyOn(identity, 'authenticate');
      const c = await RawClient.to(tcp);
      await c.write(connectPacket({ clientId: `raw-${Math.random()}`, username, password: 'whatever-1' }));
      expect(await c.connack()).toEqual({ returnCode: 4, sessionPresent: false });
      await c.closed();
      expect(asked).not.toHaveBeenCalled();
    });

    it('still asks admin-api about a valid unknown username (the registry flow needs it)', async () => {
      const identity = stack.gateway.app.get(IdentityClient);
      const asked = jest.spyOn(identity, 'authenticate');
      const c = await RawClient.to(tcp);
      await c.write(
        connectPacket({
          clientId: `raw-${Math.random()}`,
          username: 'unknown-device-1',
          password: 'whatever-1',
        }),
      );
      expect((await c.connack()).returnCode).toBe(4);
      expect(asked).toHaveBeenCalledTimes(1);
      c.destroy();
    });
  });
});
