/**
 * Issue 4 "Done when" 2, 5 and 7: the MQTT registration flow, client-certificate login on the TLS
 * listener (mosquitto_pub --cert/--key/--cafile, no password), and live revocation of a certificate.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Client as AedesClient } from 'aedes';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  brokerEvent,
  closed,
  connackCode,
  connectClient,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import { type DeviceKey, opensslCsr, removeDir, run, tempDir } from './openssl';

jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any;

const PASSWORD = 'Device-passw0rd-1';

describe('client registry on the broker gateway (SPEC 3, 4)', () => {
  let stack: GatewayStack;
  let tcp: Endpoint;
  let tls: Endpoint;
  let token: string;
  let dir: string;
  let serverCaFile: string;
  let subscriber: MqttClient;
  let inbox: Inbox;
  const open: MqttClient[] = [];

  const api = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const pendingOf = async (username: string) =>
    (
      (await api('GET', '/api/client-registry/requests?state=pending')).body.items as {
        id: string;
        username: string;
        pairingId: string;
        attempts: number;
        source: string;
      }[]
    ).filter((r) => r.username === username);

  beforeAll(async () => {
    stack = await startGatewayStack();
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    serverCaFile = join(stack.dataDir, 'tls', 'broker-gateway.crt');
    tls = { kind: 'tls', port: stack.gateway.ports.tls as number, ca: await readFile(serverCaFile) };
    const login = await fetch(`${stack.admin.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    dir = await tempDir();
    subscriber = await connectClient(tcp, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    inbox = new Inbox(subscriber);
    await subscriber.subscribeAsync('plant/#', { qos: 1 });
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await subscriber?.endAsync(true);
    await stack?.close();
    await removeDir(dir);
  }, 30_000);

  describe('MQTT flow', () => {
    it('an unknown user while locked is bad credentials (CONNACK 4), and nothing is recorded', async () => {
      expect(await connackCode(tcp, { username: 'sensor-locked', password: PASSWORD })).toBe(4);
      expect(await pendingOf('sensor-locked')).toEqual([]);
    });

    it('unlocked: CONNACK 5 and ONE pending request after five attempts; the pairing ID is SHA-256(username, password)', async () => {
      expect((await api('POST', '/api/client-registry/unlock', {})).status).toBe(200);
      for (let i = 0; i < 5; i++)
        expect(
          await connackCode(tcp, { username: 'sensor-1', password: PASSWORD, clientId: 'sensor-1-client' }),
        ).toBe(5);
      const pending = await pendingOf('sensor-1');
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({
        source: 'mqtt',
        attempts: 5,
        clientId: 'sensor-1-client',
        hasPassword: true,
        hasCsr: false,
      });
      const expected = createHash('sha256')
        .update('sensor-1')
        .update('\u0000')
        .update(PASSWORD)
        .digest('hex')
        .slice(0, 6)
        .toUpperCase();
      expect(pending[0].pairingId).toBe(expected);
      // another password for the pending username is refused as bad credentials and changes nothing
      expect(await connackCode(tcp, { username: 'sensor-1', password: 'Other-passw0rd-2' })).toBe(4);
      expect((await pendingOf('sensor-1'))[0]).toMatchObject({ id: pending[0].id, attempts: 5 });
    });

    it('after the grant the same CONNECT succeeds, with no permissions until granted', async () => {
      const [r] = await pendingOf('sensor-1');
      expect((await api('POST', `/api/client-registry/requests/${r.id}/grant`, {})).status).toBe(200);
      const c = await connectClient(tcp, { username: 'sensor-1', password: PASSWORD });
      open.push(c);
      expect(await subscribeCodes(c, ['plant/#'])).toEqual([0x80]); // SUBACK 0x80: no read permission
    });

    it('a rejected MQTT request: the CONNECT is refused (CONNACK 4) and not recorded again while the rejection stands', async () => {
      expect(await connackCode(tcp, { username: 'sensor-2', password: PASSWORD })).toBe(5);
      const [r] = await pendingOf('sensor-2');
      expect((await api('POST', `/api/client-registry/requests/${r.id}/reject`, {})).status).toBe(200);
      expect(await connackCode(tcp, { username: 'sensor-2', password: PASSWORD })).toBe(4);
      expect(await pendingOf('sensor-2')).toEqual([]);
      await api('POST', '/api/client-registry/lock', {});
      expect(await connackCode(tcp, { username: 'sensor-2', password: PASSWORD })).toBe(4);
    });
  });

  describe('approval templates: one role with ${username} serves every approved device (README)', () => {
    it('two devices granted the same template role each reach their own topics and not each other’s', async () => {
      const role = await api('POST', '/api/roles', {
        name: 'device-template',
        permissions: [{ context: 'mqtt', resource: 'plant/dev/${username}/#', operation: 'readWrite' }],
      });
      expect(role.status).toBe(201);
      expect((await api('POST', '/api/client-registry/unlock', {})).status).toBe(200);
      for (const name of ['tpl-a', 'tpl-b']) {
        expect(await connackCode(tcp, { username: name, password: PASSWORD })).toBe(5);
        const [r] = await pendingOf(name);
        const granted = await api('POST', `/api/client-registry/requests/${r.id}/grant`, {
          roles: [role.body.id],
        });
        expect(granted.status).toBe(200);
        expect(granted.body.user.roles).toEqual([role.body.id]);
      }
      await api('POST', '/api/client-registry/lock', {});

      const a = await connectClient(tcp, { username: 'tpl-a', password: PASSWORD });
      const b = await connectClient(tcp, { username: 'tpl-b', password: PASSWORD });
      open.push(a, b);
      expect(await subscribeCodes(a, ['plant/dev/tpl-a/#', 'plant/dev/tpl-b/#'])).toEqual([0, 0x80]);
      expect(await subscribeCodes(b, ['plant/dev/tpl-b/cmd', 'plant/dev/tpl-a/cmd'])).toEqual([0, 0x80]);

      await a.publishAsync('plant/dev/tpl-a/temp', '21.5', { qos: 1 });
      await b.publishAsync('plant/dev/tpl-b/temp', '19.0', { qos: 1 });
      await inbox.waitForTopic('plant/dev/tpl-a/temp', '21.5');
      await inbox.waitForTopic('plant/dev/tpl-b/temp', '19.0');

      // tpl-a writing under tpl-b's name is refused (MQTT_DENY_ACTION=disconnect: the session closes)
      const gone = closed(a);
      a.publish('plant/dev/tpl-b/temp', 'forged', { qos: 1 });
      await gone;
      // anything the gateway had routed would have reached the subscriber before its own marker
      await receivedBeforeMarker(subscriber, inbox, 'plant/marker/tpl');
      expect(inbox.messages.filter((m) => m.payload === 'forged')).toEqual([]);
    });
  });

  describe('client certificates (mTLS)', () => {
    let device: DeviceKey;
    let certFile: string;
    let userId: string;
    let fingerprint: string;

    const mosquittoPub = (topic: string, message: string, clientId: string) =>
      run('mosquitto_pub', [
        '-h',
        'localhost',
        '-p',
        String(tls.port),
        '-V',
        'mqttv311',
        '-i',
        clientId,
        '--cafile',
        serverCaFile,
        '--cert',
        certFile,
        '--key',
        device.keyFile,
        '-t',
        topic,
        '-m',
        message,
        '-q',
        '1',
      ]).then(
        () => 0,
        (e: { code?: number }) => e.code ?? -1,
      );

    beforeAll(async () => {
      // REST flow with a CSR only: the device never sends a password.
      await api('POST', '/api/client-registry/unlock', {});
      device = await opensslCsr(dir, 'meter-1');
      const reg = await fetch(`${stack.admin.httpUrl}/api/client-registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'meter-1', csr: device.csr }),
      });
      expect(reg.status).toBe(202);
      const { requestId } = (await reg.json()) as { requestId: string };
      const granted = await api('POST', `/api/client-registry/requests/${requestId}/grant`, {});
      expect(granted.status).toBe(200);
      userId = granted.body.user.id;
      expect(granted.body.user.grantTypes).toEqual([{ method: 'certificate', isRequired: false }]);
      const poll = await fetch(`${stack.admin.httpUrl}/api/client-registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'meter-1', csr: device.csr }),
      });
      expect(poll.status).toBe(201);
      const { certificate } = (await poll.json()) as { certificate: string };
      certFile = join(dir, 'meter-1.crt');
      await import('node:fs/promises').then((fs) => fs.writeFile(certFile, certificate));
      fingerprint = granted.body.user.certificates[0].fingerprint;
      await api('POST', '/api/client-registry/lock', {});
    });

    it('mosquitto_pub --cert/--key connects without a password; its publish is refused (no permissions) [MQTT-3.3.5-2]', async () => {
      const connected = brokerEvent<[AedesClient]>(stack.broker, 'client', (c) => c.id === 'meter-1-pub-1');
      await mosquittoPub('plant/line1/power', 'denied', 'meter-1-pub-1');
      await connected; // CONNACK 0: authenticated by the certificate alone
      expect(await receivedBeforeMarker(subscriber, inbox, 'plant/marker-1')).not.toContain(
        'plant/line1/power',
      );
    });

    it('after the admin grants a role, the same mosquitto_pub may publish', async () => {
      const role = await api('POST', '/api/roles', {
        name: 'meter-writer',
        permissions: [{ context: 'mqtt', resource: 'plant/+/power', operation: 'write' }],
      });
      expect(role.status).toBe(201);
      const user = await api('GET', `/api/users/${userId}`);
      expect(
        (await api('PATCH', `/api/users/${userId}`, { roles: [role.body.id], version: user.body.version }))
          .status,
      ).toBe(200);
      const got = inbox.waitForTopic('plant/line1/power', '230.1', 10_000);
      expect(await mosquittoPub('plant/line1/power', '230.1', 'meter-1-pub-2')).toBe(0);
      await got;
    });

    it('a certificate another CA signed is not a login (CONNACK 4)', async () => {
      const selfSigned = join(dir, 'self.crt');
      await run('openssl', [
        'req',
        '-x509',
        '-key',
        device.keyFile,
        '-out',
        selfSigned,
        '-days',
        '1',
        '-subj',
        '/CN=meter-1',
      ]);
      const code = await connackCode(tls, {
        key: await readFile(device.keyFile),
        cert: await readFile(selfSigned),
      });
      expect(code).toBe(4);
    });

    it('revoking the certificate disconnects the live mTLS session within 1 s, and the next mTLS CONNECT fails', async () => {
      const key = await readFile(device.keyFile);
      const cert = await readFile(certFile);
      const live = await connectClient(tls, { key, cert, clientId: 'meter-1-live' });
      open.push(live);
      const applied = stack.changeApplied(userId);
      const started = Date.now();
      expect((await api('DELETE', `/api/users/${userId}/certificates/${fingerprint}`)).status).toBe(204);
      expect((await applied).kind).toBe('certificate-revoked');
      await closed(live, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await connackCode(tls, { key, cert })).toBe(4);
      expect(await mosquittoPub('plant/line1/power', 'after-revoke', 'meter-1-pub-3')).not.toBe(0);
    });
  });
});
