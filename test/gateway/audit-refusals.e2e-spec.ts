/**
 * SPEC 6, ADR 0016: MQTT refusals are aggregated per client, topic and minute on the gateway and sent to
 * admin-api in batches, so a misbehaving device cannot flood the audit store. A denied PUBLISH closes the
 * connection without an acknowledgement [MQTT-3.3.5-2], so the device reconnects for every one of its
 * 10,000 attempts (raw sockets: CONNECT and a QoS 0 PUBLISH in one write).
 */
import { connectPacket, publishPacket, RawClient, subscribePacket } from '../support/gateway/raw-mqtt';
import {
  RefusalAggregator,
  REFUSAL_FLUSH_INTERVAL_MS,
} from '../../apps/broker-gateway/src/audit/refusal-aggregator.service';
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';

interface Event {
  action: string;
  actor: { id: string | null; username: string | null } | null;
  target: { type: string; id: string | null; name: string | null };
  result: string;
  count?: number;
  topic?: string;
  instanceId: string;
}

const PASSWORD = 'Noisy-Device-Passw0rd-1';
const ATTEMPTS = 10_000;
const WORKERS = 4;

describe('aggregated MQTT refusals in the audit trail (SPEC 6)', () => {
  let stack: GatewayStack;
  let userId: string;

  beforeAll(async () => {
    stack = await startGatewayStack();
    userId = (
      await stack.rest.createUser({
        username: 'noisy',
        password: PASSWORD,
        permissions: [{ context: 'mqtt', resource: 'allowed/#', operation: 'readWrite' }],
      })
    ).id;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  const adminToken = () =>
    fetch(`${stack.admin.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'Admin-password-1' }),
    })
      .then((r) => r.json() as Promise<{ token: string }>)
      .then((b) => b.token);

  const events = async (action: string): Promise<Event[]> => {
    const token = await adminToken();
    const out: Event[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ action, limit: '200', ...(cursor ? { cursor } : {}) });
      const res = await fetch(`${stack.admin.httpUrl}/api/audit-events?${q.toString()}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Event[]; nextCursor: string | null };
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  };

  it('10,000 denied publishes become a handful of events whose counts add up to 10,000', async () => {
    const port = stack.gateway.ports.mqtt;
    let refused = 0;
    const started = Date.now();
    const worker = async (w: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const c = await RawClient.open(port);
        c.socket.write(
          Buffer.concat([
            connectPacket({ clientId: `noisy-${w}`, username: 'noisy', password: PASSWORD }),
            publishPacket('forbidden/line1', 'x'),
          ]),
        );
        const { returnCode } = await c.connack();
        expect(returnCode).toBe(0);
        await c.closed(); // [MQTT-3.3.5-2]: the denied PUBLISH closes the connection
        refused += 1;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, ATTEMPTS / WORKERS)));
    const elapsed = Date.now() - started;
    expect(refused).toBe(ATTEMPTS);
    await stack.gateway.app.get(RefusalAggregator).flush();

    const denied = await events('mqtt.publish.denied');
    expect(denied.reduce((n, e) => n + (e.count ?? 0), 0)).toBe(ATTEMPTS);
    // one event per client and minute per flush (every 5 s): a handful, not 10,000
    const flushes = Math.ceil(elapsed / REFUSAL_FLUSH_INTERVAL_MS) + 2;
    expect(denied.length).toBeLessThanOrEqual(WORKERS * flushes);
    expect(denied.length).toBeLessThan(ATTEMPTS / 50);
    for (const e of denied) {
      expect(e).toMatchObject({
        result: 'denied',
        actor: { id: userId, username: 'noisy' },
        target: { type: 'mqtt-client' },
        topic: 'forbidden/line1',
        instanceId: stack.gateway.config.gatewayId,
      });
      expect(e.target.id).toMatch(/^noisy-[0-3]$/);
    }
  }, 300_000);

  it('a refused SUBSCRIBE filter and a refused CONNECT are recorded with their counts', async () => {
    const sub = await RawClient.open(stack.gateway.ports.mqtt);
    sub.socket.write(connectPacket({ clientId: 'noisy-sub', username: 'noisy', password: PASSWORD }));
    expect((await sub.connack()).returnCode).toBe(0);
    sub.socket.write(subscribePacket(1, ['secret/#']));
    sub.socket.write(subscribePacket(2, ['secret/#']));
    for (let i = 0; i < 3; i++) {
      const bad = await RawClient.open(stack.gateway.ports.mqtt);
      bad.socket.write(
        connectPacket({ clientId: 'intruder', username: 'noisy', password: 'Wrong-Passw0rd-x' }),
      );
      expect((await bad.connack()).returnCode).toBe(4);
      await bad.closed();
    }
    // both SUBACKs (0x80 each) arrived: both filters went through the hook
    const subacks = () => Buffer.concat(sub.received).filter((b) => b === 0x90).length;
    for (const deadline = Date.now() + 5000; subacks() < 2 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 20));
    expect(subacks()).toBe(2);
    sub.socket.destroy();
    await stack.gateway.app.get(RefusalAggregator).flush();
    const subs = await events('mqtt.subscribe.denied');
    expect(subs).toEqual([
      expect.objectContaining({
        count: 2,
        topic: 'secret/#',
        target: expect.objectContaining({ id: 'noisy-sub' }),
      }),
    ]);
    const connects = await events('mqtt.connect.refused');
    expect(connects).toEqual([
      expect.objectContaining({
        count: 3,
        actor: null,
        target: { type: 'mqtt-client', id: 'intruder', name: 'noisy' },
      }),
    ]);
  });
});
