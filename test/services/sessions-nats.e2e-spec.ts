/**
 * Issue 11 "Live sessions" over NATS (ADR 0022): admin-api publishes one request on the pattern's
 * subject, every gateway answers on the inbox, and GET /api/sessions lists a client on each of two
 * gateways; DELETE ends it where it is. Runs only when TEST_NATS_URL is set (see jest.config.js,
 * project "services"). The NATS server may be shared with other suites: assertions filter by this
 * suite's user and gateways.
 */
import type { MqttClient } from 'mqtt';
import type { BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { closed, connectClient } from '../support/gateway/mqtt-helpers';
import { type ScaleOutStack, startScaleOut, tcpOf as tcp } from '../support/gateway/scale-out';

jest.setTimeout(60_000);

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const PASSWORD = 'Nats-sessions-secret-1';
const GW = [`nats-sess-a-${process.pid}`, `nats-sess-b-${process.pid}`];

describe('NATS transport, two gateways: live sessions (SPEC 2.3)', () => {
  let stack: ScaleOutStack;
  let gateways: BrokerGateway[];
  let token: string;
  const open: MqttClient[] = [];

  const http = async (method: string, path: string) => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    stack = await startScaleOut(NATS_URL, GW);
    ({ gateways } = stack);
    token = await stack.rest.loginAs('admin', 'Admin-password-1');
  });

  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
    await stack?.close();
  });

  it('GET /api/sessions lists the client on each gateway with its subscriptions; DELETE disconnects one', async () => {
    const user = await stack.rest.createUser({
      username: 'nats-sess-user',
      password: PASSWORD,
      permissions: [{ context: 'mqtt', resource: 'cell/#', operation: 'read' }],
    });
    const ids = [`nats-sess-a-${process.pid}`, `nats-sess-b-${process.pid}`];
    const clients = await Promise.all(
      gateways.map((g, i) =>
        connectClient(tcp(g), { username: 'nats-sess-user', password: PASSWORD, clientId: ids[i] }),
      ),
    );
    open.push(...clients);
    await clients[0].subscribeAsync('cell/1/#', { qos: 1 });
    await clients[1].subscribeAsync('cell/+/state', { qos: 0 });

    const res = await http('GET', `/api/sessions?userId=${user.id}`);
    expect(res.status).toBe(200);
    const gatewaysAnswered = res.body.gateways as { answered: string[]; partial: boolean };
    expect(gatewaysAnswered.answered).toEqual(expect.arrayContaining(GW));
    const items = res.body.items as { clientId: string; gatewayId: string; subscriptions: unknown[] }[];
    expect(items.map((s) => [s.clientId, s.gatewayId, s.subscriptions])).toEqual([
      [ids[0], GW[0], [{ filter: 'cell/1/#', qos: 1 }]],
      [ids[1], GW[1], [{ filter: 'cell/+/state', qos: 0 }]],
    ]);

    const gone = closed(clients[1], 5000);
    const del = await http('DELETE', `/api/sessions/${ids[1]}`);
    expect(del.status).toBe(200);
    expect(del.body.disconnectedOn).toEqual([GW[1]]);
    await gone;
    expect(clients[0].connected).toBe(true);
    const after = await http('GET', `/api/sessions?userId=${user.id}`);
    expect((after.body.items as { clientId: string }[]).map((s) => s.clientId)).toEqual([ids[0]]);
    expect((await http('DELETE', `/api/sessions/${ids[1]}`)).status).toBe(404);
  });
});
