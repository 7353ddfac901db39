/**
 * Metrics (SPEC 6, issue 10 "Metrics and logs"): `GET /metrics` on admin-api and on the gateway's
 * `GATEWAY_HTTP_PORT` parse as Prometheus text and move with traffic: publishes allowed and denied,
 * subscriptions, deliveries, CONNECTs accepted and refused, live connections by listener, a revocation,
 * registry requests, and HTTP request durations labelled by route template. No label carries a topic,
 * a username or a client id. The gateway's server also answers `/health/live` and `/health/ready`.
 */
import type { MqttClient } from 'mqtt';
import { GatewayRegistration } from '../../apps/broker-gateway/src/transport/gateway-registration.service';
import { type Exposition, parsePrometheusText } from '../support/prometheus-text';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  closed,
  connackCode,
  connectClient,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

jest.setTimeout(60_000);

const PASSWORD = 'Metrics-device-passw0rd';
const USERNAME = 'metrics-device-7f3a';
const TOPIC_LEVEL = 'secret-topic-9c1d';

async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

/** Every label value of every sample: none may be a username, a client id or a topic. */
function labelValues(e: Exposition): string[] {
  return e.samples.flatMap((s) => Object.values(s.labels));
}

describe('metrics: /metrics on admin-api and the gateway (SPEC 6)', () => {
  let stack: GatewayStack;
  let tcp: Endpoint;
  let gatewayMetrics: string;
  let adminMetrics: string;
  let userId: string;
  const open: MqttClient[] = [];
  const decisions = (e: Exposition, operation: string, result: string) =>
    e.value('gatehouse_authz_decisions_total', { context: 'mqtt', operation, result });

  beforeAll(async () => {
    stack = await startGatewayStack();
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    gatewayMetrics = `${stack.gateway.localHttpUrl}/metrics`;
    adminMetrics = `${stack.admin.httpUrl}/metrics`;
    userId = (
      await stack.rest.createUser({
        username: USERNAME,
        password: PASSWORD,
        permissions: [
          { context: 'mqtt', resource: `plant/${TOPIC_LEVEL}/#`, operation: 'readWrite' },
          { context: 'mqtt', resource: 'plant/revocable/#', operation: 'read' },
        ],
      })
    ).id;
  });

  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
    await stack?.close();
  });

  it('both expositions parse, with the default process metrics and every gatehouse_* family typed', async () => {
    const gw = await scrape(gatewayMetrics);
    const api = await scrape(adminMetrics);
    for (const e of [gw, api]) {
      expect(e.has('process_cpu_user_seconds_total')).toBe(true);
      expect(e.has('nodejs_eventloop_lag_seconds')).toBe(true);
    }
    expect(Object.fromEntries([...gw.types].filter(([n]) => n.startsWith('gatehouse_')))).toEqual({
      gatehouse_mqtt_connections: 'gauge',
      gatehouse_mqtt_connect_total: 'counter',
      gatehouse_authz_decisions_total: 'counter',
      gatehouse_revocations_applied_total: 'counter',
      gatehouse_mqtt_publishes_ignored_total: 'counter',
      gatehouse_mqtt_sessions_expired_total: 'counter',
    });
    expect(Object.fromEntries([...api.types].filter(([n]) => n.startsWith('gatehouse_')))).toEqual({
      gatehouse_http_request_duration_seconds: 'histogram',
      gatehouse_authz_decisions_total: 'counter',
      gatehouse_registry_requests: 'gauge',
    });
  });

  it('a publish increments gatehouse_authz_decisions_total{context="mqtt",operation="publish",result="allowed"}; its delivery counts as deliver/allowed', async () => {
    const before = await scrape(gatewayMetrics);
    const sub = await connectClient(tcp, { username: USERNAME, password: PASSWORD });
    open.push(sub);
    expect(await subscribeCodes(sub, [`plant/${TOPIC_LEVEL}/#`])).toEqual([0]);
    const inbox = new Inbox(sub);
    const pub = await connectClient(tcp, { username: USERNAME, password: PASSWORD });
    open.push(pub);
    await pub.publishAsync(`plant/${TOPIC_LEVEL}/a`, 'one', { qos: 1 });
    await pub.publishAsync(`plant/${TOPIC_LEVEL}/b`, 'two', { qos: 1 });
    await inbox.waitFor((m) => m.topic === `plant/${TOPIC_LEVEL}/b`);
    const after = await scrape(gatewayMetrics);
    expect(decisions(after, 'publish', 'allowed') - decisions(before, 'publish', 'allowed')).toBe(2);
    expect(decisions(after, 'subscribe', 'allowed') - decisions(before, 'subscribe', 'allowed')).toBe(1);
    expect(decisions(after, 'deliver', 'allowed') - decisions(before, 'deliver', 'allowed')).toBe(2);
    expect(after.value('gatehouse_mqtt_connections', { listener: 'mqtt' })).toBe(
      before.value('gatehouse_mqtt_connections', { listener: 'mqtt' }) + 2,
    );
    expect(after.value('gatehouse_mqtt_connect_total', { result: 'accepted' })).toBe(
      before.value('gatehouse_mqtt_connect_total', { result: 'accepted' }) + 2,
    );
    for (const v of labelValues(after)) {
      expect(v).not.toContain(USERNAME);
      expect(v).not.toContain(TOPIC_LEVEL);
      expect(v).not.toMatch(/^c-\d+-\d+$/); // the test's client ids
    }
  });

  it('a refused publish [MQTT-3.3.5-2] and a refused subscription count as denied', async () => {
    const before = await scrape(gatewayMetrics);
    const c = await connectClient(tcp, { username: USERNAME, password: PASSWORD });
    open.push(c);
    expect(await subscribeCodes(c, ['elsewhere/#'])).toEqual([128]);
    const gone = closed(c);
    c.publish('elsewhere/x', 'nope');
    await gone;
    const after = await scrape(gatewayMetrics);
    expect(decisions(after, 'publish', 'denied') - decisions(before, 'publish', 'denied')).toBe(1);
    expect(decisions(after, 'subscribe', 'denied') - decisions(before, 'subscribe', 'denied')).toBe(1);
    expect(labelValues(after).some((v) => v.includes('elsewhere'))).toBe(false);
  });

  it('refused CONNECTs count by result: bad_username_or_password (4)', async () => {
    const before = await scrape(gatewayMetrics);
    expect(await connackCode(tcp, { username: USERNAME, password: 'Wrong-passw0rd-x' })).toBe(4);
    const after = await scrape(gatewayMetrics);
    const result = { result: 'bad_username_or_password' };
    expect(after.value('gatehouse_mqtt_connect_total', result)).toBe(
      before.value('gatehouse_mqtt_connect_total', result) + 1,
    );
  });

  it('a permission removed from a live session counts in gatehouse_revocations_applied_total', async () => {
    const c = await connectClient(tcp, { username: USERNAME, password: PASSWORD });
    open.push(c);
    expect(await subscribeCodes(c, ['plant/revocable/#'])).toEqual([0]);
    const before = await scrape(gatewayMetrics);
    const applied = stack.changeApplied(userId);
    await stack.rest.updateUser(userId, {
      permissions: [{ context: 'mqtt', resource: `plant/${TOPIC_LEVEL}/#`, operation: 'readWrite' }],
    });
    await applied;
    const after = await scrape(gatewayMetrics);
    expect(after.value('gatehouse_revocations_applied_total')).toBeGreaterThan(
      before.value('gatehouse_revocations_applied_total'),
    );
  });

  it('admin-api: request durations by method, route template and status; http decisions; registry requests', async () => {
    const res = await fetch(`${stack.admin.httpUrl}/api/users/${userId}`);
    expect(res.status).toBe(401);
    await stack.rest.getUser(userId);
    const e = await scrape(adminMetrics);
    const count = (status: string) =>
      e.value('gatehouse_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/users/{id}',
        status,
      });
    expect(count('401')).toBeGreaterThanOrEqual(1);
    expect(count('200')).toBeGreaterThanOrEqual(1);
    expect(
      e.value('gatehouse_http_request_duration_seconds_bucket', {
        method: 'GET',
        route: '/api/users/{id}',
        status: '200',
        le: '+Inf',
      }),
    ).toBe(count('200'));
    // the route template, never the raw path
    expect(labelValues(e).some((v) => v.includes(userId))).toBe(false);
    expect(labelValues(e).some((v) => v.includes(USERNAME))).toBe(false);
    expect(
      e.value('gatehouse_authz_decisions_total', { context: 'http', operation: 'read', result: 'allowed' }),
    ).toBeGreaterThanOrEqual(1);
    for (const state of ['pending', 'granted', 'rejected', 'expired'])
      expect(
        e.samples.some((s) => s.name === 'gatehouse_registry_requests' && s.labels.state === state),
      ).toBe(true);
  });

  it('a registration request moves gatehouse_registry_requests{state="pending"}', async () => {
    const before = await scrape(adminMetrics);
    await fetch(`${stack.admin.httpUrl}/api/client-registry/unlock`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await stack.rest.loginAs(ADMIN_USERNAME, ADMIN_PASSWORD)}`,
        'content-type': 'application/json',
      },
      body: '{}',
    }).then((r) => expect(r.status).toBe(200));
    const reg = await fetch(`${stack.admin.httpUrl}/api/client-registry/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'metrics-new-device', password: 'Pending-device-passw0rd' }),
    });
    expect(reg.status).toBe(202);
    const after = await scrape(adminMetrics);
    expect(after.value('gatehouse_registry_requests', { state: 'pending' })).toBe(
      before.value('gatehouse_registry_requests', { state: 'pending' }) + 1,
    );
  });

  it('/metrics on admin-api is public and outside /api; a request id is echoed', async () => {
    const res = await fetch(adminMetrics, { headers: { 'x-request-id': 'scrape-42' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('scrape-42');
    for (const odd of ['two words', '"quoted"', 'x'.repeat(129)]) {
      const r = await fetch(adminMetrics, { headers: { 'x-request-id': odd } });
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await fetch(`${stack.admin.httpUrl}/api/metrics`)).status).toBe(404);
  });

  it('the gateway HTTP server: /health/live, /health/ready (listeners open, transport registered), 404 elsewhere', async () => {
    const base = stack.gateway.localHttpUrl;
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', listeners: 'ok', transport: 'ok' });
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('the gateway is not ready while admin-api is gone', async () => {
    await stack.stopAdminApi();
    await stack.gateway.app.get(GatewayRegistration).registerOnce();
    const ready = await fetch(`${stack.gateway.localHttpUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', listeners: 'ok', transport: 'down' });
  });
});
