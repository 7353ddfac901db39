/**
 * OIDC users on the gateway (issue 12, SPEC 2.1a): a user who logged in through a real in-process
 * OpenID provider uses MQTT with its Gatehouse token, with the roles its provider groups confer; a
 * group removed at the provider removes the role at the next login, and the gateway applies it live
 * (the subscription the role covered is removed, deliveries stop).
 */
import type { MqttClient } from 'mqtt';
import type { Client as AedesClient } from 'aedes';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  brokerEvent,
  clientId,
  connectClient,
  type Endpoint,
  Inbox,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import { loginAtProvider, TestBrowser, TestOidcProvider } from '../support/oidc-provider';

jest.setTimeout(60_000);

const REDIRECT = 'http://127.0.0.1:9/gatehouse/api/auth/oidc/callback';
type Json = Record<string, unknown>;

describe('OIDC users on the gateway: roles from provider groups, applied live (issue 12)', () => {
  let idp: TestOidcProvider;
  let stack: GatewayStack;
  let e: Endpoint;
  let adminToken: string;
  let operatorsRole: string;
  const open: MqttClient[] = [];
  const track = (c: MqttClient) => (open.push(c), c);

  const api = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
  /** A whole browser login: Gatehouse → the provider's login form → the callback → a Gatehouse token. */
  const sso = async (username: string): Promise<string> => {
    const browser = new TestBrowser();
    const start = await browser.request(`${stack.admin.httpUrl}/api/auth/oidc/login`);
    const back = await loginAtProvider(browser, start.headers.get('location') ?? '', REDIRECT, {
      username,
      password: `${username}-idp-pw-1`,
    });
    const res = await browser.request(`${stack.admin.httpUrl}/api/auth/oidc/callback${back.search}`);
    const body = (await res.json()) as Json;
    expect(res.status).toBe(200);
    return body.token as string;
  };

  beforeAll(async () => {
    idp = await TestOidcProvider.start({ redirectUri: REDIRECT });
    idp.addAccount({ username: 'olga', password: 'olga-idp-pw-1', groups: ['operators', 'engineers'] });
    stack = await startGatewayStack({ adminEnv: idp.env() });
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    adminToken = (await api('POST', '/api/login', { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }))
      .body.token as string;
    const role = async (name: string, externalGroups: string[], resource: string) => {
      const res = await api(
        'POST',
        '/api/roles',
        { name, externalGroups, permissions: [{ context: 'mqtt', resource, operation: 'readWrite' }] },
        adminToken,
      );
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    operatorsRole = await role('oidc-operators', ['operators'], 'plant/line1/#');
    await role('oidc-engineers', ['engineers'], 'plant/eng/#');
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
    await idp?.stop();
  }, 30_000);

  it('a group removed at the provider removes its role at the next login; the gateway stops delivering what it allowed', async () => {
    const token = await sso('olga');
    const users = await api('GET', '/api/users?username=olga', undefined, adminToken);
    const olga = (users.body.items as Json[]).find((u) => u.username === 'olga') as Json;
    expect(olga.identityProvider).toBe('oidc');
    const sub = track(
      await connectClient(e, { username: 'olga', password: token, clientId: clientId('olga') }),
    );
    expect(await subscribeCodes(sub, ['plant/eng/#', 'plant/line1/#'])).toEqual([0, 0]);
    const inbox = new Inbox(sub);
    const pub = track(
      await connectClient(e, { username: 'olga', password: token, clientId: clientId('pub') }),
    );
    await pub.publishAsync('plant/eng/a', 'before', { qos: 1 });
    await inbox.waitForTopic('plant/eng/a');

    // the provider drops olga from "engineers"; her next login carries the new groups
    idp.accounts.get('olga')!.groups = ['operators'];
    const applied = stack.changeApplied(olga.id as string);
    const removal = brokerEvent<[string[], AedesClient]>(
      stack.broker,
      'unsubscribe',
      (subs, client) => client.id === sub.options.clientId && subs.includes('plant/eng/#'),
    );
    await sso('olga');
    await applied;
    await removal; // the gateway removed the subscription the role no longer covers
    const after = (
      (await api('GET', '/api/users?username=olga', undefined, adminToken)).body.items as Json[]
    ).find((u) => u.username === 'olga') as Json;
    expect(after.groupRoles).toEqual([operatorsRole]);
    expect(after.externalGroups).toEqual(['operators']);

    // nothing under plant/eng reaches her any more, plant/line1 still does: one publisher allowed both,
    // in order (QoS 1 from one client is delivered in order), so the marker arriving first proves it
    const admin = track(await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
    await admin.publishAsync('plant/eng/b', 'after', { qos: 1 });
    await admin.publishAsync('plant/line1/marker', 'm', { qos: 1 });
    await inbox.waitForTopic('plant/line1/marker');
    expect(inbox.topics()).not.toContain('plant/eng/b');
    expect(await subscribeCodes(sub, ['plant/eng/#'])).toEqual([0x80]);
  });
});
