import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { AedesPublishPacket, PublishPacket } from 'aedes';
import type { PrincipalDto } from '@gatehouse/contracts';
import { ChangeClock } from '../../sessions/change-clock';
import { GatewaySession } from '../../sessions/gateway-session';
import { MatcherPool } from '../../sessions/matcher-pool.service';
import { PrincipalChangeApplier } from '../../sessions/principal-change-applier.service';
import { SessionRegistry } from '../../sessions/session-registry.service';
import { loadGatewayConfig } from '../../config/gateway.config';
import { GatewayMetrics } from '../../metrics/gateway-metrics.service';
import { VerificationCache } from '../connect/verification-cache.service';
import type { AedesClient } from '../aedes.types';
import { RefusalAggregator } from '../../audit/refusal-aggregator.service';
import type { IdentityClient } from '../../transport/identity-client.service';
import { PacketAuthorizationHook } from './packet-authorization.hook';

const principal = (over: Partial<PrincipalDto> = {}): PrincipalDto => ({
  userId: '00000000-0000-4000-8000-000000000001',
  username: 'dev1',
  enabled: true,
  permissionsVersion: 1,
  permissions: [
    { context: 'mqtt', resource: 'sensors/+/temp', operation: 'write' },
    { context: 'mqtt', resource: 'sensors/#', operation: 'read' },
    { context: 'http', resource: '/#', operation: 'readWrite' },
  ],
  ...over,
});

class FakeClient extends EventEmitter {
  id = 'c1';
  clean = true;
  closed = false;
  subscriptions: Record<string, unknown> = {};
  unsubscribed: string[] = [];
  removedFromPersistence: string[] = [];
  broker = {
    persistence: {
      removeSubscriptions: async (_c: unknown, subs: string[]) =>
        void this.removedFromPersistence.push(...subs),
    },
  };
  unsubscribe(filters: string[], cb: () => void): void {
    for (const f of filters) delete this.subscriptions[f];
    this.unsubscribed.push(...filters);
    cb();
  }
  close(): void {
    this.closed = true;
  }
}

const publish = (topic: string): PublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from('x'),
  qos: 0,
  retain: false,
  dup: false,
});

describe('PacketAuthorizationHook (SPEC 1.4, 3)', () => {
  let registry: SessionRegistry;
  let hook: PacketAuthorizationHook;
  let applier: PrincipalChangeApplier;
  let client: FakeClient;
  let pool: MatcherPool;
  let refusals: RefusalAggregator;
  let metrics: GatewayMetrics;
  const asClient = (c: FakeClient): AedesClient => c as unknown as AedesClient;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    registry = new SessionRegistry();
    refusals = new RefusalAggregator(loadGatewayConfig({}), {} as IdentityClient);
    metrics = new GatewayMetrics(loadGatewayConfig({}));
    hook = new PacketAuthorizationHook(registry, refusals, metrics, loadGatewayConfig({}));
    pool = new MatcherPool(loadGatewayConfig({}));
    applier = new PrincipalChangeApplier(
      registry,
      new VerificationCache(loadGatewayConfig({})),
      new ChangeClock(),
      pool,
      metrics,
    );
    client = new FakeClient();
    registry.add(
      new GatewaySession(
        asClient(client),
        principal().userId,
        'dev1',
        'c1',
        { method: 'password' },
        principal(),
        pool,
      ),
    );
  });

  const publishResult = (
    c: FakeClient | null,
    topic: string,
  ): { err: Error | null | undefined; packet: PublishPacket } => {
    const packet = publish(topic);
    let err: Error | null | undefined;
    hook.authorizePublish(c ? asClient(c) : null, packet, (e) => (err = e));
    return { err, packet };
  };

  it('PUBLISH: allowed topics pass, others are refused (aedes then disconnects [MQTT-3.3.5-2])', () => {
    expect(publishResult(client, 'sensors/a/temp').err).toBeNull();
    expect(publishResult(client, 'sensors/a/humidity').err).toBeInstanceOf(Error);
    expect(publishResult(client, 'actuators/x').err).toBeInstanceOf(Error);
  });

  it('PUBLISH: no session, or a will without its client, is refused (fail closed)', () => {
    expect(publishResult(new FakeClient(), 'sensors/a/temp').err).toBeInstanceOf(Error);
    expect(publishResult(null, 'sensors/a/temp').err).toBeInstanceOf(Error);
  });

  it('PUBLISH: the publish prefix is applied before the check, and to the delivered topic', () => {
    const c = new FakeClient();
    registry.add(
      new GatewaySession(
        asClient(c),
        'u2',
        'dev1',
        'c2',
        { method: 'password' },
        principal({ mqttPublishPrefix: 'sensors/' }),
        pool,
      ),
    );
    const r = publishResult(c, 'a/temp');
    expect(r.err).toBeNull();
    expect(r.packet.topic).toBe('sensors/a/temp');
    expect(publishResult(c, 'sensors/a/temp').err).toBeInstanceOf(Error);
  });

  it('PUBLISH: $SYS/ is never writable', () => {
    const c = new FakeClient();
    const p = principal({ permissions: [{ context: 'mqtt', resource: '$SYS/#', operation: 'readWrite' }] });
    registry.add(new GatewaySession(asClient(c), 'u3', 'dev1', 'c3', { method: 'password' }, p, pool));
    expect(publishResult(c, '$SYS/x').err).toBeInstanceOf(Error);
  });

  it('SUBSCRIBE: per filter, null for a refused one (SUBACK 0x80)', () => {
    const results: unknown[] = [];
    for (const topic of ['sensors/#', '#', 'actuators/+', 'sensors/+/temp']) {
      hook.authorizeSubscribe(asClient(client), { topic, qos: 0 }, (_e, sub) =>
        results.push(sub ? sub.topic : null),
      );
    }
    expect(results).toEqual(['sensors/#', null, null, 'sensors/+/temp']);
  });

  it('FORWARD: every delivery is re-checked against read', () => {
    const pkt = (topic: string) =>
      ({ ...publish(topic), brokerId: 'b', brokerCounter: 1 }) as unknown as AedesPublishPacket;
    expect(hook.authorizeForward(asClient(client), pkt('sensors/a/x'))).not.toBeNull();
    expect(hook.authorizeForward(asClient(client), pkt('actuators/x'))).toBeNull();
    expect(hook.authorizeForward(asClient(new FakeClient()), pkt('sensors/a/x'))).toBeNull();
  });

  it('a change event rebuilds the matcher and removes subscriptions no longer covered (also from persistence when clean = false)', () => {
    client.clean = false;
    client.subscriptions = { 'sensors/#': {}, 'sensors/a/temp': {} };
    applier.apply({
      userId: principal().userId,
      kind: 'permissions',
      principal: principal({
        permissionsVersion: 2,
        permissions: [{ context: 'mqtt', resource: 'sensors/a/#', operation: 'read' }],
      }),
    });
    expect(client.unsubscribed).toEqual(['sensors/#']);
    expect(client.removedFromPersistence).toEqual(['sensors/#']);
    expect(Object.keys(client.subscriptions)).toEqual(['sensors/a/temp']);
    expect(publishResult(client, 'sensors/a/temp').err).toBeInstanceOf(Error);
    expect(client.closed).toBe(false);
  });

  it('an older principal than the one held is ignored', () => {
    applier.apply({
      userId: principal().userId,
      kind: 'permissions',
      principal: principal({ permissionsVersion: 0, permissions: [] }),
    });
    expect(publishResult(client, 'sensors/a/temp').err).toBeNull();
  });

  it('disabled / deleted / credentials-changed end the sessions; a revoked session authorizes nothing', () => {
    applier.apply({ userId: principal().userId, kind: 'disabled' });
    expect(client.closed).toBe(true);
    expect(registry.size).toBe(0);
    expect(publishResult(client, 'sensors/a/temp').err).toBeInstanceOf(Error);
  });

  it('token-revoked ends only the session that used that token', () => {
    const byToken = new FakeClient();
    registry.add(
      new GatewaySession(
        asClient(byToken),
        principal().userId,
        'dev1',
        'c4',
        { method: 'token', tokenId: 't1' },
        principal(),
        pool,
      ),
    );
    applier.apply({ userId: principal().userId, kind: 'token-revoked', tokenId: 't2' });
    expect(byToken.closed).toBe(false);
    applier.apply({ userId: principal().userId, kind: 'token-revoked', tokenId: 't1' });
    expect(byToken.closed).toBe(true);
    expect(client.closed).toBe(false);
  });

  it('other users are untouched', () => {
    applier.apply({ userId: '00000000-0000-4000-8000-000000000099', kind: 'deleted' });
    expect(client.closed).toBe(false);
    expect(registry.size).toBe(1);
  });
});
