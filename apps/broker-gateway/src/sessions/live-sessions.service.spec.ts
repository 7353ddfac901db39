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
import { LiveSessions } from './live-sessions.service';
import { MatcherPool } from './matcher-pool.service';
import { PrincipalChangeApplier } from './principal-change-applier.service';
import { SessionRegistry } from './session-registry.service';

const USER = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const principal = (over: Partial<PrincipalDto> = {}): PrincipalDto => ({
  userId: USER,
  username: 'dev1',
  enabled: true,
  permissionsVersion: 1,
  permissions: [
    { context: 'mqtt', resource: 'clients/${clientId}/#', operation: 'read' },
    { context: 'mqtt', resource: 'alerts/#', operation: 'read' },
  ],
  ...over,
});

class FakeClient extends EventEmitter {
  clean = true;
  closed = false;
  unsubscribed: string[] = [];
  conn = { remoteAddress: '10.0.0.7' };
  broker = { persistence: { removeSubscriptions: () => Promise.resolve() } };
  constructor(
    readonly id: string,
    public subscriptions: Record<string, { qos: number }>,
  ) {
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

describe('LiveSessions (ADR 0022): list, disconnect, preview with the enforcing matcher', () => {
  let registry: SessionRegistry;
  let live: LiveSessions;
  let applier: PrincipalChangeApplier;
  let a: FakeClient;
  let b: FakeClient;
  let other: FakeClient;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    const config = loadGatewayConfig({ GATEWAY_ID: 'gw-unit' });
    const pool = new MatcherPool(config);
    const metrics = new GatewayMetrics(config);
    registry = new SessionRegistry();
    live = new LiveSessions(config, registry, metrics);
    applier = new PrincipalChangeApplier(
      registry,
      new VerificationCache(config),
      new ChangeClock(),
      pool,
      metrics,
    );
    a = new FakeClient('a', { 'clients/a/#': { qos: 1 }, 'alerts/#': { qos: 0 } });
    b = new FakeClient('b', { 'clients/b/x': { qos: 2 } });
    other = new FakeClient('o', { 'alerts/#': { qos: 0 } });
    for (const c of [a, b])
      registry.add(
        new GatewaySession(asClient(c), USER, 'dev1', c.id, { method: 'password' }, principal(), pool),
      );
    registry.add(
      new GatewaySession(
        asClient(other),
        OTHER,
        'dev2',
        'o',
        { method: 'password' },
        principal({ userId: OTHER, username: 'dev2' }),
        pool,
      ),
    );
  });

  it('lists sessions with subscriptions and QoS, filtered by user and client id', () => {
    const all = live.list({});
    expect(all.gatewayId).toBe('gw-unit');
    expect(all.sessions.map((s) => s.clientId).sort()).toEqual(['a', 'b', 'o']);
    const mine = live.list({ userId: USER, clientId: 'a' }).sessions;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      clientId: 'a',
      userId: USER,
      username: 'dev1',
      listener: 'unknown',
      remoteAddress: '10.0.0.7',
      subscriptions: [
        { filter: 'clients/a/#', qos: 1 },
        { filter: 'alerts/#', qos: 0 },
      ],
    });
    expect(live.list({ userId: OTHER, clientId: 'a' }).sessions).toEqual([]);
  });

  it('preview names exactly what applying the principal then removes, per session (${clientId} rules differ), and changes nothing', () => {
    const next = principal({
      permissionsVersion: 2,
      permissions: [{ context: 'mqtt', resource: 'clients/${clientId}/#', operation: 'read' }],
    });
    const preview = live.preview([next]).revocations;
    expect(preview).toEqual([
      { userId: USER, clientId: 'a', gatewayId: 'gw-unit', kind: 'subscription', filter: 'alerts/#' },
    ]);
    expect(a.unsubscribed).toEqual([]);
    expect(registry.get(asClient(a))!.permissions.canSubscribe('alerts/#')).toBe(true);

    applier.apply({ userId: USER, kind: 'permissions', principal: next });
    expect(a.unsubscribed).toEqual(['alerts/#']);
    expect(b.unsubscribed).toEqual([]);
    expect(other.unsubscribed).toEqual([]);
  });

  it('preview of a disabled user names its sessions; other users are untouched', () => {
    const preview = live.preview([principal({ enabled: false })]).revocations;
    expect(preview.map((r) => [r.clientId, r.kind]).sort()).toEqual([
      ['a', 'session'],
      ['b', 'session'],
    ]);
    expect(a.closed || b.closed).toBe(false);
  });

  it('preview of grant types that no longer admit the way in names the session (ADR 0011)', () => {
    const certOnly = principal({ grantTypes: [{ method: 'certificate', isRequired: false }] });
    expect(
      live
        .preview([certOnly])
        .revocations.map((r) => [r.clientId, r.kind])
        .sort(),
    ).toEqual([
      ['a', 'session'],
      ['b', 'session'],
    ]);
    const withPassword = principal({ grantTypes: [{ method: 'password', isRequired: false }] });
    expect(live.preview([withPassword]).revocations).toEqual([]);
  });

  it('preview of a new password names the password sessions of that user only', () => {
    expect(
      live
        .preview([principal()], [USER])
        .revocations.map((r) => [r.clientId, r.kind])
        .sort(),
    ).toEqual([
      ['a', 'session'],
      ['b', 'session'],
    ]);
    expect(live.preview([principal()], [OTHER]).revocations).toEqual([]);
  });

  it('disconnect ends every session of the client id and only those', () => {
    expect(live.disconnect('b')).toMatchObject({ gatewayId: 'gw-unit', disconnected: true });
    expect(b.closed).toBe(true);
    expect(a.closed).toBe(false);
    expect(registry.size).toBe(2);
    expect(live.disconnect('b').disconnected).toBe(false);
  });
});
