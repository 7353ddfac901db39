import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { PrincipalDto } from '@gatehouse/contracts';
import type { AedesClient } from '../broker/aedes.types';
import { VerificationCache } from '../broker/connect/verification-cache.service';
import { loadGatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { ChangeClock } from './change-clock';
import { GatewaySession } from './gateway-session';
import { MatcherPool } from './matcher-pool.service';
import { PrincipalChangeApplier } from './principal-change-applier.service';
import { SessionRegistry } from './session-registry.service';

const USER = '00000000-0000-4000-8000-000000000001';
const principal = (over: Partial<PrincipalDto> = {}): PrincipalDto => ({
  userId: USER,
  username: 'dev1',
  enabled: true,
  permissionsVersion: 1,
  permissions: [
    { context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' },
    { context: 'mqtt', resource: 'alerts/#', operation: 'read' },
  ],
  ...over,
});

class FakeClient extends EventEmitter {
  clean = true;
  closed = false;
  subscriptions: Record<string, unknown> = {};
  unsubscribed: string[] = [];
  broker = { persistence: { removeSubscriptions: () => Promise.resolve() } };
  constructor(readonly id: string) {
    super();
  }
  unsubscribe(filters: string[], cb: () => void): void {
    for (const f of filters) delete this.subscriptions[f];
    this.unsubscribed.push(...filters);
    cb();
  }
  close(): void {
    this.closed = true;
  }
}
const asClient = (c: FakeClient): AedesClient => c as unknown as AedesClient;

describe('MatcherPool (ADR 0100: one compiled matcher per principal)', () => {
  const make = (env: Record<string, string> = {}): MatcherPool => new MatcherPool(loadGatewayConfig(env));

  beforeAll(() => Logger.overrideLogger(false));

  it('shares one matcher between the sessions of a principal without ${clientId} rules', () => {
    const pool = make();
    const a = pool.acquire(principal(), 'c1');
    const b = pool.acquire(principal(), 'c2');
    expect(a.shared).toBe(true);
    expect(b.permissions).toBe(a.permissions);
    expect(a.permissions.canPublish('devices/dev1/x')).toBe(true);
    expect(pool.stats()).toEqual({ live: 1, idle: 0, compiles: 1 });
  });

  it('compiles per session when a rule uses ${clientId} (each client its own topics)', () => {
    const pool = make();
    const p = principal({
      permissions: [{ context: 'mqtt', resource: 'clients/${clientId}/#', operation: 'readWrite' }],
    });
    const a = pool.acquire(p, 'c1');
    const b = pool.acquire(p, 'c2');
    expect(a.shared).toBe(false);
    expect(b.permissions).not.toBe(a.permissions);
    expect(a.permissions.canPublish('clients/c1/x')).toBe(true);
    expect(a.permissions.canPublish('clients/c2/x')).toBe(false);
    expect(b.permissions.canPublish('clients/c2/x')).toBe(true);
    expect(pool.stats().live).toBe(0);
  });

  it('never shares between principals, nor with a principal whose rules differ at the same version', () => {
    const pool = make();
    const a = pool.acquire(principal(), 'c1');
    const other = pool.acquire(
      principal({ userId: '00000000-0000-4000-8000-000000000002', username: 'dev2' }),
      'c1',
    );
    expect(other.permissions).not.toBe(a.permissions);
    expect(other.permissions.canPublish('devices/dev1/x')).toBe(false);
    const inconsistent = pool.acquire(
      principal({ permissions: [{ context: 'mqtt', resource: '#', operation: 'readWrite' }] }),
      'c3',
    );
    expect(inconsistent.permissions).not.toBe(a.permissions);
    expect(inconsistent.permissions.canPublish('anything')).toBe(true);
    expect(a.permissions.canPublish('anything')).toBe(false);
  });

  it('is reference counted: the last release moves the matcher to a bounded idle LRU', () => {
    const pool = make({ MQTT_MATCHER_IDLE_MAX: '1' });
    const a = pool.acquire(principal(), 'c1');
    const b = pool.acquire(principal(), 'c2');
    a.release();
    a.release(); // idempotent
    expect(pool.stats()).toMatchObject({ live: 1, idle: 0 });
    b.release();
    expect(pool.stats()).toMatchObject({ live: 0, idle: 1 });
    const again = pool.acquire(principal(), 'c3'); // a reconnect reuses it
    expect(again.permissions).toBe(a.permissions);
    expect(pool.stats()).toEqual({ live: 1, idle: 0, compiles: 1 });
    again.release();
    pool
      .acquire(principal({ userId: '00000000-0000-4000-8000-000000000002', username: 'dev2' }), 'c')
      .release();
    expect(pool.stats().idle).toBe(1); // the oldest idle one went
    expect(pool.acquire(principal(), 'c4').permissions).not.toBe(a.permissions);
  });

  it('keeps nothing idle with MQTT_MATCHER_IDLE_MAX=0, and drops idle matchers of a changed user', () => {
    const none = make({ MQTT_MATCHER_IDLE_MAX: '0' });
    none.acquire(principal(), 'c1').release();
    expect(none.stats()).toMatchObject({ live: 0, idle: 0 });
    const pool = make();
    pool.acquire(principal(), 'c1').release();
    pool.evictUser(USER);
    expect(pool.stats()).toMatchObject({ live: 0, idle: 0 });
  });

  it('an invalid rule throws (fail closed) and leaves nothing behind', () => {
    const pool = make();
    const bad = principal({ permissions: [{ context: 'mqtt', resource: 'a/#/b', operation: 'read' }] });
    expect(() => pool.acquire(bad, 'c1')).toThrow();
    expect(pool.stats()).toMatchObject({ live: 0, idle: 0 });
  });

  describe('live changes (SPEC 3) with shared matchers', () => {
    let pool: MatcherPool;
    let registry: SessionRegistry;
    let applier: PrincipalChangeApplier;
    let clients: FakeClient[];

    beforeEach(() => {
      const config = loadGatewayConfig({});
      pool = new MatcherPool(config);
      registry = new SessionRegistry();
      applier = new PrincipalChangeApplier(
        registry,
        new VerificationCache(config),
        new ChangeClock(),
        pool,
        new GatewayMetrics(config),
      );
      clients = ['c1', 'c2', 'c3'].map((id) => new FakeClient(id));
      for (const c of clients) {
        c.subscriptions = { 'alerts/#': {}, 'devices/dev1/#': {} };
        registry.add(
          new GatewaySession(asClient(c), USER, 'dev1', c.id, { method: 'password' }, principal(), pool),
        );
      }
    });

    it('a permissions change compiles the new matcher once and every session switches to it', () => {
      const before = registry.get(asClient(clients[0]))!.permissions;
      const compiles = pool.stats().compiles;
      applier.apply({
        userId: USER,
        kind: 'permissions',
        principal: principal({
          permissionsVersion: 2,
          permissions: [{ context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' }],
        }),
      });
      expect(pool.stats().compiles).toBe(compiles + 1);
      const after = clients.map((c) => registry.get(asClient(c))!.permissions);
      expect(after[0]).not.toBe(before);
      expect(after[1]).toBe(after[0]);
      expect(after[2]).toBe(after[0]);
      expect(pool.stats()).toMatchObject({ live: 1 }); // the old one was released by every session
      // subscriptions no longer covered are removed per session, as before
      for (const c of clients) {
        expect(c.unsubscribed).toEqual(['alerts/#']);
        expect(Object.keys(c.subscriptions)).toEqual(['devices/dev1/#']);
      }
      expect(after[0].canReceive('alerts/fire')).toBe(false);
    });

    it('an older principal changes nothing; ending a session releases its hold', () => {
      applier.apply({ userId: USER, kind: 'permissions', principal: principal({ permissionsVersion: 0 }) });
      expect(pool.stats()).toMatchObject({ live: 1, compiles: 1 });
      applier.apply({ userId: USER, kind: 'disabled' });
      expect(clients.every((c) => c.closed)).toBe(true);
      expect(pool.stats()).toMatchObject({ live: 0, idle: 0 }); // evicted: the user changed
    });

    it('a session that disconnects gives its hold back; the others keep the matcher', () => {
      registry.remove(asClient(clients[0]));
      registry.remove(asClient(clients[0])); // twice: no double release
      expect(pool.stats()).toMatchObject({ live: 1, idle: 0 });
      registry.remove(asClient(clients[1]));
      registry.remove(asClient(clients[2]));
      expect(pool.stats()).toMatchObject({ live: 0, idle: 1 });
    });
  });
});
