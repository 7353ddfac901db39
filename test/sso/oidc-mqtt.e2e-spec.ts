/**
 * Issue 12 (MQTT part), SPEC 2.1a, ADR 0027: with OIDC_MQTT_ACCESS_TOKENS=true a JWT access token the
 * provider issued works as the MQTT password. The gateway checks it against the provider's JWKS itself
 * (no admin-api round trip for the signature, one JWKS fetch for a new key), admin-api says which
 * Gatehouse user (issuer, sub) is, and the session is closed when the token expires. Real oidc-provider 9
 * in-process, real admin-api and gateway on ephemeral ports, real mqtt.js clients.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPairSync } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { createBrokerGateway, type BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { GatewayMetrics } from '../../apps/broker-gateway/src/metrics/gateway-metrics.service';
import { type GatewayStack, gatewayEnvFor, startGatewayStack } from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  closed,
  connackCode,
  connectClient,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import { DeviceTokens } from '../support/oidc-device';
import { loginAtProvider, TestBrowser, TestOidcProvider } from '../support/oidc-provider';

jest.setTimeout(60_000);

const REDIRECT = 'http://127.0.0.1:9/gatehouse/api/auth/oidc/callback';
/** The audience the provider puts in tokens meant for MQTT (OIDC_MQTT_AUDIENCE). */
const MQTT_AUD = 'urn:gatehouse:mqtt';
/** Another application at the same provider. */
const OTHER_AUD = 'urn:plant:historian';

type Json = Record<string, unknown>;

describe('provider-issued JWT access tokens as the MQTT password (issue 12, SPEC 2.1a, ADR 0027)', () => {
  let idp: TestOidcProvider;
  let stack: GatewayStack;
  let e: Endpoint;
  let admin: string;
  const open: MqttClient[] = [];
  const extraGateways: BrokerGateway[] = [];
  const track = (c: MqttClient): MqttClient => {
    open.push(c);
    return c;
  };

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };

  /** One SSO login over HTTP (creates the user on first sight); answers the Gatehouse user. */
  const ssoLogin = async (username: string): Promise<Json> => {
    const browser = new TestBrowser();
    const start = await browser.request(`${stack.admin.httpUrl}/api/auth/oidc/login`);
    const back = await loginAtProvider(browser, start.headers.get('location') as string, REDIRECT, {
      username,
      password: `${username}-idp-pw-1`,
    });
    const res = await browser.request(`${stack.admin.httpUrl}/api/auth/oidc/callback${back.search}`);
    expect(res.status).toBe(200);
    const users = await call('GET', `/api/users?username=${username}`, admin);
    return (users.body.items as Json[]).find((u) => u.username === username) as Json;
  };

  const patchUser = async (id: string, changes: Json): Promise<void> => {
    const current = await call('GET', `/api/users/${id}`, admin);
    const res = await call('PATCH', `/api/users/${id}`, admin, { ...changes, version: current.body.version });
    expect(res.status).toBe(200);
  };

  /** ADR 0011: a token as the MQTT password needs the `token` grant (federated users are created with it). */
  const allowTokens = (id: string) =>
    patchUser(id, {
      grantTypes: [
        { method: 'password', isRequired: false },
        { method: 'token', isRequired: false },
      ],
    });

  const ready = new Map<string, Promise<Json>>();
  /** The user logged in once over HTTP and holding the `token` grant (once per test run). */
  const tokenUser = (username: string): Promise<Json> => {
    let p = ready.get(username);
    if (!p) {
      p = ssoLogin(username).then(async (u) => {
        await allowTokens(u.id as string);
        return u;
      });
      ready.set(username, p);
    }
    return p;
  };

  const deviceLogin = (username: string, resources = [MQTT_AUD, OTHER_AUD]) =>
    DeviceTokens.login(idp, REDIRECT, { username, password: `${username}-idp-pw-1` }, resources);

  const jwksFetches = () => idp.hits.get('/jwks') ?? 0;

  beforeAll(async () => {
    idp = await TestOidcProvider.start({
      redirectUri: REDIRECT,
      resourceServers: { [MQTT_AUD]: { accessTokenTTL: 300 }, [OTHER_AUD]: { accessTokenTTL: 300 } },
    });
    for (const username of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'])
      idp.addAccount({ username, password: `${username}-idp-pw-1`, groups: ['operators'] });
    stack = await startGatewayStack({
      adminEnv: idp.env(),
      gatewayEnv: {
        OIDC_MQTT_ACCESS_TOKENS: 'true',
        OIDC_ISSUER: idp.issuer,
        OIDC_MQTT_AUDIENCE: MQTT_AUD,
        OIDC_MQTT_JWKS_COOLDOWN_SECONDS: '1',
        OIDC_TIMEOUT_MS: '1000',
      },
    });
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    admin = await stack.rest.loginAs('admin', 'Admin-password-1');
    const role = await call('POST', '/api/roles', admin, {
      name: 'line1-operators',
      externalGroups: ['operators'],
      permissions: [{ context: 'mqtt', resource: 'plant/line1/#', operation: 'readWrite' }],
    });
    expect(role.status).toBe(201);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    for (const g of extraGateways) await g.close();
    await stack?.close();
    await idp?.stop();
  }, 30_000);

  it("a 5 s token: CONNACK 0 with the user's permissions; open just before exp, closed within 1 s after; then CONNACK 4", async () => {
    const alice = await ssoLogin('alice');
    await allowTokens(alice.id as string);
    const device = await deviceLogin('alice');
    idp.setAccessTokenTtl(MQTT_AUD, 5);
    const token = await device.accessToken(MQTT_AUD);
    idp.setAccessTokenTtl(MQTT_AUD, 300);
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(claims.aud).toBe(MQTT_AUD);
    const exp = (claims.exp as number) * 1000;
    expect(exp - Date.now()).toBeLessThanOrEqual(5000);

    const c = track(await connectClient(e, { username: 'alice', password: token }));
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['plant/line1/#', 'plant/line2/#'])).toEqual([0, 0x80]);
    await c.publishAsync('plant/line1/temp', '21.5', { qos: 1 });
    await inbox.waitForTopic('plant/line1/temp', '21.5');

    const expiredBefore = await expiredCount();
    await sleep(Math.max(0, exp - Date.now() - 600));
    expect(c.connected).toBe(true); // 0.6 s before exp
    await closed(c, 3000);
    const lateBy = Date.now() - exp;
    expect(lateBy).toBeGreaterThanOrEqual(-50);
    expect(lateBy).toBeLessThan(1000);
    expect(await expiredCount()).toBe(expiredBefore + 1);
    // the same token, now expired
    expect(await connackCode(e, { username: 'alice', password: token })).toBe(4);
    // a fresh token of the same device works again
    expect(await connackCode(e, { username: 'alice', password: await device.accessToken(MQTT_AUD) })).toBe(0);
  });

  it("the MQTT username must be the bound user's: another name gets CONNACK 4", async () => {
    await tokenUser('bob');
    const token = await (await deviceLogin('bob')).accessToken(MQTT_AUD);
    expect(await connackCode(e, { username: 'alice', password: token })).toBe(4);
    expect(await connackCode(e, { username: 'Bob', password: token })).toBe(4);
    expect(await connackCode(e, { username: 'bob', password: token })).toBe(0);
  });

  it('a token for another audience at the same provider: CONNACK 4', async () => {
    await tokenUser('bob');
    const device = await deviceLogin('bob');
    const other = await device.accessToken(OTHER_AUD);
    expect(decodeJwt(other).aud).toBe(OTHER_AUD);
    expect(await connackCode(e, { username: 'bob', password: other })).toBe(4);
    expect(await connackCode(e, { username: 'bob', password: await device.accessToken(MQTT_AUD) })).toBe(0);
  });

  it("forged tokens: a foreign key (unknown kid, or the provider's kid), alg none, HS256 with the public key: CONNACK 4", async () => {
    await tokenUser('bob');
    const genuine = await (await deviceLogin('bob')).accessToken(MQTT_AUD);
    const payload = decodeJwt(genuine);
    const header = decodeProtectedHeader(genuine);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = (kid: string) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`;
    const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: Json[] };
    const hs256 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: header.kid })
      .sign(Buffer.from(JSON.stringify(jwks.keys[0])));
    const codes = {
      unknownKid: await connackCode(e, { username: 'bob', password: await foreign('not-a-provider-key') }),
      providerKid: await connackCode(e, { username: 'bob', password: await foreign(header.kid as string) }),
      none: await connackCode(e, { username: 'bob', password: none }),
      hs256: await connackCode(e, { username: 'bob', password: hs256 }),
      genuine: await connackCode(e, { username: 'bob', password: genuine }),
    };
    expect(codes).toEqual({ unknownKid: 4, providerKid: 4, none: 4, hs256: 4, genuine: 0 });
    // made-up kids do not make the gateway fetch the JWKS per CONNECT: once per cooldown (1 s here) at most
    const before = jwksFetches();
    for (let i = 0; i < 4; i++)
      expect(await connackCode(e, { username: 'bob', password: await foreign(`made-up-${i}`) })).toBe(4);
    expect(jwksFetches() - before).toBeLessThanOrEqual(1);
  });

  it('no Gatehouse user bound to the subject yet (never logged in over HTTP): CONNACK 4; after the first login: 0', async () => {
    const token = await (await deviceLogin('carol')).accessToken(MQTT_AUD);
    expect(await connackCode(e, { username: 'carol', password: token })).toBe(4);
    const carol = await ssoLogin('carol');
    await allowTokens(carol.id as string);
    expect(await connackCode(e, { username: 'carol', password: token })).toBe(0);
  });

  it('grant types apply (ADR 0011): without the token grant CONNACK 5; removing it ends a live JWT session', async () => {
    const erin = await ssoLogin('erin');
    const token = await (await deviceLogin('erin')).accessToken(MQTT_AUD);
    // federated users are created with the token grant (ADR 0023): an operator takes it away
    expect(await connackCode(e, { username: 'erin', password: token })).toBe(0);
    await patchUser(erin.id as string, { grantTypes: [{ method: 'password', isRequired: false }] });
    expect(await connackCode(e, { username: 'erin', password: token })).toBe(5);
    await allowTokens(erin.id as string);
    const c = track(await connectClient(e, { username: 'erin', password: token }));
    const gone = closed(c, 1500);
    await patchUser(erin.id as string, { grantTypes: [{ method: 'password', isRequired: false }] });
    await gone;
    expect(await connackCode(e, { username: 'erin', password: token })).toBe(5);
  });

  it('disabled wins: disabling the user ends its JWT session within 1 s and its valid token gets CONNACK 5 (SPEC 3)', async () => {
    const dave = await ssoLogin('dave');
    await allowTokens(dave.id as string);
    const token = await (await deviceLogin('dave')).accessToken(MQTT_AUD);
    const c = track(await connectClient(e, { username: 'dave', password: token }));
    const gone = closed(c, 1500);
    await patchUser(dave.id as string, { enabled: false });
    await gone;
    expect(await connackCode(e, { username: 'dave', password: token })).toBe(5);
  });

  it('a permission change applies to a live JWT session: the subscription it no longer covers is removed, the session stays', async () => {
    const frank = await ssoLogin('frank');
    await allowTokens(frank.id as string);
    await patchUser(frank.id as string, {
      permissions: [{ context: 'mqtt', resource: 'plant/frank/#', operation: 'readWrite' }],
    });
    const token = await (await deviceLogin('frank')).accessToken(MQTT_AUD);
    const id = 'frank-jwt-1';
    const c = track(await connectClient(e, { username: 'frank', password: token, clientId: id }));
    expect(await subscribeCodes(c, ['plant/frank/#', 'plant/line1/#'])).toEqual([0, 0]);
    const onServer = () =>
      Object.keys(
        (stack.broker as unknown as { clients: Record<string, { subscriptions: Json }> }).clients[id]
          ?.subscriptions ?? {},
      ).sort();
    expect(onServer()).toEqual(['plant/frank/#', 'plant/line1/#']);
    const applied = stack.changeApplied(frank.id as string);
    await patchUser(frank.id as string, { permissions: [] });
    await applied;
    expect(onServer()).toEqual(['plant/line1/#']);
    expect(c.connected).toBe(true);
  });

  it("key rotation at the provider: a token signed with the new key works (one JWKS fetch for a burst), the withdrawn key's token gets 4", async () => {
    await tokenUser('gina');
    const device = await deviceLogin('gina');
    const old = await device.accessToken(MQTT_AUD);
    expect(await connackCode(e, { username: 'gina', password: old })).toBe(0);
    await idp.rotateKeys();
    // the provider forgot its grants with the rotation (a new instance): the device logs in again
    const fresh = await (await deviceLogin('gina')).accessToken(MQTT_AUD);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);
    await sleep(1100); // past OIDC_MQTT_JWKS_COOLDOWN_SECONDS=1 since the gateway's last fetch
    const before = jwksFetches();
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => connackCode(e, { username: 'gina', password: fresh })),
    );
    expect(burst).toEqual([0, 0, 0, 0, 0]);
    expect(jwksFetches() - before).toBe(1);
    expect(await connackCode(e, { username: 'gina', password: old })).toBe(4);
  });

  it('JWKS outage: the keys held keep working; a gateway that never fetched them answers CONNACK 3; back up: 0', async () => {
    await tokenUser('gina');
    const token = await (await deviceLogin('gina')).accessToken(MQTT_AUD);
    expect(await connackCode(e, { username: 'gina', password: token })).toBe(0); // its key is held now
    await idp.stop();
    try {
      expect(await connackCode(e, { username: 'gina', password: token })).toBe(0);
      const cold = await createBrokerGateway(
        gatewayEnvFor(stack.admin, `${stack.dataDir}-cold`, {
          OIDC_MQTT_ACCESS_TOKENS: 'true',
          OIDC_ISSUER: idp.issuer,
          OIDC_MQTT_AUDIENCE: MQTT_AUD,
          OIDC_TIMEOUT_MS: '500',
        }),
      );
      extraGateways.push(cold);
      const coldEndpoint: Endpoint = { kind: 'tcp', port: cold.ports.mqtt };
      expect(await connackCode(coldEndpoint, { username: 'gina', password: token })).toBe(3);
      await idp.resume();
      expect(await connackCode(coldEndpoint, { username: 'gina', password: token })).toBe(0);
    } finally {
      await idp.resume().catch(() => undefined);
    }
  });

  it('OIDC_MQTT_ACCESS_TOKENS unset: the same valid token is an ordinary (wrong) password: CONNACK 4', async () => {
    await tokenUser('gina');
    const token = await (await deviceLogin('gina')).accessToken(MQTT_AUD);
    const off = await createBrokerGateway(gatewayEnvFor(stack.admin, `${stack.dataDir}-off`));
    extraGateways.push(off);
    expect(
      await connackCode({ kind: 'tcp', port: off.ports.mqtt }, { username: 'gina', password: token }),
    ).toBe(4);
    expect(await connackCode(e, { username: 'gina', password: token })).toBe(0);
  });

  it('with the feature on, a Gatehouse token (another iss) and a password keep their way in (admin-api verifies them)', async () => {
    await stack.rest.createUser({
      username: 'local-device',
      password: 'Device-password-1',
      permissions: [{ context: 'mqtt', resource: 'plant/local/#', operation: 'readWrite' }],
      grantTypes: [
        { method: 'password', isRequired: false },
        { method: 'token', isRequired: false },
      ],
    });
    const gatehouseToken = await stack.rest.loginAs('local-device', 'Device-password-1', 'mqtt');
    expect(decodeJwt(gatehouseToken).iss).not.toBe(idp.issuer);
    expect(await connackCode(e, { username: 'local-device', password: gatehouseToken })).toBe(0);
    expect(await connackCode(e, { username: 'local-device', password: 'Device-password-1' })).toBe(0);
    expect(await connackCode(e, { username: 'local-device', password: 'wrong-password-1' })).toBe(4);
  });

  async function expiredCount(): Promise<number> {
    const metric = await stack.gateway.app
      .get(GatewayMetrics)
      .registry.getSingleMetric('gatehouse_mqtt_sessions_expired_total')
      ?.get();
    return metric?.values[0]?.value ?? 0;
  }
});
