import { Logger } from '@nestjs/common';
import type { MqttRefusalBatchDto } from '@gatehouse/contracts';
import { loadGatewayConfig } from '../config/gateway.config';
import type { IdentityClient } from '../transport/identity-client.service';
import {
  MAX_PENDING_REFUSAL_MINUTES,
  MAX_REFUSAL_KEYS,
  RefusalAggregator,
} from './refusal-aggregator.service';

describe('RefusalAggregator (SPEC 6: refusals aggregated per client, topic and minute)', () => {
  let sent: MqttRefusalBatchDto[];
  let fail: boolean;
  let agg: RefusalAggregator;
  const T0 = Date.parse('2025-01-01T10:00:00.000Z');
  const r = (clientId: string, topic = 'plant/x') => ({
    clientId,
    username: 'dev',
    userId: null,
    topic,
    sourceAddress: '127.0.0.1',
  });

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    sent = [];
    fail = false;
    const identity = {
      recordRefusals: (b: MqttRefusalBatchDto) => {
        if (fail) return Promise.reject(new Error('admin-api unreachable'));
        sent.push(structuredClone(b));
        return Promise.resolve();
      },
    } as unknown as IdentityClient;
    agg = new RefusalAggregator(loadGatewayConfig({ GATEWAY_ID: 'gw-test' }), identity);
  });

  it('10,000 refusals of one client on one topic in one minute are one entry with count 10000', async () => {
    for (let i = 0; i < 10_000; i++) agg.record('mqtt.publish.denied', r('c1'), T0 + (i % 59_000));
    await agg.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0].gatewayId).toBe('gw-test');
    expect(sent[0].refusals).toEqual([
      expect.objectContaining({
        action: 'mqtt.publish.denied',
        clientId: 'c1',
        topic: 'plant/x',
        count: 10_000,
        minute: '2025-01-01T10:00:00.000Z',
      }),
    ]);
  });

  it('separates clients, topics, actions and minutes', async () => {
    agg.record('mqtt.publish.denied', r('c1'), T0);
    agg.record('mqtt.publish.denied', r('c2'), T0);
    agg.record('mqtt.publish.denied', r('c1', 'other'), T0);
    agg.record('mqtt.subscribe.denied', r('c1'), T0);
    agg.record('mqtt.publish.denied', r('c1'), T0 + 60_000);
    await agg.flush();
    expect(sent[0].refusals).toHaveLength(5);
    expect(sent[0].refusals.every((x) => x.count === 1)).toBe(true);
  });

  it('past the key cap, further keys are counted in one overflow entry (clientId null): memory stays bounded', async () => {
    for (let i = 0; i < MAX_REFUSAL_KEYS + 2000; i++) agg.record('mqtt.connect.refused', r(`c${i}`, ''), T0);
    await agg.flush();
    const all = sent.flatMap((b) => b.refusals);
    expect(all).toHaveLength(MAX_REFUSAL_KEYS + 1);
    const overflow = all.filter((x) => x.clientId === null);
    expect(overflow).toEqual([expect.objectContaining({ count: 2000, action: 'mqtt.connect.refused' })]);
    expect(all.reduce((n, x) => n + x.count, 0)).toBe(MAX_REFUSAL_KEYS + 2000);
  });

  it('a flush sends nothing twice, and nothing when nothing was refused', async () => {
    agg.record('mqtt.publish.denied', r('c1'), T0);
    await agg.flush();
    await agg.flush();
    expect(sent).toHaveLength(1);
  });

  it('a batch admin-api does not take is kept and sent with the next flush, counts merged (no refusal lost)', async () => {
    fail = true;
    agg.record('mqtt.publish.denied', r('c1'), T0);
    agg.record('mqtt.publish.denied', r('c1'), T0 + 1000);
    await agg.flush();
    expect(sent).toHaveLength(0);
    agg.record('mqtt.publish.denied', r('c1'), T0 + 2000); // the same key while admin-api is down
    await agg.flush();
    fail = false;
    agg.record('mqtt.publish.denied', r('c2'), T0 + 3000);
    await agg.flush();
    expect(sent).toHaveLength(1);
    const byClient = Object.fromEntries(sent[0].refusals.map((x) => [x.clientId, x.count]));
    expect(byClient).toEqual({ c1: 3, c2: 1 });
    await agg.flush();
    expect(sent).toHaveLength(1); // and nothing twice
  });

  it('while admin-api stays down, what is kept is bounded: the oldest minutes go first, with a warning', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    fail = true;
    // one refusal per minute for longer than the bound keeps
    for (let m = 0; m < MAX_PENDING_REFUSAL_MINUTES + 10; m++) {
      agg.record('mqtt.connect.refused', r('c1'), T0 + m * 60_000);
      await agg.flush();
    }
    fail = false;
    await agg.flush();
    const minutes = sent.flatMap((b) => b.refusals.map((x) => x.minute)).sort();
    expect(minutes).toHaveLength(MAX_PENDING_REFUSAL_MINUTES);
    expect(minutes[0]).toBe(new Date(T0 + 10 * 60_000).toISOString()); // the 10 oldest were dropped
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/dropped.*oldest/);
    warn.mockRestore();
  });
});
